"""A month's results as JSON, CSV and XLSX: the same figures, numbers kept as numbers.

Every text cell of CSV and XLSX passes through `safe_cell`: a spreadsheet runs a cell that
starts with = + - @, a tab or a carriage return as a formula (OWASP "CSV injection"), so such a
text gets a leading apostrophe and is shown, never run. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from manyi.aggregate import Counts
from manyi.figures import (
    CitySummary,
    DepartmentFigures,
    QuestionFigures,
    RankedDepartment,
    question_figures,
)
from manyi.model import DEPARTMENT_KINDS, Questionnaire
from manyi.results.month import MonthView

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STATUS_TEXT = {"open": "统计中（未关账）", "closed": "已关账"}

Cell = str | int | float | None


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


# -- JSON ---------------------------------------------------------------------------------


def department_json(figures: DepartmentFigures, status: str) -> dict[str, Any]:
    counts = figures.counts
    return {
        "department": figures.department.id,
        "department_name": figures.department.name,
        "month": figures.month,
        "status": status,
        "responses": counts.responses,
        "late_responses": figures.late.responses,
        "served": figures.served,
        "coverage": rounded(figures.coverage),
        "coverage_target": figures.coverage_target,
        "below_target": figures.below_target,
        "satisfaction_index": rounded(figures.satisfaction_index, 2),
        "satisfaction_rate": rounded(figures.satisfaction_rate),
        "by_channel": dict(counts.channels),
        "by_respondent": dict(counts.respondent_types),
        "by_version": dict(counts.versions),
        "questions": {q.id: {o.id: o.count for o in q.options} for q in figures.questions},
        "answered": {q.id: q.answered for q in figures.questions},
        "satisfaction_rates": {
            q.id: rounded(q.satisfaction_rate) for q in figures.questions if q.satisfaction_scale
        },
        "awareness_gaps": {
            q.id: rounded(q.awareness_gap) for q in figures.questions if q.satisfaction_scale
        },
        "problem_rates": {
            q.id: {o.id: rounded(o.share) for o in q.problem_rates}
            for q in figures.questions
            if q.problem_rates
        },
        "late": figures.late.to_dict(),
    }


def _ranking_json(ranking: Sequence[RankedDepartment]) -> list[dict[str, Any]]:
    return [
        {"rank": r.rank, "department": r.figures.department.id, "value": rounded(r.value)}
        for r in ranking
    ]


def city_json(city: CitySummary) -> dict[str, Any]:
    return {
        "responses": city.total.responses,
        "late_responses": city.late.responses,
        "served": city.served,
        "coverage": rounded(city.coverage),
        "satisfaction_index": rounded(city.satisfaction_index, 2),
        "satisfaction_rate": rounded(city.satisfaction_rate),
        "departments_below_target": [d.department.id for d in city.below_target],
        "departments_without_served": [d.department.id for d in city.without_served],
        "questions": {q.id: {o.id: o.count for o in q.options} for q in city.questions},
    }


def month_json(view: MonthView, department: str | None = None) -> dict[str, Any]:
    city = view.city
    return {
        "month": view.month,
        "status": view.status,
        "closed_at": view.close.closed_at if view.close else None,
        "coverage_target": city.departments[0].coverage_target if city.departments else None,
        "city": city_json(city),
        "rankings": {
            "satisfaction_index": _ranking_json(city.by_index),
            "coverage": _ranking_json(city.by_coverage),
        },
        "departments": [
            department_json(d, view.status)
            for d in city.departments
            if department is None or d.department.id == department
        ],
    }


# -- the summary table (CSV, and the XLSX city sheet) ----------------------------------------


def _percent(value: float | None) -> float | None:
    """A rate as a percentage with two decimals, for the CSV that people open in a spreadsheet."""
    return None if value is None else round(value * 100, 2)


def _yes_no(flag: bool | None) -> str:
    return {True: "否", False: "是", None: "未填报服务对象数"}[flag]


def summary_columns(questionnaire: Questionnaire) -> list[str]:
    """The table's headers; a rate's header says (%), the XLSX shows the same as a percentage."""
    figures_of = _template_figures(questionnaire)
    columns = [
        "部门编号", "部门名称", "类别", "月份", "状态", "有效问卷数", "关账后收到问卷数",
        "管理和服务对象总数", "测评率(%)", "测评率达标", "满意度指数", "综合满意率(%)",
        "满意度指数排名", "测评率排名",
    ]  # fmt: skip
    columns += [f"{q.label}满意率(%)" for q in figures_of if q.satisfaction_scale]
    columns += [f"{q.label}问题率(%)：{o.text}" for q in figures_of for o in q.problem_rates]
    return columns


def _template_figures(questionnaire: Questionnaire) -> Sequence[QuestionFigures]:
    return question_figures(questionnaire, Counts())


def summary_rows(
    questionnaire: Questionnaire, view: MonthView, department: str | None = None
) -> list[list[Cell]]:
    city = view.city
    index_rank = {r.figures.department.id: r.rank for r in city.by_index}
    coverage_rank = {r.figures.department.id: r.rank for r in city.by_coverage}
    known = {q.id for q in questionnaire.questions}
    rows: list[list[Cell]] = []
    for d in city.departments:
        if department is not None and d.department.id != department:
            continue
        questions = [q for q in d.questions if q.id in known]
        row: list[Cell] = [
            d.department.id,
            d.department.name,
            DEPARTMENT_KINDS[d.department.kind],
            d.month,
            STATUS_TEXT[view.status],
            d.responses,
            d.late.responses,
            d.served,
            _percent(d.coverage),
            _yes_no(d.below_target),
            rounded(d.satisfaction_index, 2),
            _percent(d.satisfaction_rate),
            index_rank[d.department.id],
            coverage_rank[d.department.id],
        ]
        row += [_percent(q.satisfaction_rate) for q in questions if q.satisfaction_scale]
        row += [_percent(o.share) for q in questions for o in q.problem_rates]
        rows.append(row)
    return rows


def to_csv(rows: Iterable[Sequence[Cell]], columns: Sequence[str]) -> str:
    """CSV with a BOM, so that a spreadsheet opened on a Chinese Windows reads UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if c is None else safe_cell(c) for c in row])
    return out.getvalue()


def summary_csv(
    questionnaire: Questionnaire, view: MonthView, department: str | None = None
) -> str:
    return to_csv(summary_rows(questionnaire, view, department), summary_columns(questionnaire))


OPTION_COLUMNS = [
    "部门编号", "部门名称", "月份", "题号", "题目", "选项编号", "选项", "人数", "答题人数",
    "占比(%)",
]  # fmt: skip


def option_rows(view: MonthView, department: str | None = None) -> list[list[Cell]]:
    """One row per department, question and option: every count of the month, in long form."""
    rows: list[list[Cell]] = []
    for d in view.city.departments:
        if department is not None and d.department.id != department:
            continue
        for q in d.questions:
            for o in q.options:
                rows.append([
                    d.department.id, d.department.name, d.month, q.label, q.text, o.id, o.text,
                    o.count, q.answered, _percent(o.share),
                ])  # fmt: skip
    return rows


def options_csv(view: MonthView, department: str | None = None) -> str:
    return to_csv(option_rows(view, department), OPTION_COLUMNS)


# -- XLSX ---------------------------------------------------------------------------------

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


def to_xlsx(questionnaire: Questionnaire, view: MonthView) -> bytes:
    from openpyxl import Workbook  # heavy: loaded only when a workbook is made

    from manyi.results.workbook import fill_city_sheet, fill_department_sheet

    book = Workbook()
    taken: set[str] = set()
    city_sheet = book.active
    city_sheet.title = sheet_name("全市汇总", taken)
    fill_city_sheet(city_sheet, questionnaire, view)
    for figures in view.city.departments:
        sheet = book.create_sheet(sheet_name(figures.department.name, taken))
        fill_department_sheet(sheet, figures, view)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
