"""The aggregator's state in a local SQLite file (`<data>/results.sqlite3`), for one machine.

Each write is one transaction; a department-month's write checks the version it read, as the
DynamoDB adapter's conditional put does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from manyi.aggregate import MonthlyResult
from manyi.store.records import dumps
from manyi.store.results.base import (
    CloseEvent,
    DepartmentMonthState,
    MonthClose,
    ResultsStore,
    StateConflict,
)
from manyi.store.sqlite_schema import Schema, immediate_transaction, open_migrated
from manyi.submission import utc_timestamp

FILE_NAME = "results.sqlite3"

SCHEMA = Schema.of("results", "manyi.store.results")


def _connect(path: Path) -> sqlite3.Connection:
    """Not sqlite_schema.connect(): the file is opened as the aggregator always opened it, for
    one thread that waits up to 30 s for a lock. Autocommit mode: every transaction below is
    explicit (BEGIN IMMEDIATE … COMMIT)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    return db


class SqliteResultsStore(ResultsStore):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = open_migrated(self.path, SCHEMA, _connect)

    @classmethod
    def in_folder(cls, data: Path | str) -> SqliteResultsStore:
        return cls(Path(data) / FILE_NAME)

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._db)

    # -- department-months --------------------------------------------------------------

    def state(self, department: str, month: str) -> DepartmentMonthState:
        row = self._db.execute(
            "SELECT version, watermark, result FROM department_month"
            " WHERE month = ? AND department = ?",
            (month, department),
        ).fetchone()
        if row is None:
            return DepartmentMonthState.empty(department, month)
        return _state(row)

    def month_states(self, month: str) -> list[DepartmentMonthState]:
        rows = self._db.execute(
            "SELECT version, watermark, result FROM department_month WHERE month = ?"
            " ORDER BY department",
            (month,),
        )
        return [_state(row) for row in rows]

    def put_state(self, state: DepartmentMonthState, expected_version: int) -> None:
        if state.version != expected_version + 1:
            raise ValueError("a state's version must be the expected version + 1")
        values = (state.version, state.watermark, dumps(state.result.to_dict()))
        with self._transaction() as db:
            if expected_version == 0:
                changed = db.execute(
                    "INSERT OR IGNORE INTO department_month"
                    " (version, watermark, result, month, department) VALUES (?, ?, ?, ?, ?)",
                    (*values, state.month, state.department),
                ).rowcount
            else:
                changed = db.execute(
                    "UPDATE department_month SET version = ?, watermark = ?, result = ?"
                    " WHERE month = ? AND department = ? AND version = ?",
                    (*values, state.month, state.department, expected_version),
                ).rowcount
        if changed != 1:
            raise StateConflict(f"{state.department} {state.month}")

    def months(self) -> list[str]:
        """Every month with counted responses, oldest first."""
        rows = self._db.execute("SELECT DISTINCT month FROM department_month ORDER BY month")
        return [month for (month,) in rows]

    # -- months -------------------------------------------------------------------------

    def month_close(self, month: str) -> MonthClose | None:
        row = self._db.execute(
            "SELECT month, horizon, closed_at, served, published FROM month_close WHERE month = ?",
            (month,),
        ).fetchone()
        if row is None:
            return None
        return MonthClose(row[0], row[1], row[2], json.loads(row[3]), bool(row[4]))

    def add_month_close(self, close: MonthClose, event: CloseEvent) -> MonthClose:
        with self._transaction() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO month_close (month, horizon, closed_at, served, published)"
                " VALUES (?, ?, ?, ?, ?)",
                (close.month, close.horizon, close.closed_at, dumps(dict(close.served)), 0),
            ).rowcount
            if added:
                _insert_event(db, event)
        recorded = self.month_close(close.month)
        assert recorded is not None
        return recorded

    def reopen_month(self, event: CloseEvent) -> MonthClose | None:
        with self._transaction() as db:
            close = self.month_close(event.month)
            if close is None:
                return None
            db.execute("DELETE FROM month_close WHERE month = ?", (event.month,))
            _insert_event(db, event)
        return close

    def close_events(self, month: str) -> list[CloseEvent]:
        rows = self._db.execute(
            "SELECT month, action, at, by, reason, early FROM close_event WHERE month = ?"
            " ORDER BY at, action",
            (month,),
        )
        return [
            CloseEvent(month, action, at, by, reason, bool(early))
            for month, action, at, by, reason, early in rows
        ]

    def mark_published(self, month: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE month_close SET published = 1 WHERE month = ?", (month,))

    def known_departments(self) -> set[str]:
        return {d for (d,) in self._db.execute("SELECT department FROM known_department")}

    def add_known_departments(self, departments: Iterable[str]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO known_department (department) VALUES (?)",
                [(d,) for d in departments],
            )

    # -- served subjects ----------------------------------------------------------------

    def served(self, month: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT department, count FROM served WHERE month = ? ORDER BY department", (month,)
        )
        return dict(rows)

    def served_changes(self, month: str) -> dict[str, str]:
        rows = self._db.execute(
            "SELECT department, changed_at FROM served WHERE month = ? AND changed_at != ''"
            " ORDER BY department",
            (month,),
        )
        return dict(rows)

    def set_served(self, counts: Mapping[tuple[str, str], int], at: str | None = None) -> None:
        at = at or utc_timestamp(datetime.now(UTC))
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO served (month, department, count, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (month, department) DO UPDATE SET count = excluded.count,"
                " changed_at = CASE WHEN count = excluded.count THEN changed_at"
                " ELSE excluded.changed_at END",
                [(m, department, count, at) for (m, department), count in counts.items()],
            )


def _insert_event(db: sqlite3.Connection, event: CloseEvent) -> None:
    db.execute(
        "INSERT INTO close_event (month, at, action, by, reason, early) VALUES (?, ?, ?, ?, ?, ?)",
        (event.month, event.at, event.action, event.by, event.reason, int(event.early)),
    )


def _state(row: tuple[int, str, str]) -> DepartmentMonthState:
    version, watermark, result = row
    return DepartmentMonthState(MonthlyResult.from_dict(json.loads(result)), version, watermark)
