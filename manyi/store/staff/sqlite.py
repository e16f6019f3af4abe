"""The staff stores in one local SQLite file (`<data>/staff.sqlite3`), for `manyi serve`.

WAL and `synchronous=FULL` as the other local stores: a page that said "saved" survives a crash.
The audit table refuses UPDATE and DELETE with triggers, so even a hand-written query through
this connection cannot rewrite history.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

# A locked or failing file becomes StoreUnavailable: the page answers 503, retry later.
from manyi.store.records import dumps
from manyi.store.sqlite_schema import Schema, StoreFile
from manyi.store.staff.base import (
    FAILURES_KEPT_SECONDS,
    Account,
    AccountConflict,
    AccountExists,
    AccountStore,
    AuditEvent,
    AuditEventExists,
    AuditLog,
    LoginFailures,
    Session,
    SessionStore,
    StaffStores,
)

FILE_NAME = "staff.sqlite3"

SCHEMA = Schema.of("staff", "manyi.store.staff")


class SQLiteAccountStore(AccountStore):
    def __init__(self, db: StoreFile) -> None:
        self.db = db

    def add(self, account: Account) -> None:
        if account.version != 1:
            raise ValueError("a new account has version 1")
        with self.db.writing() as db:
            try:
                db.execute(
                    "INSERT INTO accounts (username, version, account) VALUES (?, ?, ?)",
                    (account.username, account.version, dumps(account.to_dict())),
                )
            except sqlite3.IntegrityError:
                raise AccountExists(account.username) from None

    def get(self, username: str) -> Account | None:
        with self.db.reading() as db:
            row = db.execute(
                "SELECT account FROM accounts WHERE username = ?", (username,)
            ).fetchone()
        return None if row is None else Account.from_dict(json.loads(row[0]))

    def all(self) -> list[Account]:
        with self.db.reading() as db:
            rows = db.execute("SELECT account FROM accounts ORDER BY username").fetchall()
        return [Account.from_dict(json.loads(row[0])) for row in rows]

    def replace(self, account: Account) -> None:
        with self.db.writing() as db:
            changed = db.execute(
                "UPDATE accounts SET version = ?, account = ? WHERE username = ? AND version = ?",
                (account.version, dumps(account.to_dict()), account.username, account.version - 1),
            ).rowcount
        if changed != 1:
            raise AccountConflict(account.username)


class SQLiteSessionStore(SessionStore):
    def __init__(self, db: StoreFile) -> None:
        self.db = db

    def create(self, session: Session) -> None:
        with self.db.writing() as db:
            # Forget sessions that ended: the local file has no TTL of its own.
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (session.created_at,))
            db.execute(
                "INSERT INTO sessions (key_hash, username, generation, csrf_token, created_at,"
                " last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session.key_hash,
                    session.username,
                    session.generation,
                    session.csrf_token,
                    session.created_at,
                    session.last_seen,
                    session.expires_at,
                ),
            )

    def get(self, key_hash: str) -> Session | None:
        with self.db.reading() as db:
            return _session(db, key_hash)

    def touch(self, key_hash: str, last_seen: float) -> None:
        with self.db.writing() as db:
            session = _session(db, key_hash)
            if session is None:
                return
            moved = replace(session, last_seen=last_seen)
            db.execute(
                "UPDATE sessions SET last_seen = ?, expires_at = ? WHERE key_hash = ?",
                (last_seen, moved.expires_at, key_hash),
            )

    def delete(self, key_hash: str) -> None:
        with self.db.writing() as db:
            db.execute("DELETE FROM sessions WHERE key_hash = ?", (key_hash,))

    def failures(self, key: str, now: float) -> LoginFailures:
        with self.db.reading() as db:
            row = db.execute(
                "SELECT count, last_at FROM login_failures WHERE key = ?", (key,)
            ).fetchone()
        if row is None or row[1] <= now - FAILURES_KEPT_SECONDS:
            return LoginFailures()
        return LoginFailures(int(row[0]), float(row[1]))

    def add_failure(self, key: str, now: float) -> LoginFailures:
        with self.db.writing() as db:
            row = db.execute(
                "INSERT INTO login_failures (key, count, last_at) VALUES (?, 1, ?)"
                " ON CONFLICT (key) DO UPDATE SET"
                " count = CASE WHEN last_at <= ? THEN 1 ELSE count + 1 END,"
                " last_at = excluded.last_at"
                " RETURNING count, last_at",
                (key, now, now - FAILURES_KEPT_SECONDS),
            ).fetchone()
        return LoginFailures(int(row[0]), float(row[1]))

    def clear_failures(self, key: str) -> None:
        with self.db.writing() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (key,))


def _session(db: sqlite3.Connection, key_hash: str) -> Session | None:
    row = db.execute(
        "SELECT key_hash, username, generation, csrf_token, created_at, last_seen"
        " FROM sessions WHERE key_hash = ?",
        (key_hash,),
    ).fetchone()
    return None if row is None else Session(*row)


class SQLiteAuditLog(AuditLog):
    def __init__(self, db: StoreFile) -> None:
        self.db = db

    def append(self, event: AuditEvent) -> None:
        with self.db.writing() as db:
            try:
                db.execute(
                    "INSERT INTO audit (month, sort_key, event_id, target, event)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        event.month,
                        event.sort_key,
                        event.event_id,
                        event.target,
                        dumps(event.to_dict()),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AuditEventExists(event.event_id) from None

    def month(self, month: str) -> list[AuditEvent]:
        return self.db.documents(
            AuditEvent.from_dict, "SELECT event FROM audit WHERE month = ? ORDER BY sort_key", month
        )

    def history(self, target: str) -> list[AuditEvent]:
        return self.db.documents(
            AuditEvent.from_dict,
            "SELECT event FROM audit WHERE target = ? ORDER BY sort_key",
            target,
        )


def local_staff_stores(data: Path | str) -> StaffStores:
    # One connection to the staff file, shared by the three stores, one statement at a time.
    db = StoreFile(Path(data) / FILE_NAME, SCHEMA)
    return StaffStores(
        accounts=SQLiteAccountStore(db),
        sessions=SQLiteSessionStore(db),
        audit=SQLiteAuditLog(db),
        where=str(db.path),
        on_close=db.close,
    )
