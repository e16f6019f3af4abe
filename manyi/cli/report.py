"""`manyi report --month YYYY-MM --out DIR [--format all|docx]`: the month's report files.

`all` (the default): the printable HTML report and its data files (JSON, CSV, XLSX), as the
aggregator publishes them. `docx`: the Word report the office hands up (report-YYYY-MM.docx)
and each department's own (departments/<id>-YYYY-MM.docx), or one department's only.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manyi.calendar import OfficeCalendar
from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report
from manyi.cli.results_options import (
    add_backend_options,
    add_selection_options,
    close_store,
    department_option,
    month_type,
    open_pressure,
    open_results,
    selection_of,
)

if TYPE_CHECKING:
    from manyi.model import Questionnaire
    from manyi.reports.view import MonthView


def utc_now() -> datetime:
    return datetime.now(UTC)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "report",
        help="write a month's report into a folder: HTML, JSON, CSV, XLSX, or the Word report",
    )
    parser.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    parser.add_argument(
        "--format",
        choices=("all", "docx"),
        default="all",
        help="all: the HTML report and data files; docx: the Word reports (city and departments)",
    )
    parser.add_argument(
        "--department", metavar="ID", help="docx: this department's report only (ID or name)"
    )
    add_selection_options(parser)
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.reports.files import month_files
    from manyi.reports.view import TREND_MONTHS, month_view
    from manyi.results.outputs import OutputFolder

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    store = open_results(args)
    pressure = open_pressure(args)
    try:
        view = month_view(
            questionnaire,
            store,
            args.month,
            TREND_MONTHS,
            selection_of(args, questionnaire),
            pressure,
        )
        folder = OutputFolder(Path(args.out))
        if args.format == "docx":
            files = _word_files(questionnaire, view, args.department, utc_now())
        else:
            files = month_files(questionnaire, view)
        for name, (data, content_type) in files.items():
            folder.write(name, data, content_type)
            print(Path(args.out) / name)
    finally:
        close_store(store)
        close_store(pressure)
    return 0


def _word_files(
    questionnaire: Questionnaire, view: MonthView, department: str | None, now: datetime
) -> dict[str, tuple[bytes, str]]:
    from manyi.reports.word import DOCX_TYPE, city_docx, department_docx

    issued = OfficeCalendar.of(questionnaire.reporting).today(now)
    if department is not None:
        found = department_option(questionnaire, department)
        data = department_docx(questionnaire, view, found, issued)
        return {f"departments/{found}-{view.month}.docx": (data, DOCX_TYPE)}
    files = {f"report-{view.month}.docx": (city_docx(questionnaire, view, issued), DOCX_TYPE)}
    for d in view.city.departments:
        data = department_docx(questionnaire, view, d.department.id, issued)
        files[f"departments/{d.department.id}-{view.month}.docx"] = (data, DOCX_TYPE)
    return files
