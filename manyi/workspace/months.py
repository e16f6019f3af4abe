"""The office closes a month (freezing its report) and reopens one, each with a reason, audited.

Both go through the aggregator's one service (`manyi.results.service.run_aggregator`), as
`manyi aggregate --close/--reopen` and the schedule do; this module adds what the workspace
asks on top: the reasons' length, the checks worded for the office's page, and the audit log.

Before the close day a close needs a reason (the scheduled close runs on the close day itself).
A reopen always needs one; it folds the late arrivals back into the month, which is open again
and counts every response, as if it had never closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from manyi.errors import ManyiError
from manyi.model import Questionnaire
from manyi.pace import period
from manyi.results.backends import Backend
from manyi.results.outputs import Outputs
from manyi.results.run import DEFAULT_LAG
from manyi.results.service import RefusedRequest, Request, run_aggregator
from manyi.store.pressure.base import PressureStore
from manyi.store.results.base import MonthClose, ResultsStore
from manyi.store.staff.base import AuditLog
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.audit import month_target, record

MAX_REASON = 500


class MonthActionRefused(ManyiError):
    """The close or reopen cannot be done; the message says why, in Chinese."""


@dataclass(frozen=True)
class MonthBooks:
    """What a close or a reopen works on: the month's responses, its results and published
    files, the pressure signals, and the audit log that records who did it."""

    questionnaire: Questionnaire
    results: ResultsStore
    submissions: SubmissionStore
    outputs: Outputs | None
    audit: AuditLog
    pressure: PressureStore | None = None

    def backend(self) -> Backend:
        return Backend(
            self.submissions, self.results, self.outputs, "workspace", pressure=self.pressure
        )


def close_month(
    books: MonthBooks,
    *,
    actor: str,
    month: str,
    reason: str,
    now: datetime,
    lag_seconds: float,
) -> MonthClose:
    reason = _reason(reason)
    if books.results.month_close(month) is not None:
        raise MonthActionRefused(f"{month} 已经关账。")
    start, close_moment = period(month, books.questionnaire.reporting)
    if now < start:
        raise MonthActionRefused(f"{month} 还没有开始，不能关账。")
    early = now < close_moment
    if early and not reason:
        raise MonthActionRefused(
            f"还没到关账日（{close_moment.month} 月 {close_moment.day} 日）。提前关账须填写原因。"
        )
    request = Request("close", (month,), by=actor, reason=reason, force=early)
    _run(books, request, now, timedelta(seconds=lag_seconds))
    closed = books.results.month_close(month)
    if closed is None:
        raise MonthActionRefused(f"{month} 未能关账，请稍后再试。")
    record(
        books.audit,
        now,
        actor,
        "month.close",
        month_target(month),
        before={"status": "open"},
        after={
            "status": "closed",
            "closed_at": closed.closed_at,
            "early": early,
            "reason": reason,
        },
    )
    return closed


def reopen_month(books: MonthBooks, *, actor: str, month: str, reason: str, now: datetime) -> None:
    reason = _reason(reason)
    closed = books.results.month_close(month)
    if closed is None:
        raise MonthActionRefused(f"{month} 没有关账，无需重新开账。")
    if not reason:
        raise MonthActionRefused("重新开账须填写原因。")
    request = Request("reopen", (month,), by=actor, reason=reason)
    _run(books, request, now)
    record(
        books.audit,
        now,
        actor,
        "month.reopen",
        month_target(month),
        before={"status": "closed", "closed_at": closed.closed_at},
        after={"status": "open", "reason": reason},
    )


def _run(books: MonthBooks, request: Request, now: datetime, lag: timedelta = DEFAULT_LAG) -> None:
    try:
        run_aggregator(books.questionnaire, books.backend(), request, now, lag=lag)
    except RefusedRequest as refused:
        raise MonthActionRefused(str(refused)) from refused


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON:
        raise MonthActionRefused(f"原因最多 {MAX_REASON} 个字。")
    return reason
