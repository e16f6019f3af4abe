"""Where a department-month is heading: coverage at the close if the current pace holds.

Pure: values in, values out. The collection period of a month runs from its first day, 00:00
Beijing time, to 00:00 on the close day (`reporting.close_day`, the 27th), when the monthly
close runs. At the current pace means: responses so far, scaled by the whole period over the
part of it gone by (at least one day, so that the first hours do not project wild numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from manyi.figures import ratio
from manyi.model import Reporting

MIN_ELAPSED = timedelta(days=1)


@dataclass(frozen=True)
class Pace:
    month: str
    close_date: date  # the close day of the month, Beijing
    days_left: int  # whole days from today (Beijing) to the close day; 0 on or after it
    started: bool  # the month has begun
    projected_responses: float | None  # at the close; the count itself once the period is over
    projected_coverage: float | None  # None without a served count (or before the month)

    @property
    def over(self) -> bool:
        return self.days_left == 0 and self.started


def period(month: str, reporting: Reporting) -> tuple[datetime, datetime]:
    """The month's collection period in the office's time: [first day 00:00, close day 00:00)."""
    year, number = int(month[:4]), int(month[5:7])
    zone = ZoneInfo(reporting.timezone)
    start = datetime(year, number, 1, tzinfo=zone)
    return start, datetime(year, number, reporting.close_day, tzinfo=zone)


def pace(
    month: str,
    responses: int,
    served: int | None,
    reporting: Reporting,
    now: datetime,
    *,
    closed: bool = False,
) -> Pace:
    start, close = period(month, reporting)
    here = now.astimezone(ZoneInfo(reporting.timezone))
    days_left = max(0, (close.date() - here.date()).days)
    if here < start:
        return Pace(month, close.date(), days_left, False, None, None)
    if closed or here >= close:
        projected: float = float(responses)
        days_left = 0
    else:
        elapsed = max(here - start, MIN_ELAPSED)
        projected = responses * ((close - start) / elapsed)
    coverage = ratio(projected, served) if served else None
    return Pace(month, close.date(), days_left, True, projected, coverage)
