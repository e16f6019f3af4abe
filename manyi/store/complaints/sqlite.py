"""The complaints store in its own SQLite file (`<data>/complaints.sqlite3`), for `manyi serve`.

WAL and `synchronous=FULL` as the other local stores. Numbering and the exactly-once key are
one immediate transaction, so two requests never get the same number.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from manyi.complaints.model import Complaint, ConductHandlers, tracking_number
from manyi.store.complaints.base import (
    FILE_NAME,
    PERSONAL_MARK,
    ComplaintConflict,
    ComplaintStore,
    HandlersConflict,
    WrongCodes,
    purge_index,
)
from manyi.store.records import dumps
from manyi.store.sqlite_schema import Schema, SQLiteStore, connect


# Steps 1 and 2 are schema/001.sql and 002.sql; step 3 is Python, for it reads the stored JSON.
def _index_final_complaints(db: sqlite3.Connection) -> None:
    """Complaints concluded or refused before the index existed go into it."""
    rows = db.execute("SELECT number, complaint FROM complaints").fetchall()
    for number, body in rows:
        personal, closed_on = purge_index(Complaint.from_dict(json.loads(body)))
        if personal:
            db.execute(
                "UPDATE complaints SET personal = ?, closed_on = ? WHERE number = ?",
                (personal, closed_on, number),
            )


SCHEMA = Schema.of("complaints", "manyi.store.complaints", functions={3: _index_final_complaints})
HANDLERS = "conduct_handlers"


def _connect(path: Path) -> sqlite3.Connection:
    # Text removed by the retention purge is overwritten, not left in free space.
    return connect(path, "secure_delete = ON")


class SQLiteComplaintStore(
    SQLiteStore, ComplaintStore, file_name=FILE_NAME, schema=SCHEMA, opener=_connect
):
    def add(self, complaint: Complaint) -> tuple[Complaint, bool]:
        with self._writing() as db:
            row = db.execute(
                "SELECT complaint FROM complaints WHERE key_hash = ?", (complaint.key_hash,)
            ).fetchone()
            if row is not None:
                return Complaint.from_dict(json.loads(row[0])), False
            (sequence,) = db.execute(
                "INSERT INTO sequences (year, department, last) VALUES (?, ?, 1)"
                " ON CONFLICT (year, department) DO UPDATE SET last = last + 1 RETURNING last",
                (complaint.year, complaint.department),
            ).fetchone()
            number = tracking_number(complaint.year, complaint.department, int(sequence))
            stored = replace(complaint, number=number, version=1)
            db.execute(
                "INSERT INTO complaints (number, year, key_hash, version, complaint)"
                " VALUES (?, ?, ?, ?, ?)",
                (number, stored.year, stored.key_hash, 1, dumps(stored.to_dict())),
            )
        return stored, True

    def get(self, number: str) -> Complaint | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT complaint FROM complaints WHERE number = ?", (number,)
            ).fetchone()
        return None if row is None else Complaint.from_dict(json.loads(row[0]))

    def year(self, year: int) -> list[Complaint]:
        return self._file.documents(
            Complaint.from_dict,
            "SELECT complaint FROM complaints WHERE year = ? ORDER BY number",
            year,
        )

    def replace(self, complaint: Complaint) -> None:
        personal, closed_on = purge_index(complaint)
        with self._writing() as db:
            changed = db.execute(
                "UPDATE complaints SET version = ?, complaint = ?, personal = ?, closed_on = ?"
                " WHERE number = ? AND version = ?",
                (
                    complaint.version,
                    dumps(complaint.to_dict()),
                    personal,
                    closed_on,
                    complaint.number,
                    complaint.version - 1,
                ),
            ).rowcount
        if changed != 1:
            raise ComplaintConflict(complaint.number)

    def closed_with_personal(self, on_or_before: str) -> list[Complaint]:
        return self._file.documents(
            Complaint.from_dict,
            "SELECT complaint FROM complaints WHERE personal = ? AND closed_on <= ?"
            " ORDER BY closed_on, number",
            PERSONAL_MARK,
            on_or_before,
        )

    def handlers(self) -> ConductHandlers:
        with self._reading() as db:
            row = db.execute("SELECT value FROM settings WHERE name = ?", (HANDLERS,)).fetchone()
        return ConductHandlers() if row is None else ConductHandlers.from_dict(json.loads(row[0]))

    def set_handlers(self, handlers: ConductHandlers) -> None:
        with self._writing() as db:
            if handlers.version == 1:
                changed = db.execute(
                    "INSERT INTO settings (name, version, value) VALUES (?, 1, ?)"
                    " ON CONFLICT (name) DO NOTHING",
                    (HANDLERS, dumps(handlers.to_dict())),
                ).rowcount
            else:
                changed = db.execute(
                    "UPDATE settings SET version = ?, value = ? WHERE name = ? AND version = ?",
                    (handlers.version, dumps(handlers.to_dict()), HANDLERS, handlers.version - 1),
                ).rowcount
        if changed != 1:
            raise HandlersConflict(HANDLERS)

    def scrub(self) -> None:
        # secure_delete (set on opening) zeroes what a purge frees in the file; the log still
        # holds older copies of the pages until it is checkpointed and emptied.
        with self._reading() as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def wrong_codes(self, number: str) -> WrongCodes:
        with self._reading() as db:
            row = db.execute(
                "SELECT count, last_at FROM wrong_codes WHERE number = ?", (number,)
            ).fetchone()
        return WrongCodes() if row is None else WrongCodes(int(row[0]), float(row[1]))

    def add_wrong_code(self, number: str, now: float) -> WrongCodes:
        with self._writing() as db:
            row = db.execute(
                "INSERT INTO wrong_codes (number, count, last_at) VALUES (?, 1, ?)"
                " ON CONFLICT (number) DO UPDATE SET count = count + 1, last_at = excluded.last_at"
                " RETURNING count, last_at",
                (number, now),
            ).fetchone()
        return WrongCodes(int(row[0]), float(row[1]))

    def clear_wrong_codes(self, number: str) -> None:
        with self._writing() as db:
            db.execute("DELETE FROM wrong_codes WHERE number = ?", (number,))
