"""One month as the office sees it: every department's figures, the city's, and the months before.

Read from the aggregator's state (through the `ResultsStore` interface); every output renders
one. A closed month uses the served counts recorded at its close, so the frozen report keeps
the coverage it was published with.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyi.aggregate import MonthlyResult
from manyi.calendar import previous_month
from manyi.figures import CitySummary, city_summary
from manyi.model import Questionnaire
from manyi.store.results.base import CloseEvent, MonthClose, ResultsStore

# Months shown in the report's trend charts, this one included.
TREND_MONTHS = 12


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

    @property
    def closed(self) -> bool:
        return self.close is not None

    @property
    def status(self) -> str:
        return "closed" if self.closed else "open"


def month_results(store: ResultsStore, month: str) -> list[MonthlyResult]:
    return [state.result for state in store.month_states(month)]


def month_view(
    questionnaire: Questionnaire, store: ResultsStore, month: str, trend_months: int = 0
) -> MonthView:
    close = store.month_close(month)
    served = dict(close.served) if close else store.served(month)
    city = city_summary(questionnaire, month, month_results(store, month), served)
    trend: list[CitySummary] = []
    earlier = month
    for _ in range(max(trend_months - 1, 0)):
        earlier = previous_month(earlier)
        results = month_results(store, earlier)
        if results:
            earlier_close = store.month_close(earlier)
            earlier_served = dict(earlier_close.served) if earlier_close else store.served(earlier)
            trend.append(city_summary(questionnaire, earlier, results, earlier_served))
    trend.reverse()
    events = tuple(store.close_events(month))
    unlisted = tuple(
        d.department.id
        for d in city.departments
        if questionnaire.department(d.department.id) is None
    )
    return MonthView(month, close, city, (*trend, city) if trend_months else (), events, unlisted)
