"""`manyi serve`'s aggregator timer: count new responses every few minutes, close on the close day.

What the AWS schedules do (hourly, and at 00:00 on the close day), on one machine: a thread
that wakes every `every` minutes and calls the same service function as the scheduled Lambda
(`manyi.results.schedule.handle`). On or after the close day it closes the month, and last
month if it never closed, unless the office reopened it: a reopened month stays open until the
office closes it again. Each tick also runs the retention purges of follow-up cases and of
complaints (ComplaintsPurgeFunction's daily job in AWS). A failed run is logged and tried again
at the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from manyi.calendar import OfficeCalendar, previous_month
from manyi.complaints.retention import purge as purge_complaints
from manyi.followup.service import Followup, purge
from manyi.model import Questionnaire
from manyi.results.backends import Backend, local_pressure
from manyi.results.outputs import OutputFolder
from manyi.results.schedule import handle
from manyi.store.complaints.base import ComplaintStore
from manyi.store.network_keys.sqlite import SQLiteNetworkKeys
from manyi.store.staff.base import AuditLog
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.audit import month_target, record
from manyi.workspace.local import SqliteResultsAnyThread

logger = logging.getLogger(__name__)
DEFAULT_EVERY = timedelta(minutes=5)


def months_to_close(
    questionnaire: Questionnaire, backend: Backend, audit: AuditLog, now: datetime
) -> list[str]:
    calendar = OfficeCalendar.of(questionnaire.reporting)
    current = calendar.month(now)
    candidates = [previous_month(current)]
    if calendar.early_close(current, now) is None:
        candidates.append(current)
    return [
        month
        for month in candidates
        if backend.results.month_close(month) is None and not _reopened(audit, month)
    ]


def _reopened(audit: AuditLog, month: str) -> bool:
    return any(e.action == "month.reopen" for e in audit.history(month_target(month)))


def run_once(
    questionnaire: Questionnaire, backend: Backend, audit: AuditLog, now: datetime
) -> dict[str, object]:
    summary = handle({"action": "aggregate"}, questionnaire, backend, now)
    closing = months_to_close(questionnaire, backend, audit, now)
    if closing:
        closed = handle({"action": "close", "months": closing}, questionnaire, backend, now)
        for month in closed.get("closed", []):
            close = backend.results.month_close(str(month))
            record(
                audit, now, "system", "month.close", month_target(str(month)),
                before={"status": "open"},
                after={"status": "closed", "closed_at": close.closed_at if close else "",
                       "early": False, "reason": "关账日自动关账"},
            )  # fmt: skip
        summary["closed"] = closed.get("closed", [])
    return summary


@dataclass(eq=False)
class AggregatorTimer:
    data: Path
    questionnaire: Callable[[], Questionnaire]
    submissions: SubmissionStore
    audit: AuditLog
    every: timedelta = DEFAULT_EVERY
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Their purges run at every tick too: cheap (an index read) when nothing is due.
    followup: Followup | None = None
    complaints: ComplaintStore | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="aggregator-timer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def tick(self) -> dict[str, object]:
        backend = Backend(
            submissions=self.submissions,
            results=SqliteResultsAnyThread(self.data / "results.sqlite3"),
            outputs=OutputFolder(self.data),
            where=str(self.data),
            network_keys=SQLiteNetworkKeys.in_folder(self.data),
            pressure=local_pressure(self.data),
        )
        try:
            questionnaire = self.questionnaire()
            summary = run_once(questionnaire, backend, self.audit, self.clock())
            if self.followup is not None and questionnaire.followup is not None:
                summary["purged"] = purge(
                    self.followup, questionnaire.followup, self.clock(), "system"
                )
            if self.complaints is not None:
                purged = purge_complaints(
                    self.complaints, self.audit, questionnaire, self.clock(), "system"
                )
                summary["complaints_purged"] = len(purged.purged)
            return summary
        finally:
            # Not backend.close(): the submission store is the server's, open while it runs.
            for part in (backend.results, backend.network_keys, backend.pressure):
                close = getattr(part, "close", None)
                if close is not None:
                    close()

    def _loop(self) -> None:
        while not self._stop.wait(self.every.total_seconds()):
            try:
                summary = self.tick()
                logger.info("aggregator run: %s", summary)
            except Exception:  # the timer must survive a bad run; the next tick retries
                logger.exception("aggregator run failed; trying again at the next tick")
