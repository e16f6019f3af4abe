"""The monthly report's complaint section: counts by category, department and status, and the
on-time rate, from complaints alone. Nothing personal: no name, phone, account of events,
officer or place ever enters these figures, so every export made from them is safe to share.

`month_figures` takes complaints and settings and returns values (no store, no clock);
`store_figures` reads the month from a store first: what the Word report calls.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from manyi.complaints.deadlines import deadlines, on_time
from manyi.complaints.model import ABOUT_TEXT, STATUS_TEXT, Complaint, ComplaintSettings
from manyi.complaints.settings import CATEGORIES
from manyi.model import Questionnaire
from manyi.reports.tables import safe_cell
from manyi.store.complaints.base import ComplaintStore

EXPORT_COLUMNS = (
    "受理编号",
    "被投诉单位",
    "问题类别",
    "投诉对象",
    "收到日期",
    "当前状态",
    "受理期限",
    "办结期限",
    "办结或不予受理日期",
    "是否按期",
)


@dataclass(frozen=True)
class ComplaintFigures:
    month: str  # YYYY-MM: complaints received in this Beijing month
    received: int
    by_category: dict[str, int]  # category ID -> count, every category listed
    by_department: dict[str, int]  # department ID -> count, only those with complaints
    by_status: dict[str, int]  # status -> count (now), every status listed
    closed: int  # of these, concluded or refused by now
    closed_on_time: int
    unknown_deadline: int = 0  # deadlines the installed calendar cannot count
    notes: list[str] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        """Closed by the deadline, of those closed; None before any is closed."""
        return self.closed_on_time / self.closed if self.closed else None


def month_figures(
    complaints: Iterable[Complaint], month: str, settings: ComplaintSettings
) -> ComplaintFigures:
    """The figures of complaints received in `month` (their state as given)."""
    of_month = [c for c in complaints if c.received_on[:7] == month]
    closed = [c for c in of_month if c.closed_on is not None]
    timely = [on_time(c, settings) for c in closed]
    unknown = sum(1 for c in of_month if deadlines(c, settings).problem)
    notes = sorted({deadlines(c, settings).problem for c in of_month} - {""})
    categories = Counter(c.category for c in of_month)
    statuses = Counter(c.status for c in of_month)
    return ComplaintFigures(
        month=month,
        received=len(of_month),
        by_category={category: categories.get(category, 0) for category in CATEGORIES},
        by_department=dict(sorted(Counter(c.department for c in of_month).items())),
        by_status={status: statuses.get(status, 0) for status in STATUS_TEXT},
        closed=len(closed),
        closed_on_time=sum(1 for t in timely if t),
        unknown_deadline=unknown,
        notes=notes,
    )


def store_figures(
    store: ComplaintStore, questionnaire: Questionnaire, month: str
) -> ComplaintFigures:
    """The figures of `month` as the store holds them now (complaints are numbered in the
    Beijing year they arrive, so one year's Query holds the month)."""
    return month_figures(store.year(int(month[:4])), month, questionnaire.complaints)


def export_rows(
    questionnaire: Questionnaire, complaints: Iterable[Complaint]
) -> list[tuple[str, ...]]:
    """One row per complaint, without anything personal or typed by the complainant."""
    rows: list[tuple[str, ...]] = []
    for c in complaints:
        department = questionnaire.department(c.department)
        found = deadlines(c, questionnaire.complaints)
        timely = on_time(c, questionnaire.complaints)
        rows.append(
            (
                c.number,
                department.name if department else c.department,
                CATEGORIES.get(c.category, c.category),
                ABOUT_TEXT[c.about],
                c.received_on,
                STATUS_TEXT[c.status],
                found.accept_due.isoformat() if found.accept_due else "",
                found.conclude_due.isoformat() if found.conclude_due else "",
                c.closed_on or "",
                "" if timely is None else ("是" if timely else "否"),
            )
        )
    return rows


def export_csv(questionnaire: Questionnaire, complaints: Iterable[Complaint]) -> bytes:
    """The rows as CSV (UTF-8 with BOM, for Excel), formula-safe (manyi.reports.tables)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in export_rows(questionnaire, complaints):
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
