"""`manyi results --month YYYY-MM [--department ID] [--format table|json|csv|xlsx] [--out FILE]`."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report
from manyi.cli.results_options import (
    add_backend_options,
    close_store,
    month_type,
    open_results,
)

FORMATS = ("table", "json", "csv", "xlsx")


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "results", help="print or save a month's results (as counted by `manyi aggregate`)"
    )
    parser.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    parser.add_argument("--department", metavar="ID", help="one department only")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (needed for xlsx)")
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.results.exports import month_json, summary_csv, to_xlsx
    from manyi.results.month import month_view

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    if args.department and questionnaire.department(args.department) is None:
        print(f"manyi results: no department {args.department!r}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.format == "xlsx" and not args.out:
        print("manyi results: --format xlsx needs --out FILE", file=sys.stderr)
        return EXIT_PROBLEMS
    store = open_results(args)
    try:
        view = month_view(questionnaire, store, args.month)
    finally:
        close_store(store)
    data: bytes
    if args.format == "json":
        text = json.dumps(month_json(view, args.department), ensure_ascii=False, indent=2)
        data = (text + "\n").encode("utf-8")
    elif args.format == "csv":
        data = summary_csv(questionnaire, view, args.department).encode("utf-8")
    elif args.format == "xlsx":
        data = to_xlsx(questionnaire, view)
    else:
        data = table(view, args.department).encode("utf-8")
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def table(view: Any, department: str | None) -> str:
    from manyi.results.charts import percent
    from manyi.results.exports import STATUS_TEXT

    city = view.city
    rank = {r.figures.department.id: r.rank for r in city.by_index}
    header = ["部门", "有效问卷", "逾期", "服务对象", "测评率", "达标", "满意度指数", "排名"]
    rows = [
        [
            d.department.name,
            str(d.responses),
            str(d.late.responses),
            "—" if d.served is None else str(d.served),
            percent(d.coverage),
            {True: "否", False: "是", None: "—"}[d.below_target],
            "—" if d.satisfaction_index is None else f"{d.satisfaction_index:.1f}",
            str(rank[d.department.id] or "—"),
        ]
        for d in city.departments
        if department is None or d.department.id == department
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{view.month} {STATUS_TEXT[view.status]}"]
    for row in [header, *rows]:
        lines.append(
            "  ".join(_pad(c, w, i > 0) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    if department is None:
        index = "—" if city.satisfaction_index is None else f"{city.satisfaction_index:.1f}"
        lines.append(
            f"全市：有效问卷 {city.total.responses}，测评率 {percent(city.coverage)}，"
            f"满意度指数 {index}，未达标部门 {len(city.below_target)} 个"
        )
    return "\n".join(lines) + "\n"
