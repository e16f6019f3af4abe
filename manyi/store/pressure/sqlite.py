"""The pressure question's counts in their own SQLite file (`<data>/pressure.sqlite3`)."""

from __future__ import annotations

from manyi.store.pressure.base import (
    MonthCounts,
    PressureAnswer,
    PressureStore,
    answer_key,
    month_key,
)
from manyi.store.sqlite_schema import Schema, SQLiteStore

FILE_NAME = "pressure.sqlite3"
SCHEMA = Schema.of("pressure", "manyi.store.pressure")
ADD = (
    "INSERT INTO pressure (pk, sk, count) VALUES (?, ?, 1)"
    " ON CONFLICT (pk, sk) DO UPDATE SET count = count + 1"
)
SELECT_MONTH = "SELECT sk, count FROM pressure WHERE pk = ?"


class SQLitePressureStore(SQLiteStore, PressureStore, file_name=FILE_NAME, schema=SCHEMA):
    def add(self, month: str, department: str, answer: PressureAnswer) -> None:
        with self._writing() as db:
            db.execute(ADD, (month_key(month), answer_key(department, answer)))

    def month_counts(self, month: str) -> MonthCounts:
        counts: MonthCounts = {}
        with self._reading() as db:
            rows = db.execute(SELECT_MONTH, (month_key(month),)).fetchall()
        for sk, count in rows:
            department, _, answer = str(sk).rpartition("#")
            counts.setdefault(department, {})[answer] = int(count)
        return counts
