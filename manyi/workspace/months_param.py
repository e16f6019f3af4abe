"""Reading a month from a request, and the months a page offers to switch to."""

from __future__ import annotations

import re
from datetime import datetime

from manyi.calendar import OfficeCalendar, previous_month

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTHS_OFFERED = 13


def month_of(given: str | None, now: datetime, calendar: OfficeCalendar) -> str | None:
    """The month named (YYYY-MM) or the office's month when none is; None when malformed."""
    if not given:
        return calendar.month(now)
    return given if MONTH.match(given) else None


def recent_months(
    now: datetime, calendar: OfficeCalendar, count: int = MONTHS_OFFERED
) -> list[str]:
    """The office's month and the ones before it, newest first."""
    months = [calendar.month(now)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months
