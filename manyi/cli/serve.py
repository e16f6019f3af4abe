"""`manyi serve`: the built site and the collector on one machine, submissions in SQLite."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from manyi.cli.common import add_questionnaire_option, load_or_report

QUESTIONNAIRE_FOLDER = Path("api") / "questionnaire"


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "serve",
        help="serve the built site and the collector (the Lambda's code) on one machine",
        description=(
            "Serve the built site (manyi build) and the collector API under /api/, storing "
            "submissions in SQLite under --data. The questionnaire versions the collector "
            "accepts are kept under DATA/questionnaires/, from the site's "
            "api/questionnaire/*.json, else from questionnaire.yaml."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
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
        "--aggregate-every",
        metavar="MINUTES",
        type=float,
        default=float(os.environ.get("MANYI_AGGREGATE_EVERY", "5")),
        help="count new responses (and close the month on its close day) every so many "
        "minutes, in the background; 0: never (default: $MANYI_AGGREGATE_EVERY or 5)",
    )
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Metrics are for CloudWatch; locally they would only flood the terminal.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from manyi.collector.handler import create_handler
    from manyi.collector.ratelimit import RateLimit
    from manyi.collector.versions import Catalogue, beijing_today, publish
    from manyi.model import Questionnaire
    from manyi.serve import Server, Site, serve_forever
    from manyi.store.sqlite import SQLiteSubmissionStore

    try:
        limit = (
            RateLimit.parse(args.rate_limit) if args.rate_limit else RateLimit.from_environment()
        )
    except ValueError as error:
        print(f"manyi serve: --rate-limit: {error}", file=sys.stderr)
        return 2
    data, site_root = Path(args.data), Path(args.site)
    questionnaires = data / "questionnaires"
    today = beijing_today(datetime.now(UTC))
    shipped = sorted(
        (site_root / QUESTIONNAIRE_FOLDER).glob("*.json"), key=lambda p: p.stat().st_mtime
    )
    if shipped:
        for path in shipped:
            publish(questionnaires, Questionnaire.from_dict(_read_json(path)), today)
    else:
        questionnaire = load_or_report(args.questionnaire)
        if questionnaire is None:
            return 2
        publish(questionnaires, questionnaire, today)
    store = SQLiteSubmissionStore(data / "submissions.sqlite3", deferred_commit=True)
    catalogue = Catalogue.open(questionnaires)
    handler = create_handler(store, catalogue, rate_limit=limit)
    site = Site(site_root) if site_root.is_dir() else None
    try:
        server = Server((args.host, args.port), handler, site, store.wait_durable)
    except OSError as error:
        print(f"manyi serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    from manyi.results.web import ResultsSite

    server.results = ResultsSite(data, catalogue.current)  # behind `manyi token`
    from manyi.workspace.handler import create_handler as create_workspace_handler
    from manyi.workspace.local import local_workspace

    workspace = local_workspace(data, lambda: catalogue.current, store)
    server.workspace = create_workspace_handler(workspace)
    if not workspace.staff.accounts.all():
        print(
            f"no staff accounts yet: manyi account add NAME --role office --data {data}",
            file=sys.stderr,
        )
    timer = None
    if args.aggregate_every > 0:
        from manyi.workspace.timer import AggregatorTimer

        every = timedelta(minutes=args.aggregate_every)
        timer = AggregatorTimer(
            data, lambda: catalogue.current, store, workspace.staff.audit, every
        )
        timer.start()
    host, port = str(server.server_address[0]), int(server.server_address[1])
    where = f"site {site_root}" if site else f"no site at {site_root} (run manyi build)"
    every_text = f"; counting new responses every {args.aggregate_every:g} min" if timer else ""
    serve_forever(
        server,
        f"manyi serve: http://{host}:{port}/ — {where}; submissions in {store.path}\n"
        f"workspace (工作台): http://{host}:{port}/workspace/{every_text}",
    )
    if timer is not None:
        timer.stop()
    workspace.staff.close()
    store.close()
    return 0


def _read_json(path: Path) -> Any:
    import json

    return json.loads(path.read_text(encoding="utf-8"))
