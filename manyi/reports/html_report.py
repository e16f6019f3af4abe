"""The printable monthly HTML report: the Word report's structure, with the city's trends.

The same content as `manyi report --format docx` (manyi.reports.monthly): summary, rankings with
环比, the problem-rate table (on a landscape page when printed), hooks for other features'
sections; printed on A4 it keeps to 12 pages for 38 departments. Each department's detail is in
its own report, not here.

One self-contained file: inline CSS, inline SVG, no script, nothing fetched (its Content
Security Policy forbids both). Jinja2 autoescapes every value; the charts escape their own.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment

from manyi.calendar import OfficeCalendar
from manyi.figures import CitySummary
from manyi.model import Questionnaire
from manyi.reports import charts
from manyi.reports.monthly import city_report, date_words
from manyi.reports.sections import SectionProviders
from manyi.reports.tables import (
    CLOSE_EVENT_COLUMNS,
    close_event_rows,
    office_time,
    unlisted_warning,
)
from manyi.reports.templating import figures_environment
from manyi.reports.view import MonthView

TEMPLATES = Path(__file__).with_name("templates")


def _environment() -> Environment:
    return figures_environment(TEMPLATES)


def render_report(
    questionnaire: Questionnaire,
    view: MonthView,
    providers: SectionProviders | None = None,
) -> str:
    """The city's monthly report, the structure of the Word report (`monthly.city_report`),
    dated by its close (an open month's report is not dated)."""
    city: CitySummary = view.city
    target = questionnaire.reporting.coverage_target
    issued = (
        OfficeCalendar.of(questionnaire.reporting).today(
            datetime.fromisoformat(view.close.closed_at)
        )
        if view.close
        else None
    )
    report = city_report(questionnaire, view, issued, providers)
    context: dict[str, Any] = {
        "q": questionnaire,
        "view": view,
        "city": city,
        "report": report,
        "issued": date_words(issued),
        "unlisted_warning": unlisted_warning(view.unlisted) if view.unlisted else "",
        "zone_name": OfficeCalendar.of(questionnaire.reporting).zone_name,
        "closed_at": office_time(questionnaire, view.close.closed_at) if view.close else None,
        "close_columns": CLOSE_EVENT_COLUMNS,
        "close_events": close_event_rows(questionnaire, view),
        "target": target,
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
    }
    return _environment().get_template("report.html.j2").render(context)
