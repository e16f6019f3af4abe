"""`manyi report --month YYYY-MM --out DIR [--format all|docx]`: the month's report files.

`all` (the default): the printable HTML report and its data files (JSON, CSV, XLSX), as the
aggregator publishes them. `docx`: the Word report the office hands up (report-YYYY-MM.docx)
and each department's own (departments/<id>-YYYY-MM.docx), or one department's only.

The 回访 and 投诉举报 sections come from the follow-up's cases and the complaints, where they
are kept: the data folder's followup.sqlite3 and complaints.sqlite3 (when they exist), or with
--aws the tables --cases-table and --complaints-table name. Without them the sections are
absent.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manyi.calendar import OfficeCalendar
from manyi.cli.common import add_questionnaire_option, questionnaire_of
from manyi.cli.results_options import (
    add_backend_options,
    add_named_by_environment,
    add_selection_options,
    department_option,
    month_type,
    month_view_of,
)

if TYPE_CHECKING:
    from manyi.model import Questionnaire
    from manyi.reports.sections import SectionProviders
    from manyi.reports.view import MonthView
    from manyi.store.cases.base import CaseStore
    from manyi.store.complaints.base import ComplaintStore


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
    sections = parser.add_argument_group("the 回访 and 投诉举报 sections, with --aws")
    add_named_by_environment(sections, "--cases-table", "CASES_TABLE", "the follow-up's cases")
    add_named_by_environment(sections, "--complaints-table", "COMPLAINTS_TABLE", "the complaints")
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.reports.files import month_files
    from manyi.reports.view import TREND_MONTHS
    from manyi.results.outputs import OutputFolder

    questionnaire = questionnaire_of(args)
    today = OfficeCalendar.of(questionnaire.reporting).today(utc_now())
    view = month_view_of(args, questionnaire, TREND_MONTHS)
    folder = OutputFolder(Path(args.out))
    with _providers(args, questionnaire, today) as providers:
        if args.format == "docx":
            files = _word_files(questionnaire, view, args.department, today, providers)
        else:
            files = month_files(questionnaire, view, providers)
    for name, (data, content_type) in files.items():
        folder.write(name, data, content_type)
        print(Path(args.out) / name)
    return 0


@contextmanager
def _providers(
    args: argparse.Namespace, questionnaire: Questionnaire, today: date
) -> Iterator[SectionProviders]:
    """The 回访 and 投诉举报 sections' providers over the stores that exist; a report never
    creates a store."""
    from manyi.reports.providers import report_providers

    with ExitStack() as opened:
        cases: CaseStore | None = None
        complaints: ComplaintStore | None = None
        if args.aws:
            if args.cases_table:
                from manyi.store.cases.dynamodb import DynamoDBCaseStore

                cases = DynamoDBCaseStore(args.cases_table)
            if args.complaints_table:
                from manyi.store.complaints.dynamodb import DynamoDBComplaintStore

                complaints = DynamoDBComplaintStore(args.complaints_table)
        else:
            from manyi.store.cases.sqlite import FILE_NAME as CASES_FILE
            from manyi.store.cases.sqlite import SQLiteCaseStore
            from manyi.store.complaints.base import FILE_NAME as COMPLAINTS_FILE
            from manyi.store.complaints.sqlite import SQLiteComplaintStore

            data = Path(args.data)
            if (data / CASES_FILE).is_file():
                cases = opened.enter_context(closing(SQLiteCaseStore.in_folder(data)))
            if (data / COMPLAINTS_FILE).is_file():
                complaints = opened.enter_context(closing(SQLiteComplaintStore.in_folder(data)))
        yield report_providers(questionnaire, cases=cases, complaints=complaints, today=today)


def _word_files(
    questionnaire: Questionnaire,
    view: MonthView,
    department: str | None,
    issued: date,
    providers: SectionProviders,
) -> dict[str, tuple[bytes, str]]:
    """The office's copies: the city's report and each department's, with its rank."""
    from manyi.reports.word import DOCX_TYPE, city_docx, department_docx

    if department is not None:
        found = department_option(questionnaire, department)
        data = department_docx(questionnaire, view, found, issued, providers)
        return {f"departments/{found}-{view.month}.docx": (data, DOCX_TYPE)}
    city = city_docx(questionnaire, view, issued, providers)
    files = {f"report-{view.month}.docx": (city, DOCX_TYPE)}
    for d in view.city.departments:
        data = department_docx(questionnaire, view, d.department.id, issued, providers)
        files[f"departments/{d.department.id}-{view.month}.docx"] = (data, DOCX_TYPE)
    return files
