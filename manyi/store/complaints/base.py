"""The complaints store's interface, its errors and its key layout.

Kept entirely apart from the anonymous survey: its own SQLite file (`complaints.sqlite3`) or
DynamoDB table, and no identifier shared with a submission. Names and phones arrive sealed.

Key layout (DynamoDB keys are strings named `pk` and `sk`; SQLite uses the same values):
- a complaint: `pk = "Y#<year>"`, `sk = <number>`: one year's complaints are one Query (a city
  has thousands a year at most);
- exactly once: `pk = "K#<key hash>"`, `sk = "K"`, naming the number, written in the same
  transaction as the complaint;
- the sequence of a year and department: `pk = "N#<year>#<department>"`, `sk = "N"`; a number
  taken by a write that then failed is skipped, never reused;
- wrong receipt codes in a row for one number: `pk = "W#<number>"`, `sk = "W"`;
- the standing handlers of conduct complaints per department (the office's setting):
  `pk = "H#conduct"`, `sk = "H"`, one item, changed as a whole under its version.

A complaint that is final (concluded or refused) and still holds personal fields carries
`personal = "P"` and `closed_on` (the day it became final): the retention purge finds what is
due with one Query of that sparse index (DynamoDB `personal_closed`), never a scan.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from manyi.complaints.model import Complaint, ConductHandlers
from manyi.errors import ManyiError

FILE_NAME = "complaints.sqlite3"


class ComplaintStoreError(ManyiError):
    """Base of the complaints store's own errors."""


class ComplaintConflict(ComplaintStoreError):
    """The complaint changed since it was read (or is gone); read it again and redo the change."""


class HandlersConflict(ComplaintStoreError):
    """The handler settings changed since they were read; read them again and redo the change."""


@dataclass(frozen=True)
class WrongCodes:
    """Wrong receipt codes typed in a row for one number, and when the last one was."""

    count: int = 0
    last_at: float = 0.0


def year_pk(year: int) -> str:
    return f"Y#{year:04d}"


def key_pk(key_hash: str) -> str:
    return f"K#{key_hash}"


def sequence_pk(year: int, department: str) -> str:
    return f"N#{year:04d}#{department}"


def wrong_pk(number: str) -> str:
    return f"W#{number}"


HANDLERS_PK = "H#conduct"
PERSONAL_MARK = "P"


def purge_index(complaint: Complaint) -> tuple[str, str]:
    """(personal, closed_on) of a complaint: set while it is final and holds personal fields,
    empty otherwise (out of the purge's index)."""
    closed = complaint.closed_on
    if closed is None or not complaint.holds_personal:
        return "", ""
    return PERSONAL_MARK, closed


class ComplaintStore(ABC):
    @abstractmethod
    def add(self, complaint: Complaint) -> tuple[Complaint, bool]:
        """Number and store a new complaint (its `number` is ""), once per key hash.

        Returns the stored complaint and True, or the complaint stored first under the same key
        hash and False (a replay: nothing new is stored)."""

    @abstractmethod
    def get(self, number: str) -> Complaint | None: ...

    @abstractmethod
    def year(self, year: int) -> list[Complaint]:
        """Every complaint numbered in `year`, by number."""

    @abstractmethod
    def replace(self, complaint: Complaint) -> None:
        """Write `complaint` over the stored one whose version is `complaint.version - 1`;
        ComplaintConflict otherwise."""

    @abstractmethod
    def wrong_codes(self, number: str) -> WrongCodes: ...

    @abstractmethod
    def add_wrong_code(self, number: str, now: float) -> WrongCodes:
        """Count one more wrong code for `number` atomically; the count after it."""

    @abstractmethod
    def clear_wrong_codes(self, number: str) -> None: ...

    @abstractmethod
    def closed_with_personal(self, on_or_before: str) -> list[Complaint]:
        """Final complaints still holding personal fields, closed on or before the ISO day
        `on_or_before`, oldest first: what the retention purge removes."""

    @abstractmethod
    def handlers(self) -> ConductHandlers:
        """The standing handlers of conduct complaints (version 0, none, until first set)."""

    @abstractmethod
    def set_handlers(self, handlers: ConductHandlers) -> None:
        """Write `handlers` over the stored ones whose version is `handlers.version - 1`;
        HandlersConflict otherwise."""

    def scrub(self) -> None:  # noqa: B027 - only a file keeps old bytes to clear
        """After a purge: clear old copies of what it removed that the storage itself keeps
        (a log file); nothing to do where the service does it."""

    def recent(self, this_year: int) -> list[Complaint]:
        """This year's complaints and last year's (those still open cross the new year)."""
        return self.year(this_year - 1) + self.year(this_year)

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""
