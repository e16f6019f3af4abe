"""Deadlines in working days on the Chinese statutory calendar (holidays and make-up working days).

Complaint rules count "5 个工作日内受理" and the like in working days: weekends are off, statutory
holidays are off even on weekdays, and the make-up days (调休上班) are working days even on a
Saturday or Sunday. The State Council publishes each year's schedule late in the year before, and
the `chinese-calendar` package carries it; a year it does not know is refused loudly, because a
deadline guessed from weekdays alone would be wrong around every long holiday.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from manyi.errors import ManyiError


class UnknownCalendarYear(ManyiError, ValueError):
    """The installed holiday calendar has no schedule for this year."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"已安装的法定节假日日历没有 {year} 年的安排，无法按工作日计算期限；"
            f"请升级 chinese-calendar 后再试（the installed calendar does not know {year})"
        )


def is_working_day(day: date) -> bool:
    """True on a working day: a weekday that is no holiday, or a make-up working day."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as missing:
        raise UnknownCalendarYear(day.year) from missing


def add_working_days(start: date, days: int) -> date:
    """The day on which a period of `days` working days that begins after `start` ends.

    The start day itself does not count (a complaint received on a Friday before the National
    Day holiday has its first working day after the holiday), as administrative periods are
    counted in China.
    """
    if days < 0:
        raise ValueError("a period of working days cannot be negative")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days fall after `start` up to and including `end` (0 if end ≤ start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
