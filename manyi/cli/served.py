"""`manyi served set|import|list`: each department's served subjects, the coverage denominator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report
from manyi.cli.results_options import (
    add_backend_options,
    close_store,
    month_type,
    open_results,
)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "served", help="set each department's served subjects (管理和服务对象总数) per month"
    )
    actions = parser.add_subparsers(dest="served_action", required=True, metavar="ACTION")

    set_ = actions.add_parser("set", help="set one department's count for a month")
    set_.add_argument("department", help="department ID or full name")
    set_.add_argument("count", help="a whole number ≥ 1")
    set_.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")

    import_ = actions.add_parser(
        "import",
        help="set many from a CSV or XLSX file (columns: 部门, 月份, 服务对象总数)",
        description=(
            "A header row names the columns: department (部门 / 部门编号 / 部门名称: an ID or a "
            "full name), month (月份, YYYY-MM; optional with --month) and count (服务对象总数). "
            "Every bad row is reported as file:row: reason, and then nothing is stored."
        ),
    )
    import_.add_argument("file", help=".csv (UTF-8) or .xlsx")
    import_.add_argument("--month", type=month_type, metavar="YYYY-MM", help="for rows without")

    list_ = actions.add_parser("list", help="show the counts set for a month")
    list_.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")

    for sub in (set_, import_, list_):
        add_backend_options(sub)
        add_questionnaire_option(sub)
        sub.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.results.served_file import parse_count, read_served_file

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    counts: dict[tuple[str, str], int] = {}
    if args.served_action == "set":
        department = questionnaire.department(args.department) or next(
            (d for d in questionnaire.departments if d.name == args.department), None
        )
        if department is None:
            print(f"manyi served: no department {args.department!r}", file=sys.stderr)
            return EXIT_PROBLEMS
        try:
            counts[(args.month, department.id)] = parse_count(args.count)
        except ValueError as error:
            print(f"manyi served: {error}", file=sys.stderr)
            return EXIT_PROBLEMS
    elif args.served_action == "import":
        read = read_served_file(Path(args.file), questionnaire, args.month)
        for problem in read.problems:
            print(problem, file=sys.stderr)
        if read.problems:
            print(
                f"{args.file}: {len(read.problems)} problem(s); nothing was stored", file=sys.stderr
            )
            return EXIT_PROBLEMS
        counts = read.counts
    store = open_results(args)
    try:
        if args.served_action == "list":
            served = store.served(args.month)
            for d in questionnaire.departments:
                print(f"{d.id}\t{d.name}\t{served.get(d.id, '—')}")
            return 0
        store.set_served(counts)
        closed = sorted({m for m, _ in counts if store.month_close(m) is not None})
    finally:
        close_store(store)
    for month in closed:
        print(
            f"note: {month} is closed; its frozen report keeps the served counts of its close",
            file=sys.stderr,
        )
    for (month, department_id), count in sorted(counts.items()):
        print(f"{month} {department_id}: {count}")
    print(f"set {len(counts)} served count(s)")
    return 0
