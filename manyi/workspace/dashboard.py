"""The figures behind the two dashboards, read from the aggregator's results store.

Nothing is counted here: every figure comes from `manyi.figures` over the stored counts, the
pace from `manyi.pace`. A department's view is built from its own department-month only, so
nothing of another department can reach its page or its downloads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from manyi.calendar import previous_month
from manyi.figures import CitySummary, DepartmentFigures, city_summary
from manyi.model import Department, Questionnaire
from manyi.pace import Pace, pace
from manyi.reports.view import MonthView, month_view, served_changed_late
from manyi.selection import EVERYTHING, Selection
from manyi.store.results.base import MonthClose, ResultsStore
from manyi.workspace.reports import ReportFiles, report_key

# Where a department stands in the office's table, most urgent first.
SILENT, BEHIND, NO_SERVED, ON_TRACK = range(4)
GROUP_TEXT = {
    SILENT: "无问卷、未填报服务对象数",
    BEHIND: "预计关账时测评率未达标",
    NO_SERVED: "未填报服务对象数",
    ON_TRACK: "进度正常",
}


def served_counts(store: ResultsStore, month: str, close: MonthClose | None) -> dict[str, int]:
    """A closed month keeps the served counts of its close (its report was published so)."""
    return dict(close.served) if close is not None else store.served(month)


def department_view(
    questionnaire: Questionnaire,
    store: ResultsStore,
    month: str,
    department: Department,
    selection: Selection = EVERYTHING,
) -> MonthView:
    """The month as one department sees it: its own counts and nothing else."""
    only = replace(questionnaire, departments=(department,))
    close = store.month_close(month)
    served = served_counts(store, month, close)
    mine = {department.id: served[department.id]} if department.id in served else {}
    result = selection.result(questionnaire, store.state(department.id, month).result)
    late = served_changed_late(questionnaire, store, month, close) & {department.id}
    city = city_summary(only, month, [result], mine, late)
    return MonthView(month, close, city, selection=selection)


@dataclass(frozen=True)
class DepartmentDashboard:
    month: str
    view: MonthView
    previous: DepartmentFigures
    pace: Pace
    counted_at: datetime | None

    @property
    def figures(self) -> DepartmentFigures:
        return self.view.city.departments[0]


def department_dashboard(
    questionnaire: Questionnaire,
    store: ResultsStore,
    reports: ReportFiles | None,
    department: Department,
    month: str,
    now: datetime,
    selection: Selection = EVERYTHING,
) -> DepartmentDashboard:
    view = department_view(questionnaire, store, month, department, selection)
    earlier = department_view(questionnaire, store, previous_month(month), department, selection)
    figures = view.city.departments[0]
    watermark = store.state(department.id, month).watermark
    return DepartmentDashboard(
        month=month,
        view=view,
        previous=earlier.city.departments[0],
        pace=pace(
            month,
            figures.responses,
            figures.served,
            questionnaire.reporting,
            now,
            closed=view.closed,
        ),
        counted_at=counted_at(reports, month, [watermark]),
    )


@dataclass(frozen=True)
class OfficeRow:
    figures: DepartmentFigures
    previous: DepartmentFigures | None
    pace: Pace
    group: int

    @property
    def group_text(self) -> str:
        return GROUP_TEXT[self.group]


@dataclass(frozen=True)
class OfficeDashboard:
    month: str
    view: MonthView
    previous: CitySummary
    rows: tuple[OfficeRow, ...]
    counted_at: datetime | None

    @property
    def city(self) -> CitySummary:
        return self.view.city


ClosedMonths = dict[tuple[str, str, str, Selection], CitySummary]


def office_dashboard(
    questionnaire: Questionnaire,
    store: ResultsStore,
    reports: ReportFiles | None,
    month: str,
    now: datetime,
    closed_months: ClosedMonths | None = None,
    selection: Selection = EVERYTHING,
) -> OfficeDashboard:
    """`closed_months` keeps the figures of closed months between calls: a closed month's
    report counts and served counts are frozen until it is reopened (which changes its key)."""
    states = store.month_states(month)
    close = store.month_close(month)
    served = served_counts(store, month, close)
    late = served_changed_late(questionnaire, store, month, close)
    results = [selection.result(questionnaire, s.result) for s in states]
    city = city_summary(questionnaire, month, results, served, late)
    view = MonthView(month, close, city, selection=selection)
    previous = _city_of(questionnaire, store, previous_month(month), closed_months, selection)
    before = {d.department.id: d for d in previous.departments}
    target = questionnaire.reporting.coverage_target
    rows = []
    for figures in city.departments:
        expected = pace(
            month, figures.responses, figures.served, questionnaire.reporting, now,
            closed=view.closed,
        )  # fmt: skip
        group = _group(figures, expected, target)
        rows.append(OfficeRow(figures, before.get(figures.department.id), expected, group))
    rows.sort(key=lambda r: (r.group, r.pace.projected_coverage or 0.0, r.figures.department.id))
    watermarks = [s.watermark for s in states]
    return OfficeDashboard(
        month, view, previous, tuple(rows), counted_at(reports, month, watermarks)
    )


def _city_of(
    questionnaire: Questionnaire,
    store: ResultsStore,
    month: str,
    closed_months: ClosedMonths | None,
    selection: Selection,
) -> CitySummary:
    close = store.month_close(month)
    key = (month, close.closed_at, questionnaire.version, selection) if close is not None else None
    if key is not None and closed_months is not None and key in closed_months:
        return closed_months[key]
    city = month_view(questionnaire, store, month, selection=selection).city
    if key is not None and closed_months is not None:
        closed_months[key] = city
    return city


def _group(figures: DepartmentFigures, expected: Pace, target: float) -> int:
    if figures.responses == 0 and figures.served is None:
        return SILENT
    if figures.served is None:
        return NO_SERVED
    coverage = expected.projected_coverage
    if figures.served and (coverage is None or coverage < target):
        return BEHIND
    return ON_TRACK


def counted_at(reports: ReportFiles | None, month: str, watermarks: list[str]) -> datetime | None:
    """When the month's figures were last counted: the aggregator's last write of the month's
    files; without files, the latest watermark (every response received before it is in)."""
    times = []
    if reports is not None:
        for name in ("results.json", "late.json"):
            modified = reports.modified(report_key(month, name))
            if modified is not None:
                times.append(modified)
    if times:
        return max(times)
    marks = [w.removeprefix("R#") for w in watermarks if w]
    if not marks:
        return None
    return datetime.fromisoformat(max(marks).replace("Z", "+00:00")).astimezone(UTC)
