"""Coverage at the close at the current pace, and the days left to the close day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Reporting
from manyi.pace import pace

REPORTING = Reporting(coverage_target=0.9, close_day=27, timezone="Asia/Shanghai")


def beijing(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=BEIJING)


def test_halfway_through_the_period_the_pace_doubles_the_count() -> None:
    # 13 of the 26 days from 1 Nov to the close on 27 Nov, 00:00 Beijing time.
    got = pace("2026-11", 400, 1000, REPORTING, beijing(14))
    assert got.projected_responses == pytest.approx(800)
    assert got.projected_coverage == pytest.approx(0.8)
    assert got.days_left == 13
    assert got.close_date == date(2026, 11, 27)


def test_the_first_hours_count_as_a_whole_day() -> None:
    got = pace("2026-11", 10, 1000, REPORTING, beijing(1, 3))
    assert got.projected_responses == pytest.approx(10 * 26)
    assert got.days_left == 26


def test_after_the_close_day_or_once_closed_the_projection_is_the_count() -> None:
    assert pace("2026-11", 950, 1000, REPORTING, beijing(28)).projected_coverage == 0.95
    early = pace("2026-11", 950, 1000, REPORTING, beijing(20), closed=True)
    assert early.projected_responses == 950
    assert early.days_left == 0
    assert early.over


def test_without_a_served_count_there_is_no_coverage_and_zero_served_is_not_a_rate() -> None:
    assert pace("2026-11", 10, None, REPORTING, beijing(14)).projected_coverage is None
    assert pace("2026-11", 0, 0, REPORTING, beijing(14)).projected_coverage is None


def test_a_month_not_begun_projects_nothing() -> None:
    got = pace("2026-12", 0, 100, REPORTING, beijing(14))
    assert not got.started
    assert got.projected_responses is None
    assert got.days_left == 43  # 14 November to 27 December
