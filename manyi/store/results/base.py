"""What the aggregator remembers between runs, and the interface of the stores that keep it.

Per department-month, one record: the counts so far, the watermark (the submissions sort key up
to which they are counted) and a version number bumped by every write. A write names the
version it read and fails if another write came first, so a department-month changes in one
atomic step or not at all: a run that crashes half-way leaves every record either before or
after its step, and running again finishes the job with the very same result.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from manyi.aggregate import MonthlyResult
from manyi.errors import ManyiError


class StateConflict(ManyiError):
    """Another run wrote the department-month first; read it again and redo the step."""


class ServedTooLarge(ManyiError, ValueError):
    """More served counts at once than the store can set in one step; the message says so."""


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


CloseAction = Literal["close", "reopen"]


@dataclass(frozen=True)
class CloseEvent:
    """A month's close or reopen as the office sees it in the report: who, when and why.

    Kept beside the close and never changed: a reopen removes the close, not its events.
    """

    month: str
    action: CloseAction
    at: str  # ISO 8601, UTC
    by: str
    reason: str = ""
    early: bool = False  # a close before the close day, or of a month not yet begun (forced)


class ResultsStore(ABC):
    """The aggregator's memory; every adapter passes tests/test_results_store_contract.py."""

    @abstractmethod
    def state(self, department: str, month: str) -> DepartmentMonthState: ...

    @abstractmethod
    def month_states(self, month: str) -> list[DepartmentMonthState]: ...

    @abstractmethod
    def put_state(self, state: DepartmentMonthState, expected_version: int) -> None:
        """Write `state` (its version must be expected + 1) or raise StateConflict."""
        ...

    @abstractmethod
    def month_close(self, month: str) -> MonthClose | None: ...

    @abstractmethod
    def add_month_close(self, close: MonthClose, event: CloseEvent) -> MonthClose:
        """Record the close and its event in one step, unless the month is closed already
        (then neither); return whichever close is recorded."""
        ...

    @abstractmethod
    def reopen_month(self, event: CloseEvent) -> MonthClose | None:
        """Remove the month's close and record the event in one step; the close removed, or
        None (and nothing recorded) when the month is not closed."""
        ...

    @abstractmethod
    def close_events(self, month: str) -> list[CloseEvent]:
        """The month's closes and reopens, oldest first."""
        ...

    @abstractmethod
    def mark_published(self, month: str) -> None: ...

    @abstractmethod
    def served(self, month: str) -> dict[str, int]: ...

    @abstractmethod
    def known_departments(self) -> set[str]:
        """Every department the aggregator was ever asked to count, listed or not today."""
        ...

    @abstractmethod
    def add_known_departments(self, departments: Iterable[str]) -> None: ...

    @abstractmethod
    def served_changes(self, month: str) -> dict[str, str]:
        """Department → when (ISO 8601, UTC) its served count for `month` last changed."""

    @abstractmethod
    def set_served(self, counts: Mapping[tuple[str, str], int], at: str | None = None) -> None:
        """Set (month, department) → served count for several at once: all of them or none
        (ServedTooLarge when they are more than one step can hold). A count that changes is
        stamped `at` (default: now)."""
        ...
