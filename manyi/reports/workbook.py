"""A month's results as an XLSX workbook: the city summary first, then one sheet per department.

Rates are stored as fractions with a percentage format, counts as integers, so the office can
sort, sum and chart them; every text goes through `safe_cell`. openpyxl is imported here only,
so nothing else pays for it.

The same figures give the same bytes: openpyxl would stamp the save time into docProps/core.xml
and into every zip entry, and a publish that compares bytes would then rewrite an unchanged
workbook every hour.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from manyi.figures import DepartmentFigures
from manyi.model import Questionnaire
from manyi.reports.tables import (
    CLOSE_EVENT_COLUMNS,
    STATUS_TEXT,
    UNLISTED,
    Cell,
    breakdowns,
    close_event_rows,
    departments_shown,
    rounded,
    safe_cell,
    summary_columns,
    summary_rows,
    unlisted_warning,
)
from manyi.reports.view import MonthView

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
PERCENT = "0.0%"

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'")[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def to_xlsx(questionnaire: Questionnaire, view: MonthView, department: str | None = None) -> bytes:
    """The city's sheet, then each department's; with `department`, the city's totals with
    that department's row only, and its own sheet."""
    book = Workbook()
    taken: set[str] = set()
    city_sheet = book.active
    city_sheet.title = sheet_name("全市汇总", taken)
    fill_city_sheet(city_sheet, questionnaire, view, department)
    for figures in departments_shown(view, department):
        sheet = book.create_sheet(sheet_name(figures.department.name, taken))
        fill_department_sheet(sheet, questionnaire, figures, view)
    return _saved(book, *workbook_times(view))


def workbook_times(view: MonthView) -> tuple[datetime, datetime]:
    """Created: the month's first day; modified: its close, if closed (UTC, naive as openpyxl
    wants). Both come from the figures' own month, never from the clock."""
    created = datetime.strptime(view.month, "%Y-%m")
    if view.close is None:
        return created, created
    closed = datetime.fromisoformat(view.close.closed_at)
    if closed.tzinfo is not None:
        closed = closed.astimezone(UTC).replace(tzinfo=None)
    return created, closed


def _saved(book: Any, created: datetime, modified: datetime) -> bytes:
    # openpyxl's save_workbook() sets `modified` to now; its ExcelWriter keeps what it is given.
    book.properties.created, book.properties.modified = created, modified
    out = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _with_entry_times(out.getvalue(), modified)


def _with_entry_times(data: bytes, when: datetime) -> bytes:
    """The same archive, every entry dated `when` instead of the moment it was written."""
    stamp = when.timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            dated = zipfile.ZipInfo(entry.filename, date_time=stamp)
            dated.compress_type = zipfile.ZIP_DEFLATED
            dated.external_attr = entry.external_attr
            target.writestr(dated, source.read(entry))
    return out.getvalue()


def _append(sheet: Any, row: Sequence[Cell], *, bold: bool = False) -> None:
    sheet.append([safe_cell(c) for c in row])
    if bold:
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
            cell.fill = HEADER_FILL


def _fraction(percent: Cell) -> Cell:
    return percent / 100 if isinstance(percent, (int, float)) else percent


def fill_city_sheet(
    sheet: Any, questionnaire: Questionnaire, view: MonthView, department: str | None = None
) -> None:
    city = view.city
    title = f"{questionnaire.title} {view.month} 全市汇总（{STATUS_TEXT[view.status]}）"
    sheet.append([safe_cell(title)])
    sheet["A1"].font = TITLE
    if view.unlisted:
        _append(sheet, [unlisted_warning(view.unlisted)], bold=True)
    facts: list[tuple[str, Cell, bool]] = [
        ("有效问卷数", city.total.responses, False),
        ("关账后收到问卷数", city.late.responses, False),
        ("已填报的管理和服务对象总数", city.served, False),
        ("测评率（已填报部门）", city.coverage, True),
        ("满意度指数", rounded(city.satisfaction_index, 2), False),
        ("综合满意率", city.satisfaction_rate, True),
        ("测评率未达标部门数", len(city.below_target), False),
        ("未填报服务对象数的部门数", len(city.without_served), False),
    ]  # fmt: skip
    for label, value, is_rate in facts:
        _append(sheet, [label, value])
        if is_rate:
            sheet.cell(sheet.max_row, 2).number_format = PERCENT
    events = close_event_rows(questionnaire, view)
    if events:
        sheet.append([])
        _append(sheet, ["关账记录：" + CLOSE_EVENT_COLUMNS[0], *CLOSE_EVENT_COLUMNS[1:]], bold=True)
        for row in events:
            _append(sheet, row)
    sheet.append([])
    columns = summary_columns(questionnaire)
    _append(sheet, [c.replace("(%)", "") for c in columns], bold=True)
    header_row = sheet.max_row
    rate_columns = {i for i, c in enumerate(columns) if "(%)" in c}
    for row in summary_rows(questionnaire, view, department):
        _append(sheet, [_fraction(c) if i in rate_columns else c for i, c in enumerate(row)])
        for i in rate_columns:
            sheet.cell(sheet.max_row, i + 1).number_format = PERCENT
    sheet.freeze_panes = sheet.cell(header_row + 1, 3)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 24
    for i in range(3, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(i)].width = 9
    # The headers are long (第3题问题率：越权执法): wrapped, so that the columns stay narrow.
    for cell in sheet[header_row]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[header_row].height = 80
    print_setup(sheet, title, header_row)


def fill_department_sheet(
    sheet: Any, questionnaire: Questionnaire, figures: DepartmentFigures, view: MonthView
) -> None:
    d = figures
    name = d.department.name + (f"（{UNLISTED}）" if d.department.id in view.unlisted else "")
    sheet.append([safe_cell(f"{name} {d.month}（{STATUS_TEXT[view.status]}）")])
    sheet["A1"].font = TITLE
    facts: list[tuple[str, Cell, bool]] = [
        ("部门编号", d.department.id, False),
        ("有效问卷数", d.responses, False),
        ("关账后收到问卷数", d.late.responses, False),
        ("管理和服务对象总数", d.served, False),
        ("测评率", d.coverage, True),
        ("测评率目标", d.coverage_target, True),
        ("满意度指数", rounded(d.satisfaction_index, 2), False),
        ("综合满意率", d.satisfaction_rate, True),
    ]  # fmt: skip
    for label, value, is_rate in facts:
        _append(sheet, [label, value])
        if is_rate:
            sheet.cell(sheet.max_row, 2).number_format = PERCENT
    for title, rows in breakdowns(questionnaire, d.counts):
        sheet.append([])
        _append(sheet, [title, "份数"], bold=True)
        for label, n in rows:
            _append(sheet, [label, n])
    sheet.append([])
    _append(sheet, ["题号", "题目", "选项", "人数", "占比", "满意率", "问题率"], bold=True)
    header_row = sheet.max_row
    for q in d.questions:
        problem_ids = {o.id for o in q.problem_rates}
        for i, o in enumerate(q.options):
            _append(
                sheet,
                [
                    q.label if i == 0 else None,
                    q.text if i == 0 else None,
                    o.text,
                    o.count,
                    o.share,
                    q.satisfaction_rate if i == 0 and q.satisfaction_scale else None,
                    o.share if o.id in problem_ids else None,
                ],
            )
            for column in (5, 6, 7):
                sheet.cell(sheet.max_row, column).number_format = PERCENT
            sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 22
    for letter in "DEFG":
        sheet.column_dimensions[letter].width = 10
    print_setup(sheet, f"{name} {d.month}", header_row)


def print_setup(sheet: Any, title: str, header_row: int) -> None:
    """Printed on A4 landscape, every column on one page's width (as many pages down as it
    takes), the column headers repeated on each page, the title in the page header and the
    page number in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    # &P and &N are the page number and count; & itself is doubled in a header's text.
    sheet.oddHeader.center.text = title.replace("&", "&&")
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
