"""The office's calendar: which month and day a moment belongs to, months as text, the close day.

Months are the office's months: `reporting.timezone` of questionnaire.yaml (Asia/Shanghai)
decides the month a response belongs to, the day a version is published on and the day from
which a month may be closed (`reporting.close_day`), while Lambda's clock runs in UTC. A month
is stored and keyed as `YYYY-MM` with ASCII digits; what people type is read by `parse_month`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from manyi.errors import ManyiError
from manyi.model import Reporting

# Months outside these years are typing mistakes: the survey began in 2020, and a year of five
# digits or year 0 has no month before or after it that a date can hold.
FIRST_YEAR = 2000
LAST_YEAR = 2999
# Full-width forms (ＡＳＣＩＩ, as a Chinese input method types them) and the ideographic space.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# How the office names its time zone in a report; any other goes by its IANA name.
# The zone of questionnaire.yaml's default `reporting.timezone`: used only where no
# questionnaire is at hand (the staff stores' month of an audit event, a session's login day).
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
ZONE_NAMES = dict.fromkeys(("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"), "北京时间")
# What people write for a month: 2026-11, 2026/11, 2026.11, 2026年11月 (ASCII digits only).
_MONTH = re.compile(r"^\s*([0-9]{4})\s*(?:-|/|\.|年)\s*([0-9]{1,2})\s*月?\s*$", re.ASCII)


class BadMonth(ManyiError, ValueError):
    """Text that is not a month; the message says so in Chinese, for the office."""


def half_width(text: str) -> str:
    """Full-width letters, digits and punctuation as ASCII: ２０２６－１１ → 2026-11."""
    return text.translate(_HALF_WIDTH)


def parse_month(text: str) -> str:
    """`YYYY-MM` from 2026-11, 2026/11, 2026.11 or 2026年11月 (full-width forms too)."""
    match = _MONTH.match(half_width(text))
    if match is None:
        raise BadMonth(f"月份“{text}”格式不对：请写成“2026-11”这样的年-月（阿拉伯数字）")
    year, number = int(match.group(1)), int(match.group(2))
    if not 1 <= number <= 12:
        raise BadMonth(f"月份“{text}”不对：月份应为 1 至 12")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadMonth(f"月份“{text}”不对：年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")
    return f"{year:04d}-{number:02d}"


def month_text(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


class OfficeCalendar(NamedTuple):
    """The office's time zone and close day, as questionnaire.yaml's `reporting` sets them."""

    timezone: str
    close_day: int

    @classmethod
    def of(cls, reporting: Reporting) -> OfficeCalendar:
        return cls(reporting.timezone, reporting.close_day)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo keeps one instance per name

    @property
    def zone_name(self) -> str:
        """北京时间, or the zone's IANA name followed by 时间."""
        return ZONE_NAMES.get(self.timezone, f"{self.timezone} 时间")

    def month(self, moment: datetime) -> str:
        """The office's month of an aware moment."""
        return month_text(moment.astimezone(self.zone))

    def today(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def after_day(self, month: str, day: int, moment: datetime) -> bool:
        """Whether `moment` comes after the office's day `day` of `month` (on the next day or
        later, later months included)."""
        end = datetime.combine(first_day(month).replace(day=day), time(), self.zone)
        return moment >= end + timedelta(days=1)

    def close_opens(self, month: str) -> datetime:
        """The first moment at which `month` may be closed: 00:00 of its close day."""
        return datetime.combine(first_day(month).replace(day=self.close_day), time(), self.zone)

    def early_close(self, month: str, now: datetime) -> str | None:
        """Why closing `month` at `now` would be early (a future month, or before its close
        day), in Chinese; None when the close is due."""
        if month > self.month(now):
            return f"{month} 还没有到（现在是 {self.month(now)}），不能关账"
        opens = self.close_opens(month)
        if now < opens:
            return (
                f"{month} 的关账日是 {opens:%Y-%m-%d}（{self.timezone}），"
                f"现在是 {now.astimezone(self.zone):%Y-%m-%d %H:%M}，还不能关账"
            )
        return None
