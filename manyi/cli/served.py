"""`manyi served set|import|list`: each department's served subjects, the coverage denominator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, CommandError, add_questionnaire_option, questionnaire_of
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
    set_.add_argument("department", help="department ID, full name or short name (公安局)")
    set_.add_argument("count", help="a whole number ≥ 0 (0: no cases that month)")
    set_.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")

    import_ = actions.add_parser(
        "import",
        help="set many from a CSV or XLSX file (columns: 部门, 月份, 服务对象总数)",
        description=(
            "A header row (title rows above it are skipped) names the columns: department "
            "(部门 / 单位名称 / 部门编号: an ID, a full name or a short name such as 公安局), "
            "month (月份, 2026-11 or 2026年11月; optional with --month) and count (服务对象总数, "
            "0 or more). Every bad row is reported as file:row: reason, and then nothing is "
            "stored; a 合计 row is skipped."
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
    from manyi.department_names import find_department
    from manyi.reports.tables import UNLISTED
    from manyi.results.served_file import parse_count, read_served_file
    from manyi.store.results.base import ServedTooLarge

    questionnaire = questionnaire_of(args)
    counts: dict[tuple[str, str], int] = {}
    if args.served_action == "set":
        try:
            found = find_department(questionnaire, args.department)
            counts[(args.month, found.department.id)] = parse_count(args.count)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not found.exact:
            print(f"“{args.department}”按 {found.department.name}（{found.department.id}）计")
    elif args.served_action == "import":
        read = read_served_file(Path(args.file), questionnaire, args.month)
        for problem in read.problems:
            print(problem, file=sys.stderr)
        if read.problems:
            print(f"{args.file}: {len(read.problems)} 处问题，未保存任何数据", file=sys.stderr)
            return EXIT_PROBLEMS
        for line, given, department in read.by_short_name:
            print(f"{args.file}:{line}: “{given}”按 {department.name}（{department.id}）计")
        counts = read.counts
    store = open_results(args)
    try:
        if args.served_action == "list":
            served = store.served(args.month)
            for d in questionnaire.departments:
                print(f"{d.id}\t{d.name}\t{served.get(d.id, '—')}")
            for department_id in sorted(set(served) - {d.id for d in questionnaire.departments}):
                print(f"{department_id}\t{UNLISTED}\t{served[department_id]}")
            return 0
        try:
            store.set_served(counts)
        except ServedTooLarge as error:
            raise CommandError(str(error)) from None
        closed = sorted({m for m, _ in counts if store.month_close(m) is not None})
    finally:
        close_store(store)
    for month in closed:
        print(
            f"注意：{month} 已关账，已发布的报告仍按关账时的服务对象数计算测评率", file=sys.stderr
        )
    for (month, department_id), count in sorted(counts.items()):
        print(f"{month} {department_id}: {count}")
    print(f"已保存 {len(counts)} 个服务对象总数")
    return 0
