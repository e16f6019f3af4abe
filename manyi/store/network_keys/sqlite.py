"""Daily network keys in their own SQLite file (`<data>/network_keys.sqlite3`).

Apart from the submissions on purpose: a backup or copy of the responses carries no key (and
`manyi backup` leaves this file out), and deleting a key is a row gone from a small file whose
deleted bytes are overwritten (see `_connect`).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from manyi.store.network_keys.base import NetworkKeyError, NetworkKeys, month_of, new_key
from manyi.store.sqlite_schema import (
    BUSY_TIMEOUT_MS,
    Schema,
    SQLiteStore,
    immediate_transaction,
)

FILE_NAME = "network_keys.sqlite3"
SCHEMA = Schema.of("network keys", "manyi.store.network_keys")
INSERT = "INSERT OR IGNORE INTO network_keys (pk, sk, key) VALUES (?, ?, ?)"
SELECT = "SELECT key FROM network_keys WHERE pk = ? AND sk = ?"
SELECT_DAYS = "SELECT sk FROM network_keys WHERE pk = ? ORDER BY sk"
DELETE = "DELETE FROM network_keys WHERE pk = ? AND sk = ?"


def _connect(path: Path) -> sqlite3.Connection:
    """Not sqlite_schema.connect(): no WAL, whose file would keep a deleted key's page until a
    checkpoint, and secure_delete, so that a deleted key's bytes are overwritten rather than
    left in a free page."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA journal_mode = DELETE")
    except BaseException:
        db.close()
        raise
    return db


class SQLiteNetworkKeys(
    SQLiteStore, NetworkKeys, file_name=FILE_NAME, schema=SCHEMA, opener=_connect
):
    def key(self, day: date) -> bytes:
        pk, sk = f"M#{month_of(day)}", day.isoformat()
        try:
            # Not the file's reading/writing blocks: a failure here is NetworkKeyError (the
            # response is stored without a network), not the store's 503.
            with self._file.lock:
                db = self._file.db
                row = db.execute(SELECT, (pk, sk)).fetchone()
                if row is None:
                    with immediate_transaction(db):
                        db.execute(INSERT, (pk, sk, new_key()))
                    row = db.execute(SELECT, (pk, sk)).fetchone()
        except sqlite3.Error as error:
            raise NetworkKeyError(f"SQLite {self.path}: {error}") from error
        return bytes(row[0])

    def days(self, month: str) -> list[str]:
        with self._reading() as db:
            return [row[0] for row in db.execute(SELECT_DAYS, (f"M#{month}",))]

    def destroy(self, day: str) -> None:
        with self._writing() as db:
            db.execute(DELETE, (f"M#{day[:7]}", day))
