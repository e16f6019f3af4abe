"""The printable monthly HTML report: figures, rankings and trends with inline SVG charts.

One self-contained file: inline CSS, inline SVG, no script, nothing fetched (its Content
Security Policy forbids both). Jinja2 autoescapes every value; the charts escape their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment

from manyi.calendar import OfficeCalendar
from manyi.figures import CitySummary, DepartmentFigures
from manyi.model import Questionnaire
from manyi.reports import charts
from manyi.reports.tables import (
    CLOSE_EVENT_COLUMNS,
    STATUS_TEXT,
    UNLISTED,
    breakdowns,
    close_event_rows,
    office_time,
    percent,
    problem_rates_text,
    unlisted_warning,
)
from manyi.reports.templating import figures_environment
from manyi.reports.view import MonthView

TEMPLATES = Path(__file__).with_name("templates")


def _environment() -> Environment:
    return figures_environment(TEMPLATES)


def _department_trend(view: MonthView, department: str) -> list[DepartmentFigures]:
    return [d for month in view.trend for d in month.departments if d.department.id == department]


def render_report(questionnaire: Questionnaire, view: MonthView) -> str:
    city: CitySummary = view.city
    target = questionnaire.reporting.coverage_target
    max_coverage = max([1.0, *(r.value or 0 for r in city.by_coverage)])
    context: dict[str, Any] = {
        "q": questionnaire,
        "view": view,
        "city": city,
        "status_text": STATUS_TEXT[view.status],
        "unlisted_warning": unlisted_warning(view.unlisted) if view.unlisted else "",
        "unlisted_text": UNLISTED,
        "breakdowns": lambda counts: breakdowns(questionnaire, counts),
        "problem_rates": lambda question: problem_rates_text(questionnaire, question),
        "zone_name": OfficeCalendar.of(questionnaire.reporting).zone_name,
        "closed_at": office_time(questionnaire, view.close.closed_at) if view.close else None,
        "close_columns": CLOSE_EVENT_COLUMNS,
        "close_events": close_event_rows(questionnaire, view),
        "target": target,
        "charts": charts,
        "index_ranking": charts.ranking(
            city.by_index, "各部门满意度指数排名", scale=100, as_percent=False
        ),
        "coverage_ranking": charts.ranking(
            city.by_coverage,
            f"各部门测评率排名（目标 {percent(target, 0)}）",
            scale=max_coverage,
            as_percent=True,
            target=target,
        ),
        "index_trend": charts.trend(
            [(m.month, m.satisfaction_index) for m in view.trend],
            "全市满意度指数逐月变化",
            scale=100,
            as_percent=False,
        ),
        "coverage_trend": charts.trend(
            [(m.month, m.coverage) for m in view.trend],
            "全市测评率逐月变化",
            scale=max([1.0, *(m.coverage or 0 for m in view.trend)]),
            as_percent=True,
            target=target,
        ),
        "department_trend": lambda d: charts.trend(
            [(f.month, f.satisfaction_index) for f in _department_trend(view, d.department.id)],
            f"{d.department.name}满意度指数逐月变化",
            scale=100,
            as_percent=False,
        ),
    }
    return _environment().get_template("report.html.j2").render(context)
