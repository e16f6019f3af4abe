"""The pressure question's counts in their own SQLite file (`<data>/pressure.sqlite3`)."""

from __future__ import annotations

from pathlib import Path

from manyi.store.pressure.base import (
    MonthCounts,
    PressureAnswer,
    PressureStore,
    answer_key,
    month_key,
)
from manyi.store.sqlite_schema import Schema, StoreFile

FILE_NAME = "pressure.sqlite3"
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS pressure (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
"""
SCHEMA = Schema("pressure", (SCHEMA_V1,))
ADD = (
    "INSERT INTO pressure (pk, sk, count) VALUES (?, ?, 1)"
    " ON CONFLICT (pk, sk) DO UPDATE SET count = count + 1"
)
SELECT_MONTH = "SELECT sk, count FROM pressure WHERE pk = ?"


class SQLitePressureStore(PressureStore):
    def __init__(self, path: Path | str) -> None:
        self._file = StoreFile(path, SCHEMA)
        self.path = self._file.path

    @classmethod
    def in_folder(cls, data: Path | str) -> SQLitePressureStore:
        return cls(Path(data) / FILE_NAME)

    def add(self, month: str, department: str, answer: PressureAnswer) -> None:
        with self._file.writing() as db:
            db.execute(ADD, (month_key(month), answer_key(department, answer)))

    def month_counts(self, month: str) -> MonthCounts:
        counts: MonthCounts = {}
        with self._file.reading() as db:
            rows = db.execute(SELECT_MONTH, (month_key(month),)).fetchall()
        for sk, count in rows:
            department, _, answer = str(sk).rpartition("#")
            counts.setdefault(department, {})[answer] = int(count)
        return counts

    def close(self) -> None:
        self._file.close()
