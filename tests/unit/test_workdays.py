"""Working-day deadlines against the State Council's published 2025 and 2026 holiday schedules."""

from __future__ import annotations

from datetime import date

import pytest

from manyi.workdays import (
    UnknownCalendarYear,
    add_working_days,
    is_working_day,
    working_days_between,
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025: National Day and Mid-Autumn, 1–8 October off; Sunday 28 September and Saturday
        # 11 October are make-up working days (国办发明电〔2024〕12号).
        (date(2025, 9, 28), True),
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
        (date(2025, 10, 12), False),
        # 2026: Mid-Autumn on Friday 25 September; National Day 1–7 October off; Sunday
        # 20 September and Saturday 10 October are make-up working days.
        (date(2026, 9, 20), True),
        (date(2026, 9, 25), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),
        (date(2026, 10, 11), False),
        # An ordinary weekday and weekend.
        (date(2026, 11, 30), True),
        (date(2026, 11, 29), False),
    ],
)
def test_the_official_schedules(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_five_working_days_across_national_day_2025() -> None:
    # Received Tuesday 30 September 2025: 1–8 October are off, Thursday 9, Friday 10, the
    # make-up Saturday 11, Monday 13 and Tuesday 14 are the five working days.
    assert add_working_days(date(2025, 9, 30), 5) == date(2025, 10, 14)


def test_five_working_days_across_national_day_2026() -> None:
    # Received Tuesday 29 September 2026: 30 September, then 8, 9, the make-up Saturday 10,
    # and Monday 12 October.
    assert add_working_days(date(2026, 9, 29), 5) == date(2026, 10, 12)


def test_thirty_working_days_is_longer_than_six_weeks_over_a_holiday() -> None:
    due = add_working_days(date(2026, 9, 15), 30)
    assert working_days_between(date(2026, 9, 15), due) == 30
    assert (due - date(2026, 9, 15)).days > 42


def test_zero_days_is_the_start_day_and_negative_is_refused() -> None:
    assert add_working_days(date(2026, 3, 2), 0) == date(2026, 3, 2)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 3, 2), -1)


def test_counting_back_in_time_gives_zero() -> None:
    assert working_days_between(date(2026, 3, 10), date(2026, 3, 2)) == 0


def test_a_year_the_calendar_does_not_know_is_refused_with_a_message() -> None:
    with pytest.raises(UnknownCalendarYear) as refused:
        add_working_days(date(2099, 12, 20), 5)
    assert refused.value.year == 2099
    assert "2099" in str(refused.value)
    assert "chinese-calendar" in str(refused.value)
