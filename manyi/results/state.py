"""What the aggregator remembers between runs, and the two interfaces it works through.

Per department-month, one record: the counts so far, the watermark (the submissions sort key up
to which they are counted) and a version number bumped by every write. A write names the
version it read and fails if another write came first, so a department-month changes in one
atomic step or not at all: a run that crashes half-way leaves every record either before or
after its step, and running again finishes the job with the very same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from manyi.aggregate import MonthlyResult
from manyi.submission import StoredSubmission


class StateConflict(Exception):
    """Another run wrote the department-month first; read it again and redo the step."""


@dataclass(frozen=True)
class DepartmentMonthState:
    result: MonthlyResult
    version: int = 0  # 0: never written
    watermark: str = ""  # every submission with a sort key below it is counted, none above

    @property
    def department(self) -> str:
        return self.result.department

    @property
    def month(self) -> str:
        return self.result.month

    @classmethod
    def empty(cls, department: str, month: str) -> DepartmentMonthState:
        return cls(MonthlyResult(department, month))


@dataclass(frozen=True)
class MonthClose:
    """A closed month: the report counts submissions with a sort key below `horizon`.

    `served` is the coverage denominators as they were at the close, so the frozen report
    keeps the coverage it was published with. `published` turns true once the report's files
    are written.
    """

    month: str
    horizon: str
    closed_at: str  # ISO 8601, UTC
    served: Mapping[str, int]
    published: bool = False


class SubmissionSource(Protocol):
    """The submission store's department-month access (issue 4's `SubmissionStore`)."""

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterable[tuple[str, StoredSubmission]]:
        """(sort key, submission) in ascending sort key order, only keys above `after_sk`."""
        ...


class ResultsStore(Protocol):
    def state(self, department: str, month: str) -> DepartmentMonthState: ...

    def month_states(self, month: str) -> list[DepartmentMonthState]: ...

    def put_state(self, state: DepartmentMonthState, expected_version: int) -> None:
        """Write `state` (its version must be expected + 1) or raise StateConflict."""
        ...

    def month_close(self, month: str) -> MonthClose | None: ...

    def add_month_close(self, close: MonthClose) -> MonthClose:
        """Record the close unless one is there already; return whichever is recorded."""
        ...

    def mark_published(self, month: str) -> None: ...

    def served(self, month: str) -> dict[str, int]: ...

    def set_served(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Set (month, department) → served count for several at once: all of them or none."""
        ...
