"""Signing in and out: the login with its limits, sessions behind cookies, CSRF tokens.

- A session ID is 32 random bytes in an HttpOnly, SameSite=Strict cookie limited to
  /workspace/; the store keeps only its SHA-256. A new ID is made at every login and every
  password change, whatever cookie came in (no session fixation).
- A session ends 30 minutes after its last request or 12 hours after the login, at logout, and
  when the account's session generation moves (password change, reset, disable).
- Every POST carries the session's CSRF token in a hidden field; the login form, before any
  session exists, carries a token that must match its own cookie (double submit).
- The login is limited per network (/24 or /48, in memory, like the collector's limit) and per
  name: after 5 consecutive failures a name waits 1 minute, then 2, 4, ... up to an hour. Names
  that do not exist are counted and locked exactly like real ones, and checked against a dummy
  hash, so neither the answer nor its timing tells whether a name exists.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from manyi.calendar import DEFAULT_ZONE
from manyi.store.staff.base import (
    USERNAME_PATTERN,
    Account,
    AccountConflict,
    LoginFailures,
    Session,
    failures_key,
    session_key_hash,
)
from manyi.submission import utc_timestamp
from manyi.workspace.audit import account_target, record
from manyi.workspace.context import Workspace
from manyi.workspace.passwords import dummy_hash, hash_password, needs_rehash, verify_password

SESSION_COOKIE = "manyi_session"
LOGIN_COOKIE = "manyi_login"
FAILURES_BEFORE_LOCK = 5
LOCK_BASE_SECONDS = 60
LOCK_MAX_SECONDS = 3600
# A session's idle deadline moves at most once a minute: one write per minute of use, not one
# per page.
TOUCH_AFTER_SECONDS = 60
MAX_USERNAME_TYPED = 64


@dataclass(frozen=True)
class Staff:
    """The signed-in person: their account and this session."""

    account: Account
    session: Session

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role

    def may_read(self, department: str) -> bool:
        return self.role in ("office", "viewer") or department in self.account.departments

    def may_write(self, department: str) -> bool:
        return self.role == "office" or (
            self.role == "department" and department in self.account.departments
        )


@dataclass(frozen=True)
class LoginRefused:
    status: int  # 401 wrong name or password, 429 too many attempts
    message: str
    retry_after: int = 0


@dataclass(frozen=True)
class LoggedIn:
    staff: Staff
    session_id: str


def lock_seconds(failures: int) -> float:
    """How long a name waits after its n-th consecutive failure."""
    if failures < FAILURES_BEFORE_LOCK:
        return 0.0
    return float(min(LOCK_BASE_SECONDS * 2 ** (failures - FAILURES_BEFORE_LOCK), LOCK_MAX_SECONDS))


def locked_for(failures: LoginFailures, now: float) -> float:
    """Seconds the name must still wait (0: it may try now)."""
    if failures.count < FAILURES_BEFORE_LOCK:
        return 0.0
    return max(0.0, failures.last_at + lock_seconds(failures.count) - now)


def tokens_match(expected: str, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def network_of(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to: an office or a campus, roughly."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def authenticate(ws: Workspace, session_id: str | None) -> Staff | None:
    """The staff member whose live session the cookie names, or None."""
    if not session_id or len(session_id) > 100:
        return None
    now = ws.clock().timestamp()
    key = session_key_hash(session_id)
    session = ws.staff.sessions.get(key)
    if session is None or session.expired(now):
        return None
    account = ws.staff.accounts.get(session.username)
    if account is None or account.disabled or account.session_generation != session.generation:
        return None
    if now - session.last_seen >= TOUCH_AFTER_SECONDS:
        ws.staff.sessions.touch(key, now)
        session = replace(session, last_seen=now)
    return Staff(account, session)


def start_session(ws: Workspace, account: Account) -> LoggedIn:
    now = ws.clock().timestamp()
    session_id = secrets.token_urlsafe(32)
    session = Session(
        key_hash=session_key_hash(session_id),
        username=account.username,
        generation=account.session_generation,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen=now,
    )
    ws.staff.sessions.create(session)
    return LoggedIn(Staff(account, session), session_id)


def end_session(ws: Workspace, staff: Staff) -> None:
    ws.staff.sessions.delete(staff.session.key_hash)
    record(ws.staff.audit, ws.clock(), staff.username, "logout", account_target(staff.username))


def log_in(ws: Workspace, address: str, typed_name: str, password: str) -> LoggedIn | LoginRefused:
    moment = ws.clock()
    now = moment.timestamp()
    if ws.login_limiter is not None:
        day = moment.astimezone(DEFAULT_ZONE).strftime("%Y-%m-%d")
        wait = ws.login_limiter.take(network_of(address), day, now)
        if wait:
            return _too_many(wait)
    name = typed_name.strip().lower()[:MAX_USERNAME_TYPED]
    key = failures_key(name)
    wait_more = locked_for(ws.staff.sessions.failures(key, now), now)
    if wait_more:
        return _too_many(wait_more)
    account = ws.staff.accounts.get(name) if USERNAME_PATTERN.match(name) else None
    cost = ws.settings.password_cost
    stored_hash = account.password_hash if account is not None else dummy_hash(cost)
    good = verify_password(password, stored_hash)
    if account is None or account.disabled or not good:
        failures = ws.staff.sessions.add_failure(key, now)
        record(
            ws.staff.audit,
            moment,
            name if USERNAME_PATTERN.match(name) else "?",
            "login.failed",
            account_target(name if USERNAME_PATTERN.match(name) else "?"),
            after={"failures": failures.count},
        )
        wait_more = locked_for(failures, now)
        if wait_more:
            return _too_many(wait_more)
        return LoginRefused(401, "用户名或密码不正确。")
    ws.staff.sessions.clear_failures(key)
    account = _note_login(ws, account, password, moment)
    record(ws.staff.audit, moment, account.username, "login", account_target(account.username))
    return start_session(ws, account)


def _note_login(ws: Workspace, account: Account, password: str, moment: datetime) -> Account:
    """Record the login time, and re-hash a password made under an older cost."""
    cost = ws.settings.password_cost
    changed = replace(account, last_login_at=utc_timestamp(moment), version=account.version + 1)
    if needs_rehash(account.password_hash, cost):
        changed = replace(changed, password_hash=hash_password(password, cost))
    try:
        ws.staff.accounts.replace(changed)
    except AccountConflict:
        return account  # changed meanwhile (e.g. reset): keep what is stored
    return changed


def _too_many(seconds: float) -> LoginRefused:
    minutes = max(1, round(seconds / 60))
    return LoginRefused(
        429, f"登录尝试次数过多，请 {minutes} 分钟后再试。", retry_after=max(1, math.ceil(seconds))
    )
