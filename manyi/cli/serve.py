"""`manyi serve`: the built site and the collector on one machine, submissions in SQLite."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from manyi.calendar import OfficeCalendar
from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report
from manyi.versions import (
    SITE_FOLDER,
    Catalogue,
    VersionsError,
    publish,
    read_questionnaire,
    version_files,
)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "serve",
        help="serve the built site and the collector (the Lambda's code) on one machine",
        description=(
            "Serve the built site (manyi build), the collector API under /api/ and the "
            "office's results under /results/, storing submissions in SQLite under --data. "
            "The questionnaire versions the collector accepts are kept under "
            "DATA/questionnaires/, from the site's api/questionnaire/*.json (a build while it "
            "runs is taken in), else from questionnaire.yaml."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0: every "
        "address of the machine)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument("--data", default="data", metavar="DIR", help="where data is kept")
    parser.add_argument("--site", default="dist", metavar="DIR", help="the built site")
    parser.add_argument(
        "--rate-limit",
        metavar="BURST/PER_MINUTE",
        help="submissions per client address: a burst, then so many a minute; 'off' for none "
        "(default: $MANYI_RATE_LIMIT or 120/60)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy (address or network) whose X-Real-IP / X-Forwarded-For name the "
        "client; repeatable (default: $MANYI_TRUSTED_PROXY, else none: the peer is the client)",
    )
    parser.add_argument(
        "--aggregate-every",
        metavar="MINUTES",
        type=float,
        default=float(os.environ.get("MANYI_AGGREGATE_EVERY", "5")),
        help="count new responses (and close the month on its close day) every so many "
        "minutes, in the background; 0: never (default: $MANYI_AGGREGATE_EVERY or 5)",
    )
    parser.add_argument(
        "--key-file",
        metavar="PATH",
        default=os.environ.get("MANYI_KEY_FILE") or None,
        help="the key that seals personal data: complainants' and follow-up parties' names and "
        "phones (made by `manyi key create`, kept outside --data); without it, complaints are "
        "taken only anonymously and the follow-up shows no personal data "
        "(default: $MANYI_KEY_FILE)",
    )
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Metrics are for CloudWatch; locally they would only flood the terminal.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from manyi.collector.app import answer_after_commit
    from manyi.collector.handler import create_handler
    from manyi.collector.ratelimit import RateLimit
    from manyi.proxy import parse_trusted
    from manyi.results.web import ResultsSite
    from manyi.serving.lambda_app import LambdaApp
    from manyi.serving.server import Mounts, create, listening_on, serve_forever
    from manyi.serving.static import StaticSite
    from manyi.store.submissions.sqlite import SQLiteSubmissionStore
    from manyi.workspace.handler import create_handler as create_workspace_handler
    from manyi.workspace.local import local_workspace

    try:
        limit = (
            RateLimit.parse(args.rate_limit) if args.rate_limit else RateLimit.from_environment()
        )
    except ValueError as error:
        print(f"manyi serve: --rate-limit: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        trusted = parse_trusted(args.trusted_proxy or [os.environ.get("MANYI_TRUSTED_PROXY", "")])
    except ValueError as error:
        print(f"manyi serve: --trusted-proxy: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    data, site_root = Path(args.data), Path(args.site)
    try:
        catalogue = open_catalogue(data / "questionnaires", site_root, args.questionnaire)
    except VersionsError as error:
        print(f"manyi serve: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    if catalogue is None:
        return EXIT_PROBLEMS
    # Every store of the folder is opened (migrated, or refused if newer) before serving.
    from manyi.store.results.sqlite import SqliteResultsStore

    SqliteResultsStore.in_folder(data).close()
    store = SQLiteSubmissionStore(data / "submissions.sqlite3", deferred_commit=True)
    site = site_root if site_root.is_dir() else None
    mounts = Mounts(StaticSite(site))
    from manyi.complaints.sources import local_complaint_sources
    from manyi.sealing import SealingError

    try:
        complaints = local_complaint_sources(data, Path(args.key_file) if args.key_file else None)
    except SealingError as error:
        print(f"manyi serve: --key-file: {error}", file=sys.stderr)
        store.close()
        return EXIT_PROBLEMS
    if complaints.sealer is None:
        print(
            "no --key-file: complaints with a name or phone cannot be taken "
            f"(manyi key create --key-file PATH --data {data})",
            file=sys.stderr,
        )
    from manyi.store.network_keys.sqlite import SQLiteNetworkKeys
    from manyi.store.pressure.sqlite import SQLitePressureStore

    keys = SQLiteNetworkKeys.in_folder(data)
    pressure = SQLitePressureStore.in_folder(data)
    collector = create_handler(
        store,
        catalogue,
        rate_limit=limit,
        complaints=complaints,
        network_keys=keys,
        pressure=pressure,
    )
    mounts.mount("/api/", LambdaApp(collector, after=answer_after_commit(store.wait_durable)))
    mounts.mount("/results/", ResultsSite(data, catalogue.current))  # behind `manyi token`
    key_file = Path(args.key_file) if args.key_file else None
    try:
        workspace = local_workspace(
            data, lambda: catalogue.current, store, complaints, key_file, pressure
        )
    except SealingError as refused:  # a missing or damaged key file: said once, not served
        print(f"manyi serve: --key-file: {refused}", file=sys.stderr)
        keys.close()
        pressure.close()
        store.close()
        return EXIT_PROBLEMS
    mounts.mount("/workspace/", LambdaApp(create_workspace_handler(workspace)))
    if not workspace.staff.accounts.all():
        print(
            f"no staff accounts yet: manyi account add NAME --role office --data {data}",
            file=sys.stderr,
        )
    try:
        server = create(mounts, args.host, args.port, trusted_proxies=trusted)
    except OSError as error:
        print(f"manyi serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        workspace.staff.close()
        keys.close()
        pressure.close()
        store.close()
        return EXIT_PROBLEMS
    timer = None
    if args.aggregate_every > 0:
        from manyi.workspace.timer import AggregatorTimer

        every = timedelta(minutes=args.aggregate_every)
        timer = AggregatorTimer(
            data, lambda: catalogue.current, store, workspace.staff.audit, every,
            followup=workspace.followup, complaints=complaints.store,
        )  # fmt: skip
        timer.start()
    urls = [f"http://{_url_host(h)}:{p}/" for h, p in listening_on(server)]
    where = f"site {site_root}" if site else f"no site at {site_root} (run manyi build)"
    every_text = f"; counting new responses every {args.aggregate_every:g} min" if timer else ""
    print(
        f"manyi serve: {', '.join(urls)} — {where}; submissions in {store.path}\n"
        f"workspace (工作台): {urls[0]}workspace/{every_text}",
        flush=True,
    )
    try:
        serve_forever(server)
    finally:
        if timer is not None:
            timer.stop()
        workspace.staff.close()
        if workspace.entry is not None:
            workspace.entry.close()
        keys.close()
        pressure.close()
        store.close()
    return 0


def _site_calendar(folder: Path) -> OfficeCalendar:
    """The office's calendar as the site's newest version sets it (its `reporting`)."""
    newest = max(version_files(folder).values(), key=lambda path: path.stat().st_mtime)
    return OfficeCalendar.of(read_questionnaire(newest).reporting)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def open_catalogue(folder: Path, site: Path, questionnaire: str) -> Catalogue | None:
    """The versions this collector accepts, kept in `folder`: it gains the site's versions it
    lacks now and whenever a build adds one; without a built site, questionnaire.yaml's."""
    now = datetime.now(UTC)
    site_versions = site / SITE_FOLDER
    if version_files(site_versions):
        catalogue = Catalogue.open(folder, site=site_versions)
        catalogue.follow_site(_site_calendar(site_versions).today(now))
    else:
        loaded = load_or_report(questionnaire)
        if loaded is None:
            return None
        publish(folder, loaded, OfficeCalendar.of(loaded.reporting).today(now))
        catalogue = Catalogue.open(folder)
    catalogue.current  # noqa: B018 - read now, so a broken file stops the start, not a page
    return catalogue
