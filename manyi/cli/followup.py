"""`manyi followup`: import a month's closed cases, register visitors, draw, figures, purge.

On one machine (the data folder and the key file of `manyi key create`). The import refuses a
file with any bad row, listing each by row in Chinese; it never prints a party's details.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, CommandError, add_questionnaire_option, load_or_report
from manyi.cli.results_options import month_type


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "followup",
        help="回访: import closed cases, register visitors, draw, figures, purge personal data",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(sub: argparse.ArgumentParser, *, key: bool) -> None:
        sub.add_argument("--data", default="data", metavar="DIR", help="the data folder")
        if key:
            sub.add_argument(
                "--key-file", required=True, metavar="PATH",
                help="the sealing key (manyi key create), kept outside the data folder",
            )  # fmt: skip
        add_questionnaire_option(sub)

    import_ = actions.add_parser(
        "import",
        help="import a case system's export (.xlsx or .csv): all rows or none, idempotent",
    )
    import_.add_argument("file", help="the export: 案件编号, 案件类别, 适用程序, 当事人, ...")
    import_.add_argument("--department", required=True, help="the department ID")
    import_.add_argument(
        "--month", type=month_type, metavar="YYYY-MM",
        help="refuse the file if a case closed in another month",
    )  # fmt: skip
    common(import_, key=True)
    import_.set_defaults(run=run_import)

    visitor = actions.add_parser(
        "visitor", help="register an account as a visitor with its staff ID (执法证号/工号)"
    )
    visitor.add_argument("username")
    visitor.add_argument("staff_id")
    common(visitor, key=False)
    visitor.set_defaults(run=run_visitor)

    draw = actions.add_parser("draw", help="draw a department-month's cases at random")
    draw.add_argument("--department", required=True)
    draw.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    draw.add_argument("--seed", type=int, help="redo a draw with this seed (default: a new one)")
    common(draw, key=False)
    draw.set_defaults(run=run_draw)

    figures = actions.add_parser(
        "figures", help="a month's follow-up figures per department, as JSON (no personal data)"
    )
    figures.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    common(figures, key=False)
    figures.set_defaults(run=run_figures)

    purge = actions.add_parser(
        "purge",
        help="remove names, phones and notes of follow-ups done longer ago than retention_days",
    )
    common(purge, key=False)
    purge.set_defaults(run=run_purge)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@contextmanager
def _followup(args: argparse.Namespace) -> Iterator[Any]:
    from manyi.sealing import SealingError
    from manyi.store.staff.sqlite import local_staff_stores
    from manyi.workspace.local import local_followup

    data = Path(args.data)
    staff = local_staff_stores(data)
    key = getattr(args, "key_file", None)
    try:
        fu = local_followup(data, staff.audit, Path(key) if key else None)
    except SealingError as refused:
        staff.close()
        raise CommandError(str(refused)) from refused
    try:
        yield fu
    finally:
        fu.store.close()
        staff.close()


def _config(args: argparse.Namespace) -> Any:
    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        raise CommandError("questionnaire.yaml has problems (above)")
    if questionnaire.followup is None:
        raise CommandError("questionnaire.yaml has no `followup` section")
    return questionnaire


def run_import(args: argparse.Namespace) -> int:
    from manyi.followup.importing import ImportRefused, read_case_file
    from manyi.followup.service import import_cases, today_in_beijing

    questionnaire = _config(args)
    if questionnaire.department(args.department) is None:
        raise CommandError(f"no department {args.department!r} in questionnaire.yaml")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from error
    now = datetime.now(UTC)
    try:
        case_file = read_case_file(path.name, data, today_in_beijing(now), args.month)
        with _followup(args) as fu:
            summary = import_cases(fu, args.department, case_file, now, _actor())
    except ImportRefused as refused:
        for problem in refused.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"{path}: 共 {len(refused.problems)} 处问题，整个文件未导入。", file=sys.stderr)
        return EXIT_PROBLEMS
    print(
        f"{path}: {summary.rows} 件案件，新导入 {summary.added} 件，"
        f"{summary.existing} 件此前已导入（未改动）。"
    )
    return 0


def run_visitor(args: argparse.Namespace) -> int:
    from manyi.followup.service import FollowupRefused, register_visitor
    from manyi.store.staff.sqlite import local_staff_stores

    staff = local_staff_stores(Path(args.data))
    try:
        known = staff.accounts.get(args.username) is not None
    finally:
        staff.close()
    if not known:
        raise CommandError(f"no account {args.username!r}: add it first (manyi account add)")
    with _followup(args) as fu:
        try:
            register_visitor(fu, args.username, args.staff_id, datetime.now(UTC), _actor())
        except FollowupRefused as refused:
            raise CommandError(refused.chinese) from refused
    print(f"visitor {args.username} registered with staff ID {args.staff_id.strip()}")
    return 0


def run_draw(args: argparse.Namespace) -> int:
    from manyi.followup.service import draw_month

    questionnaire = _config(args)
    with _followup(args) as fu:
        made = draw_month(
            fu, questionnaire.followup, args.department, args.month, datetime.now(UTC), _actor(),
            seed=args.seed,
        )  # fmt: skip
    print(
        f"draw {made.draw_id}: seed {made.seed}, {len(made.candidates)} candidates, "
        f"{len(made.drawn)} drawn"
    )
    return 0


def run_figures(args: argparse.Namespace) -> int:
    from manyi.followup.figures import month_figures
    from manyi.followup.service import today_in_beijing

    questionnaire = _config(args)
    with _followup(args) as fu:
        figures = month_figures(
            fu.store, questionnaire.followup, [d.id for d in questionnaire.departments],
            args.month, today_in_beijing(datetime.now(UTC)),
        )  # fmt: skip
    print(json.dumps([f.to_dict() for f in figures], ensure_ascii=False, indent=2))
    return 0


def run_purge(args: argparse.Namespace) -> int:
    from manyi.followup.service import purge

    questionnaire = _config(args)
    with _followup(args) as fu:
        count = purge(fu, questionnaire.followup, datetime.now(UTC), _actor())
    print(f"personal data removed from {count} finished follow-up(s)")
    return 0
