"""The aggregator: count what is new since each watermark, close months, verify from scratch.

Incremental. Each department-month is read through the submission store's department-month
access with `after_sk = watermark` (a Query in DynamoDB, never a scan), so a run costs what is
new, not what is stored.

Safety lag. A collector stamps `received_at` before its write commits, so a response can become
visible a moment after a later-stamped one. A run therefore counts only submissions received
before its horizon, `now − lag` (two minutes by default, far above a collector's write time),
and moves the watermark to that horizon; anything newer is left for the next run.

Close. Closing month M records, once, a close horizon (the run's horizon, or a department's
watermark if one is further). From then on a department-month's counts are split by that
horizon: below it, the frozen report; at or above it, late arrivals, kept apart. Because the
split depends only on the sort key and the recorded horizon, counting again from scratch gives
the same split, and `verify` can check it exactly.

Idempotent. A department-month moves from one state to the next in one conditional write (see
`state`): running twice, or crashing and running again, gives the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

from manyi.aggregate import (
    MonthlyResult,
    Tally,
    counted_before_segments,
    counted_before_traits,
    without_segments,
    without_traits,
)
from manyi.calendar import OfficeCalendar, previous_month
from manyi.model import Questionnaire
from manyi.store.results.base import (
    CloseEvent,
    DepartmentMonthState,
    MonthClose,
    ResultsStore,
    StateConflict,
)
from manyi.store.submissions.base import SubmissionStore, sort_key_bound
from manyi.submission import utc_timestamp
from manyi.traits import TraitCounter

DEFAULT_LAG = timedelta(minutes=2)
# Attempts at one department-month when other runs keep writing it first.
MAX_ATTEMPTS = 5

Progress = Callable[[int, int, str], None]  # (done, total, what is being done)


def default_months(
    calendar: OfficeCalendar, now: datetime, lag: timedelta = DEFAULT_LAG
) -> list[str]:
    """The months that can still receive responses: the office's month and the one before.

    A month receives responses only while it lasts (a response's month is the office's month
    it was received in); the one before is included so that its last hours are read after it
    ends. Older months are only read when asked for by name.
    """
    current = calendar.month(now)
    return sorted({previous_month(current), calendar.month(now - lag), current})


@dataclass
class RunReport:
    months: tuple[str, ...]
    read: int = 0
    written: int = 0
    closed: list[str] = field(default_factory=list)
    # Departments counted that questionnaire.yaml no longer lists (shown by their ID).
    unlisted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Disagreement:
    department: str
    month: str
    stored: MonthlyResult
    recomputed: MonthlyResult


@dataclass(eq=False)
class Aggregator:
    questionnaire: Questionnaire
    submissions: SubmissionStore
    store: ResultsStore
    _: KW_ONLY
    lag: timedelta = DEFAULT_LAG
    progress: Progress | None = None
    calendar: OfficeCalendar = field(init=False)
    traits: TraitCounter = field(init=False)

    def __post_init__(self) -> None:
        self.calendar = OfficeCalendar.of(self.questionnaire.reporting)
        self.traits = TraitCounter(self.questionnaire)

    @property
    def department_ids(self) -> list[str]:
        """The departments questionnaire.yaml lists."""
        return [d.id for d in self.questionnaire.departments]

    def departments(self, month: str) -> list[str]:
        """Every department to count in `month`: those listed, then any that is not listed any
        more but was counted before or has responses, so that removing a department from the
        file never drops its data."""
        listed = self.department_ids
        others = self.store.known_departments() | {
            s.department for s in self.store.month_states(month)
        }
        others |= self.submissions.departments(month) or set()
        return listed + sorted(others - set(listed))

    def run(
        self,
        now: datetime,
        months: Sequence[str] | None = None,
        close: Iterable[str] = (),
        *,
        by: str = "",
        reason: str = "",
    ) -> RunReport:
        """Count what is new up to `now − lag` in `months`; close the months in `close` first
        (recording `by` and `reason`). Whether a close is due is the caller's to judge."""
        months = tuple(months) if months else tuple(default_months(self.calendar, now, self.lag))
        report = RunReport(months)
        horizon = sort_key_bound(utc_timestamp(now - self.lag))
        for month in months:
            if month in set(close) and self.store.month_close(month) is None:
                event = CloseEvent(
                    month,
                    "close",
                    utc_timestamp(now),
                    by,
                    reason,
                    early=self.calendar.early_close(month, now) is not None,
                )
                self._close(month, now, horizon, event)
                report.closed.append(month)
        if not set(self.department_ids) <= self.store.known_departments():
            self.store.add_known_departments(self.department_ids)
        steps = [(m, d) for m in months for d in self.departments(m)]
        listed = set(self.department_ids)
        report.unlisted = sorted({d for _, d in steps if d not in listed})
        for done, (month, department) in enumerate(steps):
            if self.progress:
                self.progress(done, len(steps), f"{month} {department}")
            read, written = self.update(department, month, horizon)
            report.read += read
            report.written += written
        if self.progress:
            self.progress(len(steps), len(steps), "done")
        return report

    def _close(self, month: str, now: datetime, horizon: str, event: CloseEvent) -> MonthClose:
        watermarks = [s.watermark for s in self.store.month_states(month)]
        close = MonthClose(
            month=month,
            horizon=max([horizon, *watermarks]),
            closed_at=utc_timestamp(now),
            served=self.store.served(month),
        )
        return self.store.add_month_close(close, event)

    def reopen(self, month: str, now: datetime, *, by: str, reason: str) -> bool:
        """Un-freeze a closed month: its late arrivals join the report again. False when the
        month was not closed.

        The close goes first, then each department-month merges its late part back in one
        conditional write. A run that read the close before it went writes either before that
        merge (and is merged) or after it (and conflicts, then reads again: see `update`).
        """
        event = CloseEvent(month, "reopen", utc_timestamp(now), by, reason)
        if self.store.reopen_month(event) is None:
            return False
        for state in self.store.month_states(month):
            self._merge_late(state.department, month)
        return True

    def _merge_late(self, department: str, month: str) -> None:
        for _ in range(MAX_ATTEMPTS):
            state = self.store.state(department, month)
            result = state.result
            if not result.late.responses:
                return
            merged = MonthlyResult(department, month, result.counts + result.late)
            try:
                self.store.put_state(
                    DepartmentMonthState(merged, state.version + 1, state.watermark), state.version
                )
            except StateConflict:
                continue
            return
        raise StateConflict(f"{department} {month}: other runs kept writing it first")

    def update(self, department: str, month: str, horizon: str) -> tuple[int, int]:
        """(submissions read, records written) for one department-month, in one atomic step."""
        for _ in range(MAX_ATTEMPTS):
            state = self.store.state(department, month)
            if horizon <= state.watermark:
                return 0, 0
            # Read after the state, so that a reopen cannot slip in between (see `reopen`).
            close = self.store.month_close(month)
            # Counted before segments (or the integrity traits) were kept: counted again from
            # scratch, once, so that its segments add up to its totals (see manyi.aggregate)
            # and its signals see every response.
            again = counted_before_segments(state.result) or counted_before_traits(state.result)
            increment, read = self._count(
                department,
                month,
                "" if again else state.watermark,
                horizon,
                close.horizon if close else None,
            )
            if not read:
                # Nothing new: leave the record as it is rather than write an equal one.
                return 0, 0
            result = increment if again else state.result.merge(increment)
            new = DepartmentMonthState(result, version=state.version + 1, watermark=horizon)
            try:
                self.store.put_state(new, state.version)
            except StateConflict:
                continue
            return read, 1
        raise StateConflict(f"{department} {month}: other runs kept writing it first")

    def _count(
        self, department: str, month: str, after: str, until: str, split: str | None
    ) -> tuple[MonthlyResult, int]:
        """Counts of the submissions with after < sort key < until, split at the close."""
        report, late = Tally(self.traits), Tally(self.traits)
        items = iter(self.submissions.department_month(department, month, after_sk=after or None))
        # Sorted by key: the report's part first, up to the split, then the late part.
        first_late = report.add_until(items, until if split is None else min(split, until))
        if first_late is not None and first_late[0] < until:
            late.add(first_late[1])
            late.add_until(items, until)
        read = report.responses + late.responses
        return MonthlyResult(department, month, report.counts(), late.counts()), read

    def verify(self, month: str) -> list[Disagreement]:
        """Count every department-month of `month` again from scratch; list what differs."""
        close = self.store.month_close(month)
        disagreements = []
        ids = self.departments(month)
        for done, department in enumerate(ids):
            if self.progress:
                self.progress(done, len(ids), f"verify {month} {department}")
            state = self.store.state(department, month)
            recomputed, _ = self._count(
                department, month, "", state.watermark, close.horizon if close else None
            )
            if counted_before_segments(state.result):
                recomputed = without_segments(recomputed)  # a frozen month of an older release
            if counted_before_traits(state.result):
                recomputed = without_traits(recomputed)
            if recomputed != state.result:
                disagreements.append(Disagreement(department, month, state.result, recomputed))
        if self.progress:
            self.progress(len(ids), len(ids), "done")
        return disagreements
