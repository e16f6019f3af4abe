"""The follow-up store in one local SQLite file (`<data>/followup.sqlite3`), for `manyi serve`.

Its own file, apart from the anonymous submissions: it holds sealed personal fields, and the
purge rewrites its rows. WAL and `synchronous=FULL` like the other local stores.
"""

from __future__ import annotations

import json

from manyi.store.cases.base import (
    PERSONAL_MARK,
    Case,
    CaseConflict,
    CaseStore,
    Draw,
    Visitor,
)
from manyi.store.records import dumps
from manyi.store.sqlite_schema import Schema, SQLiteStore

FILE_NAME = "followup.sqlite3"

SCHEMA = Schema.of("followup", "manyi.store.cases")


def _columns(case: Case) -> tuple[str, str, str, int, str, str, str, str]:
    personal = PERSONAL_MARK if case.done and case.holds_personal else ""
    return (
        case.department,
        case.month,
        case.case_id,
        case.version,
        case.visitor,
        personal,
        case.done_at,
        dumps(case.to_dict()),
    )


class SQLiteCaseStore(SQLiteStore, CaseStore, file_name=FILE_NAME, schema=SCHEMA):
    def add_cases(self, cases: list[Case]) -> list[str]:
        added = []
        with self._writing() as db:
            for case in cases:
                if case.version != 1:
                    raise ValueError("a new case has version 1")
                inserted = db.execute(
                    "INSERT INTO cases (department, month, case_id, version, visitor, personal,"
                    " done_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    _columns(case),
                ).rowcount
                if inserted:
                    added.append(case.case_id)
        return added

    def get(self, department: str, month: str, case_id: str) -> Case | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT body FROM cases WHERE department = ? AND month = ? AND case_id = ?",
                (department, month, case_id),
            ).fetchone()
        return None if row is None else Case.from_dict(json.loads(row[0]))

    def month(self, department: str, month: str) -> list[Case]:
        return self._file.documents(
            Case.from_dict,
            "SELECT body FROM cases WHERE department = ? AND month = ? ORDER BY case_id",
            department,
            month,
        )

    def replace(self, case: Case) -> None:
        department, month, case_id, version, visitor, personal, done_at, body = _columns(case)
        with self._writing() as db:
            changed = db.execute(
                "UPDATE cases SET version = ?, visitor = ?, personal = ?, done_at = ?, body = ?"
                " WHERE department = ? AND month = ? AND case_id = ? AND version = ?",
                (version, visitor, personal, done_at, body, department, month, case_id,
                 version - 1),
            ).rowcount  # fmt: skip
        if changed != 1:
            raise CaseConflict(case.case_id)

    def assigned_to(self, visitor: str) -> list[Case]:
        return self._file.documents(
            Case.from_dict,
            "SELECT body FROM cases WHERE visitor = ? ORDER BY month, department, case_id",
            visitor,
        )

    def done_with_personal(self, before: str) -> list[Case]:
        return self._file.documents(
            Case.from_dict,
            "SELECT body FROM cases WHERE personal = ? AND done_at < ? ORDER BY done_at",
            PERSONAL_MARK,
            before,
        )

    def add_draw(self, draw: Draw) -> None:
        with self._writing() as db:
            db.execute(
                "INSERT INTO draws (department, month, sort_key, body) VALUES (?, ?, ?, ?)",
                (draw.department, draw.month, draw.sort_key, dumps(draw.to_dict())),
            )

    def draws(self, department: str, month: str) -> list[Draw]:
        return self._file.documents(
            Draw.from_dict,
            "SELECT body FROM draws WHERE department = ? AND month = ? ORDER BY sort_key",
            department,
            month,
        )

    def put_visitor(self, visitor: Visitor) -> None:
        with self._writing() as db:
            db.execute(
                "INSERT INTO visitors (username, body) VALUES (?, ?)"
                " ON CONFLICT (username) DO UPDATE SET body = excluded.body",
                (visitor.username, dumps(visitor.to_dict())),
            )

    def visitors(self) -> list[Visitor]:
        return self._file.documents(
            Visitor.from_dict, "SELECT body FROM visitors ORDER BY username"
        )
