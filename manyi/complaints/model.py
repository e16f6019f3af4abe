"""What a complaint is: its categories, its settings, its record, its statuses and its numbers.

Pure values: no I/O, no clock. A complaint is routed when it arrives, by its category (the
settings say which categories concern an officer's conduct and go to the department's own
handler; the rest concern a department's action and go to the office's 法制机构); the office
sees every complaint either way.

Identity: the complainant's name and phone are sealed field by field (manyi.sealing) before
anything is stored; the receipt code is shown once and kept only as a slow hash. The receipt
code is derived from the complaint's own random ID, so a retried submission (the first answer
lost on the way) gets the very same number and code back, while the store keeps only a hash of
that ID: nothing stored opens the code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from manyi.complaints.settings import CATEGORIES, About, ComplaintSettings
from manyi.sealing import SealedRecord
from manyi.store.records import Record, optional, reader, tuple_of

__all__ = ["CATEGORIES", "About", "ComplaintSettings"]

Status = Literal["received", "accepted", "refused", "in_progress", "extended", "concluded"]
STATUS_TEXT: dict[Status, str] = {
    "received": "已收到，等待受理",
    "accepted": "已受理",
    "refused": "不予受理",
    "in_progress": "正在办理",
    "extended": "已延期办理",
    "concluded": "已办结",
}
ABOUT_TEXT: dict[About, str] = {"action": "部门执法行为", "conduct": "执法人员个人行为"}
FINAL: frozenset[Status] = frozenset({"refused", "concluded"})
# Which status may follow which: accept or refuse first; extend at most once; conclude last.
NEXT: dict[Status, frozenset[Status]] = {
    "received": frozenset({"accepted", "refused"}),
    "accepted": frozenset({"in_progress", "extended", "concluded"}),
    "in_progress": frozenset({"in_progress", "extended", "concluded"}),
    "extended": frozenset({"in_progress", "concluded"}),
    "refused": frozenset(),
    "concluded": frozenset(),
}
# A status change that must say why (shown to the complainant on the status page).
NEEDS_NOTE: frozenset[Status] = frozenset({"refused", "extended", "concluded"})

MAX_ACCOUNT = 2000  # what happened
MAX_SUBJECT = 100  # the officer or the place
MAX_NAME = 40
MAX_NOTE = 2000  # a reason or the office's reply
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
NUMBER_PATTERN = re.compile(r"^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)-(\d{4,})$")
COMPLAINT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CODE_DIGITS = 12
SEALED_KIND = "complaint"  # the sealing context: a complaint's fields open for complaints only
# scrypt for the receipt code: 12 digits are 40 bits, too few for a fast hash if a copy of the
# table leaked; about 50 ms per check here, and a check happens only on a status lookup.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class Step(NamedTuple):
    """One change of status: when (UTC), the Beijing day, who, and the note the complainant
    reads (a reason or the reply; "" for none)."""

    at: str
    day: str
    status: Status
    by: str
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return self._asdict()


@dataclass(frozen=True)
class Complaint(
    Record,
    read={
        "contact": optional(reader(SealedRecord)),
        "steps": tuple_of(lambda step: Step(**step)),
        "version": int,
    },
):
    number: str  # 受理编号, e.g. 2026-sifaju-0007 ("" until the store numbers it)
    key_hash: str  # SHA-256 of the complaint's random ID: exactly once, and nothing more
    code_hash: str  # scrypt of the receipt code
    department: str
    category: str
    about: About
    subject: str  # the officer or the place, as given ("" if none)
    account: str  # what happened
    happened_on: str  # ISO date
    received_at: str  # ISO 8601 UTC
    received_on: str  # the Beijing day it arrived: deadlines count from it
    contact: SealedRecord | None = None  # name and phone, sealed; None: anonymous
    status: Status = "received"
    handler: str = ""  # the assigned staff account
    steps: tuple[Step, ...] = ()
    version: int = 1
    purged_at: str = ""  # when the retention purge removed its personal fields ("" : not yet)

    @property
    def year(self) -> int:
        """The year it is numbered in: the Beijing year it arrived."""
        return int(self.received_on[:4])

    @property
    def anonymous(self) -> bool:
        return self.contact is None

    def day_of(self, status: Status) -> str | None:
        """The Beijing day the complaint last reached `status`, if it did."""
        days = [s.day for s in self.steps if s.status == status]
        return days[-1] if days else None

    @property
    def accepted_on(self) -> str | None:
        return self.day_of("accepted")

    @property
    def extended(self) -> bool:
        return any(s.status == "extended" for s in self.steps)

    @property
    def closed_on(self) -> str | None:
        """The day it was concluded or refused (final either way)."""
        for step in reversed(self.steps):
            if step.status in FINAL:
                return step.day
        return None

    @property
    def reply(self) -> str:
        """The latest note to the complainant (a refusal's reason, an extension's, the reply)."""
        notes = [s.note for s in self.steps if s.note]
        return notes[-1] if notes else ""

    @property
    def holds_personal(self) -> bool:
        """It still holds what the purge removes (it always does until then: the account of
        events is required)."""
        return not self.purged_at

    def purged(self, at: str) -> Complaint:
        """Without anything about a person: the name and phone, the officer or place, the
        account of events and its date, the notes to the complainant. What the figures count
        stays (department, category, routing, statuses and their days, the handler), and so do
        the number and the receipt code's hash: the status page still shows the progress."""
        return replace(
            self,
            subject="",
            account="",
            happened_on="",
            contact=None,
            steps=tuple(step._replace(note="") for step in self.steps),
            purged_at=at,
            version=self.version + 1,
        )

    def moved(self, step: Step) -> Complaint:
        return replace(
            self, status=step.status, steps=(*self.steps, step), version=self.version + 1
        )


@dataclass(frozen=True)
class ConductHandlers:
    """Who handles complaints about an officer's conduct, per department: the office's choice
    in the workspace (/workspace/complaint-handlers/), read by the collector when a complaint
    arrives. Department ID -> staff username; a department left out has no standing handler,
    and the office assigns each of its conduct complaints by hand. `version` counts the
    office's changes (a change names the version it read)."""

    by_department: Mapping[str, str] = field(default_factory=dict)
    version: int = 0

    def of(self, department: str) -> str:
        return self.by_department.get(department, "")

    def to_dict(self) -> dict[str, Any]:
        return {"by_department": dict(sorted(self.by_department.items())), "version": self.version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConductHandlers:
        return cls(dict(data["by_department"]), int(data["version"]))


def routed_handler(about: About, department: str, handlers: ConductHandlers) -> str:
    """The handler a new complaint is given: the department's standing handler for an
    officer's conduct; none for a department's action, which the office (法制机构) handles.
    The office sees and may reassign every complaint either way."""
    return handlers.of(department) if about == "conduct" else ""


def tracking_number(year: int, department: str, sequence: int) -> str:
    """受理编号: year, department, sequence within both; readable over the phone."""
    return f"{year:04d}-{department}-{sequence:04d}"


def key_hash(complaint_id: str) -> str:
    return hashlib.sha256(f"complaint-id|{complaint_id}".encode()).hexdigest()


def receipt_code(complaint_id: str) -> str:
    """The 12-digit receipt code of a complaint ID (the same ID, the same code)."""
    digest = hmac.new(complaint_id.encode(), b"manyi receipt code", hashlib.sha256).digest()
    return f"{int.from_bytes(digest, 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def shown_code(code: str) -> str:
    """The code as shown: groups of four digits."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalized_code(typed: str) -> str:
    """What a person typed as a code, spaces, hyphens and full-width digits forgiven."""
    text = typed.translate({ord("０") + i: str(i) for i in range(10)})
    return re.sub(r"[\s\-]", "", text)


def code_hash(key_hash: str, code: str) -> str:
    """The stored form of a receipt code, salted with the complaint's own key hash."""
    return hashlib.scrypt(code.encode(), salt=f"manyi|{key_hash}".encode(), **_SCRYPT).hex()


def code_matches(complaint: Complaint, typed: str) -> bool:
    code = normalized_code(typed)
    if not code.isdigit() or len(code) != CODE_DIGITS:
        return False
    return hmac.compare_digest(code_hash(complaint.key_hash, code), complaint.code_hash)
