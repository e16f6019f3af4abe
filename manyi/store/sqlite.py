"""The embedded store for one machine: SQLite in WAL mode, every commit on disk before 2xx.

The same keys as DynamoDB (`pk`, `sk`, one row per submission ID) give the same order and the
same exactly-once rule. One connection serves every thread behind a lock: writes are serial in
SQLite anyway, and waiting on a Python lock is fairer and faster than SQLite's busy-sleep.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from manyi.model import AnswerValue
from manyi.store.base import (
    SortedSubmission,
    StoreUnavailable,
    SubmissionStore,
    partition_key,
    sort_key,
)
from manyi.submission import StoredSubmission

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    department TEXT NOT NULL,
    month TEXT NOT NULL,
    received_at TEXT NOT NULL,
    version TEXT NOT NULL,
    channel TEXT NOT NULL,
    answers TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS submission_ids (
    submission_id TEXT PRIMARY KEY,
    pk TEXT NOT NULL,
    sk TEXT NOT NULL
) WITHOUT ROWID;
"""
# The queries are constants: only values travel as parameters.
INSERT_ID = "INSERT INTO submission_ids (submission_id, pk, sk) VALUES (?, ?, ?)"
INSERT_RESPONSE = (
    "INSERT INTO responses (pk, sk, submission_id, department, month, received_at, version,"
    " channel, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_BY_ID = (
    "SELECT r.submission_id, r.department, r.month, r.received_at, r.version, r.channel,"
    " r.answers FROM submission_ids AS i JOIN responses AS r ON r.pk = i.pk AND r.sk = i.sk"
    " WHERE i.submission_id = ?"
)
SELECT_AFTER = (
    "SELECT sk, submission_id, department, month, received_at, version, channel, answers"
    " FROM responses WHERE pk = ? AND sk > ? ORDER BY sk LIMIT ?"
)
# Another process (e.g. `manyi aggregate`) may hold the write lock for a moment.
BUSY_TIMEOUT_MS = 5000
READ_BATCH = 500


class SQLiteSubmissionStore(SubmissionStore):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=0
        )
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        # FULL: the WAL is fsynced at every commit, so a 2xx survives `kill -9` and power loss.
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(SCHEMA)

    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        pk, sk = partition_key(submission.department, submission.month), sort_key(submission)
        with self._lock, _unavailable_on_error():
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                first = self._get_locked(submission.submission_id)
                if first is not None:
                    db.execute("COMMIT")
                    return first, False
                db.execute(INSERT_ID, (submission.submission_id, pk, sk))
                db.execute(INSERT_RESPONSE, (pk, sk, *_row(submission)))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return submission, True

    def get(self, submission_id: str) -> StoredSubmission | None:
        with self._lock, _unavailable_on_error():
            return self._get_locked(submission_id)

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        pk = partition_key(department, month)
        last = after_sk if after_sk is not None else ""
        # In batches, so a long read neither holds the lock nor loads a month into memory.
        while True:
            with self._lock, _unavailable_on_error():
                rows = self._db.execute(SELECT_AFTER, (pk, last, READ_BATCH)).fetchall()
            for row in rows:
                yield SortedSubmission(row[0], _submission(row[1:]))
            if len(rows) < READ_BATCH:
                return
            last = rows[-1][0]

    def count(self) -> int:
        with self._lock, _unavailable_on_error():
            return int(self._db.execute("SELECT count(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _get_locked(self, submission_id: str) -> StoredSubmission | None:
        row = self._db.execute(SELECT_BY_ID, (submission_id,)).fetchone()
        return None if row is None else _submission(row)


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    """A locked, full or failing database becomes StoreUnavailable (the app answers 503)."""
    try:
        yield
    except sqlite3.OperationalError as error:
        raise StoreUnavailable(f"SQLite: {error}") from error


def _row(s: StoredSubmission) -> tuple[str, ...]:
    answers = {k: v if isinstance(v, str) else list(v) for k, v in s.answers.items()}
    encoded = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
    return (s.submission_id, s.department, s.month, s.received_at, s.version, s.channel, encoded)


def _submission(row: tuple[str, ...]) -> StoredSubmission:
    raw = json.loads(row[6])
    answers: dict[str, AnswerValue] = {
        k: v if isinstance(v, str) else tuple(v) for k, v in raw.items()
    }
    return StoredSubmission(
        submission_id=row[0],
        department=row[1],
        month=row[2],
        received_at=row[3],
        version=row[4],
        channel=row[5],
        answers=answers,
    )
