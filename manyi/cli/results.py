"""`manyi results --month YYYY-MM [--department ID] [--format table|json|csv|xlsx] [--out FILE]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, questionnaire_of
from manyi.cli.results_options import (
    add_backend_options,
    add_selection_options,
    department_option,
    month_type,
    month_view_of,
)

FORMATS = ("table", "json", "csv", "xlsx")


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "results", help="print or save a month's results (as counted by `manyi aggregate`)"
    )
    parser.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    parser.add_argument(
        "--department", metavar="ID", help="one department only (ID, full or short name)"
    )
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (needed for xlsx)")
    add_selection_options(parser)
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.reports.csv_export import summary_csv
    from manyi.reports.json_export import month_json
    from manyi.reports.text_table import text_table
    from manyi.reports.workbook import to_xlsx

    questionnaire = questionnaire_of(args)
    if args.format == "xlsx" and not args.out:
        print("manyi results: --format xlsx needs --out FILE", file=sys.stderr)
        return EXIT_PROBLEMS
    view = month_view_of(args, questionnaire)
    department = None
    if args.department:
        department = args.department if args.department in view.unlisted else None
        if department is None:
            department = department_option(questionnaire, args.department)
    data: bytes
    if args.format == "json":
        text = json.dumps(month_json(view, department), ensure_ascii=False, indent=2)
        data = (text + "\n").encode("utf-8")
    elif args.format == "csv":
        data = summary_csv(questionnaire, view, department).encode("utf-8")
    elif args.format == "xlsx":
        data = to_xlsx(questionnaire, view, department)
    else:
        data = text_table(questionnaire, view, department).encode("utf-8")
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
