"""The office closes a month (freezing its report) and reopens one, each with a reason, audited.

A stand-in until the results layer has its own close and reopen with reasons: `close_month`
runs the aggregator's close (`manyi.results.run`) and `reopen_month` removes the close record
through `remove_close_record`, the one place that reaches into the two results adapters. When
the results stores get `reopen`, only that function changes.

Before the close day a close needs a reason (the scheduled close runs on the close day itself).
A reopen always needs one; it folds the late arrivals back into the month, which is open again
and counts every response, as if it had never closed.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from manyi.aggregate import Counts, MonthlyResult
from manyi.model import Questionnaire
from manyi.pace import period
from manyi.results.outputs import Outputs, publish_month
from manyi.results.run import Aggregator
from manyi.store.results.base import (
    DepartmentMonthState,
    MonthClose,
    ResultsStore,
    StateConflict,
    SubmissionSource,
)
from manyi.store.results.dynamodb import DynamoDBResultsStore, month_key
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.staff.base import AuditLog
from manyi.workspace.audit import month_target, record

MAX_REASON = 500
ATTEMPTS = 5


class MonthActionRefused(Exception):
    """The close or reopen cannot be done; the message says why, in Chinese."""


def close_month(
    questionnaire: Questionnaire,
    results: ResultsStore,
    submissions: SubmissionSource,
    outputs: Outputs | None,
    audit: AuditLog,
    *,
    actor: str,
    month: str,
    reason: str,
    now: datetime,
    lag_seconds: float,
) -> MonthClose:
    reason = _reason(reason)
    if results.month_close(month) is not None:
        raise MonthActionRefused(f"{month} 已经关账。")
    start, close_moment = period(month, questionnaire.reporting)
    if now < start:
        raise MonthActionRefused(f"{month} 还没有开始，不能关账。")
    early = now < close_moment
    if early and not reason:
        raise MonthActionRefused(
            f"还没到关账日（{close_moment.month} 月 {close_moment.day} 日）。提前关账须填写原因。"
        )
    aggregator = Aggregator(questionnaire, submissions, results, lag=timedelta(seconds=lag_seconds))
    aggregator.run(now, [month], close=[month])
    closed = results.month_close(month)
    if closed is None:
        raise MonthActionRefused(f"{month} 未能关账，请稍后再试。")
    if outputs is not None:
        publish_month(questionnaire, results, month, outputs)
    record(
        audit,
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


def reopen_month(
    questionnaire: Questionnaire,
    results: ResultsStore,
    outputs: Outputs | None,
    audit: AuditLog,
    *,
    actor: str,
    month: str,
    reason: str,
    now: datetime,
) -> None:
    reason = _reason(reason)
    closed = results.month_close(month)
    if closed is None:
        raise MonthActionRefused(f"{month} 没有关账，无需重新开账。")
    if not reason:
        raise MonthActionRefused("重新开账须填写原因。")
    remove_close_record(results, month)
    fold_late_arrivals(results, month)
    if outputs is not None:
        publish_month(questionnaire, results, month, outputs)
    record(
        audit,
        now,
        actor,
        "month.reopen",
        month_target(month),
        before={"status": "closed", "closed_at": closed.closed_at},
        after={"status": "open", "reason": reason},
    )


def fold_late_arrivals(results: ResultsStore, month: str) -> None:
    """An open month has no late arrivals: they join the month's counts. Idempotent, so a
    reopen interrupted half-way is finished by the next one."""
    for state in results.month_states(month):
        for _ in range(ATTEMPTS):
            if not state.result.late.responses:
                break
            r = state.result
            folded = MonthlyResult(r.department, r.month, r.counts + r.late, Counts())
            try:
                results.put_state(
                    DepartmentMonthState(folded, state.version + 1, state.watermark),
                    state.version,
                )
                break
            except StateConflict:
                state = results.state(r.department, month)


def remove_close_record(results: ResultsStore, month: str) -> None:
    """The only reach into the results adapters (until they have a reopen of their own)."""
    if isinstance(results, SqliteResultsStore):
        with sqlite3.connect(results.path, timeout=30) as db:
            db.execute("DELETE FROM month_close WHERE month = ?", (month,))
        db.close()
        return
    if isinstance(results, DynamoDBResultsStore):
        client = getattr(results, "_client")  # noqa: B009 - the adapter keeps it private
        client.delete_item(
            TableName=results.table_name,
            Key={"pk": {"S": month_key(month)}, "sk": {"S": "CLOSE"}},
        )
        return
    raise MonthActionRefused("这种数据存储不支持重新开账。")


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON:
        raise MonthActionRefused(f"原因最多 {MAX_REASON} 个字。")
    return reason
