"""Follow-up cases, draws and visitors as stored values, and the store's interface.

Key layout (both adapters use it; DynamoDB keys are strings named `pk` and `sk`):
- a case: `pk = "C#<department>#<YYYY-MM>"` (the month it was closed), `sk = <case ID>`, so a
  department-month is one Query. The case ID is a hash of the department and the case number,
  the key every import is idempotent on. The party's name and phone are sealed
  (manyi/sealing.py) and so is every free text a visitor or a party types;
- a draw: `pk = "D#<department>#<YYYY-MM>"`, `sk = "<at>#<draw ID>"`, with its seed;
- a visitor: `pk = "VISITOR"`, `sk = <username>`, with the staff ID the handler rule compares.
A case assigned to a visitor carries `visitor` (an index for "my calls"); a finished case that
still holds personal data carries `personal = "P"` and `done_at` (an index for the purge).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from manyi.errors import ManyiError
from manyi.sealing import SealedRecord
from manyi.store.records import (
    Record,
    optional,
    reader,
    tuple_of,
    with_tuples,
)

CaseKind = Literal["licensing", "penalty"]
Procedure = Literal["general", "summary"]
CASE_KINDS: dict[CaseKind, str] = {"licensing": "许可", "penalty": "处罚"}
PROCEDURES: dict[Procedure, str] = {"general": "一般程序", "summary": "简易程序"}
# Sampling strata: a kind and a procedure, e.g. "penalty_general".
STRATA: tuple[str, ...] = tuple(f"{k}_{p}" for k in CASE_KINDS for p in PROCEDURES)

# What each call attempt ended with (AAPOR telephone dispositions, in the office's words).
Outcome = Literal["completed", "refused", "no_answer", "busy", "not_party", "wrong_number"]
OUTCOMES: dict[Outcome, str] = {
    "completed": "完成回访",
    "refused": "拒绝回访",
    "no_answer": "无人接听",
    "busy": "占线或关机",
    "not_party": "接听者不是当事人（当事人不在）",
    "wrong_number": "号码错误或空号",
}
# The case's final AAPOR disposition: I complete, R refusal, NC non-contact, UH unknown
# eligibility, NE not eligible (the number is not the party's).
Disposition = Literal["I", "R", "NC", "UH", "NE"]
PERSONAL_MARK = "P"


class CaseStoreError(ManyiError):
    """Base of the case store's own errors."""


class CaseConflict(CaseStoreError):
    """The case changed since it was read (or is gone); read it again and redo the change."""


class LinkUsed(CaseStoreError):
    """The self-service link was finished already."""


def case_id_of(department: str, case_number: str) -> str:
    """The stable ID of a case: the department and the case number as written, hashed."""
    digest = hashlib.sha256(f"{department}\x1f{case_number.strip()}".encode())
    return digest.hexdigest()[:20]


# A sealed field's object (None once purged).
_SEALED = optional(reader(SealedRecord))


@dataclass(frozen=True)
class Attempt(Record, read={"note": _SEALED}):
    at: str  # ISO 8601 UTC
    visitor: str
    outcome: Outcome
    note: SealedRecord | None = None  # the visitor's free notes, sealed; None once purged


@dataclass(frozen=True)
class Problem(Record, read={"reasons": tuple}):
    """An item for the department: opened by an unfavourable answer or a reported incident."""

    opened_at: str
    deadline: str  # YYYY-MM-DD, the last working day to record what was done
    reasons: tuple[str, ...]  # question IDs answered unfavourably, and "text" for the free text
    action: str = ""  # what the department did (staff's words, not the party's)
    closed_at: str = ""
    closed_by: str = ""


@dataclass(frozen=True)
class Case(
    Record,
    read={
        "party": _SEALED,
        "attempts": tuple_of(Attempt.from_dict),
        "answers": with_tuples,
        "reported": _SEALED,
        "problem": optional(Problem.from_dict),
        "version": int,
    },
):
    department: str
    case_number: str
    kind: CaseKind
    procedure: Procedure
    closed_on: str  # YYYY-MM-DD
    handler_id: str
    handler_name: str
    party: SealedRecord | None  # party_name and party_phone, sealed; None once purged
    imported_at: str
    import_file: str = ""  # SHA-256 of the file it came from
    draw_id: str = ""  # the draw that picked it ("" while not drawn)
    visitor: str = ""  # the visitor account's username
    assigned_at: str = ""
    attempts: tuple[Attempt, ...] = ()
    # The link the visitor sent: the SHA-256 of its secret, when it expires, when it was used.
    link_hash: str = ""
    link_expires_at: str = ""
    link_used_at: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)
    form_version: str = ""
    answered_via: str = ""  # "call" or "link"
    reported: SealedRecord | None = None  # what improper happened, in the party's words
    done_at: str = ""  # completed, refused, not reachable, or out of attempts
    problem: Problem | None = None
    purged_at: str = ""
    version: int = 1

    @property
    def case_id(self) -> str:
        return case_id_of(self.department, self.case_number)

    @property
    def month(self) -> str:
        return self.closed_on[:7]

    @property
    def stratum(self) -> str:
        return f"{self.kind}_{self.procedure}"

    @property
    def drawn(self) -> bool:
        return bool(self.draw_id)

    @property
    def done(self) -> bool:
        return bool(self.done_at)

    @property
    def holds_personal(self) -> bool:
        return (
            self.party is not None
            or self.reported is not None
            or any(a.note is not None for a in self.attempts)
        )

    def next_version(self, **changes: Any) -> Case:
        return replace(self, version=self.version + 1, **changes)


@dataclass(frozen=True)
class Draw(
    Record,
    read={
        "seed": int,
        "rates": lambda rates: {stratum: float(share) for stratum, share in rates.items()},
        "max_age_days": int,
        "candidates": tuple,
        "drawn": tuple,
    },
):
    """One random draw of a department-month: everything needed to redo it and get the same."""

    draw_id: str
    department: str
    month: str
    at: str
    actor: str
    seed: int
    rates: Mapping[str, float]  # stratum → share drawn
    max_age_days: int
    as_of: str  # YYYY-MM-DD: cases closed more than max_age_days before it were left out
    candidates: tuple[str, ...]  # case IDs it drew from, sorted
    drawn: tuple[str, ...]  # case IDs it drew, sorted

    @property
    def sort_key(self) -> str:
        return f"{self.at}#{self.draw_id}"


@dataclass(frozen=True)
class Visitor(Record):
    """A staff account that may follow up cases, with the staff ID (执法证号/工号) that the
    handler rule compares: nobody follows up a case they handled."""

    username: str
    staff_id: str
    registered_at: str = ""
    registered_by: str = ""


def case_pk(department: str, month: str) -> str:
    return f"C#{department}#{month}"


def draw_pk(department: str, month: str) -> str:
    return f"D#{department}#{month}"


VISITORS_PARTITION = "VISITOR"


class CaseStore(ABC):
    """Cases, draws and visitors of the follow-up. Cases are written whole, naming the version
    they were read at; nothing is ever deleted but personal fields (the purge)."""

    @abstractmethod
    def add_cases(self, cases: list[Case]) -> list[str]:
        """Store each case whose ID is not there yet (version 1); the IDs added. A case that is
        there already is left exactly as it is: a re-import changes nothing."""

    @abstractmethod
    def get(self, department: str, month: str, case_id: str) -> Case | None: ...

    @abstractmethod
    def month(self, department: str, month: str) -> list[Case]:
        """Every case of a department closed in a month, by case ID."""

    @abstractmethod
    def replace(self, case: Case) -> None:
        """Write `case` over the stored one of version `case.version - 1`; CaseConflict
        otherwise."""

    @abstractmethod
    def assigned_to(self, visitor: str) -> list[Case]:
        """Every case assigned to a visitor, any department or month."""

    @abstractmethod
    def done_with_personal(self, before: str) -> list[Case]:
        """Finished cases that still hold personal data, done before `before` (ISO UTC)."""

    @abstractmethod
    def add_draw(self, draw: Draw) -> None: ...

    @abstractmethod
    def draws(self, department: str, month: str) -> list[Draw]:
        """The draws of a department-month, oldest first."""

    @abstractmethod
    def put_visitor(self, visitor: Visitor) -> None:
        """Register a visitor, or change the staff ID of one."""

    @abstractmethod
    def visitors(self) -> list[Visitor]:
        """Every visitor, by username."""

    def visitor(self, username: str) -> Visitor | None:
        return next((v for v in self.visitors() if v.username == username), None)

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""
