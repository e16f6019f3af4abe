"""A month's files by name: how each is made and its content type (the published set).

The HTML report carries the 回访 and 投诉举报 sections only when the caller gives their
providers (manyi.reports.providers): `manyi report` and the workspace do; the aggregator
publishes the survey's figures alone, since its role reads no table of personal data.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from manyi.model import Questionnaire
from manyi.reports.csv_export import options_csv, summary_csv
from manyi.reports.html_report import render_report
from manyi.reports.json_export import month_json
from manyi.reports.sections import SectionProviders
from manyi.reports.view import MonthView

CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def json_bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _xlsx(questionnaire: Questionnaire, view: MonthView, providers: SectionProviders) -> bytes:
    from manyi.reports.workbook import to_xlsx  # openpyxl: only when a workbook is made

    return to_xlsx(questionnaire, view)


Renderer = Callable[[Questionnaire, MonthView, SectionProviders], bytes]
# A month's files: name → (how to make it, content type).
FILES: dict[str, tuple[Renderer, str]] = {
    "results.json": (lambda q, view, _: json_bytes(month_json(view)), JSON_TYPE),
    "summary.csv": (lambda q, view, _: summary_csv(q, view).encode("utf-8"), CSV_TYPE),
    "options.csv": (lambda q, view, _: options_csv(view).encode("utf-8"), CSV_TYPE),
    "results.xlsx": (_xlsx, XLSX_TYPE),
    "report.html": (lambda q, view, p: render_report(q, view, p).encode("utf-8"), HTML_TYPE),
}


def month_file(
    questionnaire: Questionnaire,
    view: MonthView,
    name: str,
    providers: SectionProviders | None = None,
) -> tuple[bytes, str]:
    render, content_type = FILES[name]
    return render(questionnaire, view, providers or {}), content_type


def month_files(
    questionnaire: Questionnaire, view: MonthView, providers: SectionProviders | None = None
) -> dict[str, tuple[bytes, str]]:
    """File name → (content, content type) of a month's results and report."""
    return {name: month_file(questionnaire, view, name, providers) for name in FILES}
