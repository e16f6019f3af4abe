"""One month as the office sees it: every department's figures, the city's, and the months before.

Read from the aggregator's state (through the `ResultsStore` interface); every output renders
one. A closed month uses the served counts recorded at its close, so the frozen report keeps
the coverage it was published with. Beside the figures: each department's integrity signals
(always of all its responses, whatever the selection) and the pressure question's counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from manyi.aggregate import MonthlyResult
from manyi.calendar import OfficeCalendar, previous_month
from manyi.figures import CitySummary, city_summary
from manyi.integrity import DepartmentInput, DepartmentSignals, month_context, month_signals
from manyi.model import Questionnaire
from manyi.selection import EVERYTHING, Selection
from manyi.store.pressure.base import MonthCounts, PressureStore
from manyi.store.results.base import CloseEvent, MonthClose, ResultsStore

# Months shown in the report's trend charts, this one included.
TREND_MONTHS = 12
# A served count set or changed after this day of its month is flagged: by then the month's
# pace is known, and a smaller denominator would lift a lagging coverage.
SERVED_CHANGE_DAY = 20


@dataclass(frozen=True)
class MonthView:
    month: str
    close: MonthClose | None
    city: CitySummary
    # This month and the ones before it, oldest first, for the trend (only months with data).
    trend: tuple[CitySummary, ...] = ()
    # Who closed and reopened the month, when and why, oldest first.
    close_events: tuple[CloseEvent, ...] = ()
    # Departments with results that questionnaire.yaml no longer lists: shown by their ID.
    unlisted: tuple[str, ...] = ()
    # Which responses the figures count (every one, unless a filter says otherwise).
    selection: Selection = EVERYTHING
    # Department ID → its integrity signals this month (manyi.integrity).
    signals: Mapping[str, DepartmentSignals] = field(default_factory=dict)
    # Department ID → answer → count of the pressure question (manyi.collector.pressure);
    # None where they were not read (a department's own downloads, a store without them).
    pressure: MonthCounts | None = None

    @property
    def closed(self) -> bool:
        return self.close is not None

    @property
    def status(self) -> str:
        return "closed" if self.closed else "open"


def month_results(
    store: ResultsStore,
    month: str,
    questionnaire: Questionnaire | None = None,
    selection: Selection = EVERYTHING,
) -> list[MonthlyResult]:
    results = [state.result for state in store.month_states(month)]
    if questionnaire is None or selection.everything:
        return results
    return [selection.result(questionnaire, r) for r in results]


def served_changed_late(
    questionnaire: Questionnaire, store: ResultsStore, month: str, close: MonthClose | None
) -> set[str]:
    """Departments whose served count changed after the 20th (and, once closed, before the
    close: a count changed after it is not the one the report uses)."""
    calendar = OfficeCalendar.of(questionnaire.reporting)
    return {
        department
        for department, at in store.served_changes(month).items()
        if calendar.after_day(month, SERVED_CHANGE_DAY, datetime.fromisoformat(at))
        and (close is None or at <= close.closed_at)
    }


def month_city(
    questionnaire: Questionnaire,
    store: ResultsStore,
    month: str,
    selection: Selection = EVERYTHING,
) -> CitySummary:
    """The city's figures of `month` as its report shows them (served counts at the close)."""
    close = store.month_close(month)
    served = dict(close.served) if close else store.served(month)
    late = served_changed_late(questionnaire, store, month, close)
    results = month_results(store, month, questionnaire, selection)
    return city_summary(questionnaire, month, results, served, late)


def month_view(
    questionnaire: Questionnaire,
    store: ResultsStore,
    month: str,
    trend_months: int = 0,
    selection: Selection = EVERYTHING,
    pressure: PressureStore | None = None,
) -> MonthView:
    close = store.month_close(month)
    city = month_city(questionnaire, store, month, selection)
    whole = city if selection.everything else month_city(questionnaire, store, month)
    trend: list[CitySummary] = []
    earlier = month
    for _ in range(max(trend_months - 1, 0)):
        earlier = previous_month(earlier)
        if store.month_states(earlier):
            trend.append(month_city(questionnaire, store, earlier, selection))
    trend.reverse()
    events = tuple(store.close_events(month))
    unlisted = tuple(
        d.department.id
        for d in city.departments
        if questionnaire.department(d.department.id) is None
    )
    return MonthView(
        month,
        close,
        city,
        (*trend, city) if trend_months else (),
        events,
        unlisted,
        selection,
        city_signals(questionnaire, whole, close, store.served(month) if close else None),
        pressure.month_counts(month) if pressure is not None else None,
    )


def city_signals(
    questionnaire: Questionnaire,
    city: CitySummary,
    close: MonthClose | None,
    served_now: Mapping[str, int] | None,
) -> dict[str, DepartmentSignals]:
    """Every department's signals for the month; `served_now`: the served counts as they are
    now, for a closed month (whose figures use those recorded at its close)."""
    return month_signals(
        month_context(questionnaire, city.month),
        [
            DepartmentInput(
                department=d.department.id,
                counts=d.counts,
                coverage=d.coverage,
                served_at_close=close.served.get(d.department.id) if close else None,
                served_now=served_now.get(d.department.id) if served_now is not None else None,
                served_changed_late=d.served_changed_late,
            )
            for d in city.departments
        ],
    )
