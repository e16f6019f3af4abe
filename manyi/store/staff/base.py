"""Staff accounts, sessions, failed-login counters and audit events, and their store interfaces.

Key layout (both adapters use it; DynamoDB keys are strings named `pk` and `sk`):
- accounts: one partition, `pk = "ACCOUNT"`, `sk = <username>`: listing every account is one
  Query (a city has tens to hundreds of staff accounts);
- sessions: `pk = "S#<SHA-256 of the session ID>"`; the ID itself is never stored, so a copy
  of the table opens no session. `expires_at` (epoch seconds) is the TTL attribute;
- failed logins: `pk = "F#<SHA-256 of the username as typed>"`, kept for a day (TTL), for names
  that exist and names that do not alike, so that the lockout tells nobody which names exist;
- audit: `pk = "A#<YYYY-MM>"` (the Beijing month of the event), `sk = "<at>#<event ID>"`, and an
  index on `target` for one thing's history (an account, a served count, a month).
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from manyi.calendar import DEFAULT_ZONE
from manyi.errors import ManyiError
from manyi.store.records import Record

Role = Literal["office", "viewer", "department"]
ROLES: tuple[Role, ...] = ("office", "viewer", "department")
# Login names: lower-case letters, digits and . _ - (pinyin or a staff number), 3 to 32 long.
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MAX_DISPLAY_NAME = 40

# Sessions: 30 minutes without a request, or 12 hours after the login, whichever comes first.
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 60 * 60
# Failed-login counters are forgotten a day after the last failure.
FAILURES_KEPT_SECONDS = 24 * 60 * 60

ACCOUNTS_PARTITION = "ACCOUNT"


class StaffStoreError(ManyiError):
    """Base of the staff stores' own errors."""


class AccountExists(StaffStoreError):
    """An account with this username is already there."""


class AccountConflict(StaffStoreError):
    """The account changed since it was read (or is gone); read it again and redo the change."""


class AuditEventExists(StaffStoreError):
    """An event with this ID is stored already: the log never overwrites one."""


@dataclass(frozen=True)
class Account(
    Record,
    read={
        "departments": tuple,
        "must_change_password": bool,
        "disabled": bool,
        "session_generation": int,
        "version": int,
    },
):
    username: str
    role: Role
    departments: tuple[str, ...]
    password_hash: str
    must_change_password: bool = True
    disabled: bool = False
    display_name: str = ""
    created_at: str = ""  # ISO 8601 UTC, like every time stored here
    last_login_at: str = ""
    # Bumped by a password change, a reset or a disable: sessions made under an older value
    # are void, so one write ends every session of the account.
    session_generation: int = 0
    version: int = 1  # bumped by every write; a write names the version it read

    def audit_view(self) -> dict[str, Any]:
        """What the audit log keeps of an account: everything but the password hash."""
        return {
            "role": self.role,
            "departments": list(self.departments),
            "display_name": self.display_name,
            "must_change_password": self.must_change_password,
            "disabled": self.disabled,
        }


@dataclass(frozen=True)
class Session:
    key_hash: str  # SHA-256 (hex) of the random session ID the cookie carries
    username: str
    generation: int  # the account's session_generation at login
    csrf_token: str
    created_at: float  # epoch seconds
    last_seen: float

    @property
    def expires_at(self) -> float:
        return min(self.created_at + ABSOLUTE_SECONDS, self.last_seen + IDLE_SECONDS)

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class LoginFailures:
    """Consecutive failed logins under one name (existing or not); the login decides the lock
    from the count and the time of the last one."""

    count: int = 0
    last_at: float = 0.0  # epoch seconds of the last failure


@dataclass(frozen=True)
class AuditEvent(
    Record,
    # An event stored with `departments` null is one about no department.
    read={"departments": lambda found: tuple(found or ())},
):
    at: str  # ISO 8601 UTC with microseconds, e.g. 2026-11-20T06:01:02.123456Z
    event_id: str
    actor: str  # a username, or "cli:<os user>" for the command line, or "system"
    action: str  # e.g. account.add, login.failed, served.set, month.close
    target: str  # e.g. account/alice, served/2026-11/sifaju, month/2026-11
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    # The departments the event concerns, so a department can be shown its own history.
    departments: tuple[str, ...] = field(default=())

    @property
    def month(self) -> str:
        return beijing_month_of(self.at)

    @property
    def sort_key(self) -> str:
        return f"{self.at}#{self.event_id}"


def beijing_month_of(at: str) -> str:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone(DEFAULT_ZONE).strftime("%Y-%m")


def session_key_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def failures_key(username: str) -> str:
    """The failed-login counter's key: the name as typed, trimmed and lower-cased, hashed."""
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


# -- keys (DynamoDB; SQLite uses the same values as columns) ---------------------------------


def session_pk(key_hash: str) -> str:
    return f"S#{key_hash}"


def failures_pk(key: str) -> str:
    return f"F#{key}"


def audit_pk(month: str) -> str:
    return f"A#{month}"


# -- interfaces ---------------------------------------------------------------------------


class AccountStore(ABC):
    @abstractmethod
    def add(self, account: Account) -> None:
        """Store a new account (version 1); AccountExists if the username is taken."""

    @abstractmethod
    def get(self, username: str) -> Account | None: ...

    @abstractmethod
    def all(self) -> list[Account]:
        """Every account, by username."""

    @abstractmethod
    def replace(self, account: Account) -> None:
        """Write `account` over the stored one whose version is `account.version - 1`;
        AccountConflict otherwise (changed meanwhile, or gone). Accounts are never deleted:
        the audit log names them."""

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""


class SessionStore(ABC):
    @abstractmethod
    def create(self, session: Session) -> None: ...

    @abstractmethod
    def get(self, key_hash: str) -> Session | None:
        """The session, expired or not (DynamoDB deletes expired items only eventually)."""

    @abstractmethod
    def touch(self, key_hash: str, last_seen: float) -> None:
        """Move the idle deadline (and the TTL) of a session that exists; no-op otherwise."""

    @abstractmethod
    def delete(self, key_hash: str) -> None: ...

    @abstractmethod
    def failures(self, key: str, now: float) -> LoginFailures:
        """The failed-login counter under `key` (see `failures_key`), zero when none or old."""

    @abstractmethod
    def add_failure(self, key: str, now: float) -> LoginFailures:
        """Count one more failure atomically (concurrent failures all count); the counter
        after it."""

    @abstractmethod
    def clear_failures(self, key: str) -> None: ...

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""


class AuditLog(ABC):
    """Append and read. There is no update and no delete, in the interface or the adapters."""

    @abstractmethod
    def append(self, event: AuditEvent) -> None:
        """Store the event once; an event ID already stored is an error, never an overwrite."""

    @abstractmethod
    def month(self, month: str) -> list[AuditEvent]:
        """Every event of a Beijing month, oldest first."""

    @abstractmethod
    def history(self, target: str) -> list[AuditEvent]:
        """Every event about one target, oldest first."""

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""


@dataclass
class StaffStores:
    """The three stores the workspace and `manyi account` work through."""

    accounts: AccountStore
    sessions: SessionStore
    audit: AuditLog
    where: str
    # What releases them, when they share a resource (one SQLite connection).
    on_close: Callable[[], None] | None = None

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()
            return
        for store in (self.accounts, self.sessions, self.audit):
            store.close()
