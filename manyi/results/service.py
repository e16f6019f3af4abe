"""The aggregator's one service: what `manyi aggregate` and the scheduled Lambda both ask of it.

A request names an action, and optionally the months:
- `aggregate`: count what is new and rewrite the months' files (default: the office's month
  and the one before);
- `close`: close months, then count and write (default: last month if still open, and this
  month once its close day has come). Naming a month before its close day, or one that has
  not begun, is refused unless the request is forced and says why;
- `reopen`: un-freeze named months, saying why: their late arrivals join the report again and
  their files are rewritten until the next close;
- `verify`: count the months again from scratch and compare, changing nothing.
Who closed or reopened a month, when and why, is kept beside its close (`CloseEvent`) and
shown in its report. A department that questionnaire.yaml no longer lists is still counted,
verified and shown (by its ID); `Summary.unlisted` names it, for a warning. Every run but
`verify` also deletes the collector's network keys of the past days of closed months
(docs/integrity.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from manyi.calendar import previous_month
from manyi.errors import ManyiError
from manyi.model import Questionnaire
from manyi.results.backends import Backend
from manyi.results.outputs import publish_month
from manyi.results.run import DEFAULT_LAG, Aggregator, Disagreement, Progress, default_months
from manyi.store.network_keys.base import NetworkKeys

Action = Literal["aggregate", "close", "reopen", "verify"]
ACTIONS: tuple[Action, ...] = ("aggregate", "close", "reopen", "verify")


class RefusedRequest(ManyiError, ValueError):
    """The request cannot be carried out as asked; the message says why, in Chinese."""


@dataclass(frozen=True)
class Request:
    action: Action = "aggregate"
    months: tuple[str, ...] | None = None  # None: the action's default months
    by: str = ""  # who asks: a person's name, or the schedule
    reason: str = ""  # why: needed to reopen, and to force an early close
    force: bool = False  # close even before the close day (with a reason)


@dataclass
class Summary:
    action: Action
    months: list[str]
    read: int = 0
    written: int = 0
    closed: list[str] = field(default_factory=list)
    already_closed: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    checked: int = 0  # department-months verified
    # Departments counted that questionnaire.yaml no longer lists (shown by their ID).
    unlisted: list[str] = field(default_factory=list)
    keys_destroyed: list[str] = field(default_factory=list)  # days whose network key went


def destroy_closed_keys(aggregator: Aggregator, keys: NetworkKeys, now: datetime) -> list[str]:
    """Delete the network keys of every past day of a closed month (this one or the last two):
    grouping a closed month's responses by network is done, so nothing may link them to an
    address any more. Today's key stays until the day is over (the collector uses it)."""
    current = aggregator.calendar.month(now)
    today = aggregator.calendar.today(now)
    earlier = previous_month(current)
    destroyed: list[str] = []
    for month in (previous_month(earlier), earlier, current):
        if aggregator.store.month_close(month) is not None:
            destroyed += keys.destroy_before(month, today)
    return destroyed


def months_to_close(aggregator: Aggregator, now: datetime) -> list[str]:
    """Last month if still open, and this month once its close day has come.

    Last month is open only when its own close never ran (an outage); closing it now puts all
    of it in the report, since it has ended.
    """
    current = aggregator.calendar.month(now)
    last = previous_month(current)
    out = [last] if aggregator.store.month_close(last) is None else []
    if aggregator.calendar.early_close(current, now) is None:
        out.append(current)
    return out


def run_aggregator(
    questionnaire: Questionnaire,
    backend: Backend,
    request: Request,
    now: datetime,
    *,
    lag: timedelta = DEFAULT_LAG,
    progress: Progress | None = None,
) -> Summary:
    aggregator = Aggregator(
        questionnaire, backend.submissions, backend.results, lag=lag, progress=progress
    )
    months = list(request.months or default_months(aggregator.calendar, now, lag))
    if request.action == "verify":
        summary = Summary("verify", months)
        listed = set(aggregator.department_ids)
        for month in months:
            departments = aggregator.departments(month)
            summary.checked += len(departments)
            summary.unlisted += [d for d in departments if d not in listed]
            summary.disagreements += aggregator.verify(month)
        summary.unlisted = sorted(set(summary.unlisted))
        return summary
    close: list[str] = []
    summary = Summary(request.action, months)
    if request.action == "close":
        close = list(request.months or months_to_close(aggregator, now))
        _check_close(aggregator, request, close, now)
        summary.already_closed = [m for m in close if backend.results.month_close(m) is not None]
        months = sorted({*months, *close})
    elif request.action == "reopen":
        _check_reopen(request)
        for month in months:
            if aggregator.reopen(month, now, by=request.by, reason=request.reason):
                summary.reopened.append(month)
    report = aggregator.run(now, months, close=close, by=request.by, reason=request.reason)
    summary.months = list(report.months)
    summary.read, summary.written, summary.closed = report.read, report.written, report.closed
    summary.unlisted = report.unlisted
    if backend.network_keys is not None:
        summary.keys_destroyed = destroy_closed_keys(aggregator, backend.network_keys, now)
    if backend.outputs is not None:
        for month in report.months:
            summary.published += publish_month(
                questionnaire, backend.results, month, backend.outputs, backend.pressure
            )
    return summary


def _check_close(
    aggregator: Aggregator, request: Request, months: Sequence[str], now: datetime
) -> None:
    if request.force and not request.reason.strip():
        raise RefusedRequest("强制关账须说明原因（--reason）")
    for month in months:
        early = aggregator.calendar.early_close(month, now)
        if early and not request.force and aggregator.store.month_close(month) is None:
            raise RefusedRequest(f"{early}；确需提前关账的，请加 --force 并用 --reason 说明原因")


def _check_reopen(request: Request) -> None:
    if not request.months:
        raise RefusedRequest("重新开账须指明月份（--month）")
    if not request.reason.strip():
        raise RefusedRequest("重新开账须说明原因（--reason）")
