"""The embedded store for one machine: SQLite in WAL mode, every answer on disk before a 2xx.

The same keys as DynamoDB (`pk`, `sk`, one row per submission ID) give the same order and the
same exactly-once rule.

Writes are grouped: `put` checks the submission ID and queues the record; one writer thread
writes whatever is queued in one transaction and commits it (an fsync, `synchronous=FULL`),
and each `put` returns once its own transaction is on disk. Under load, one fsync covers every
submission that arrived during the previous one. Reads use their own connection: WAL lets them
run while the writer commits. One process writes a data folder at a time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from manyi.model import AnswerValue
from manyi.store.errors import StoreUnavailable
from manyi.store.sqlite_schema import Schema, connect, open_migrated, unavailable_on_error
from manyi.store.submissions.base import (
    PARTITION_PREFIX,
    SortedSubmission,
    SubmissionStore,
    department_and_month,
    partition_key,
    sort_key,
)
from manyi.submission import StoredSubmission

FILE_NAME = "submissions.sqlite3"  # in a data folder
SCHEMA = Schema.of("submissions", "manyi.store.submissions")
# The queries are constants: only values travel as parameters.
INSERT_ID = "INSERT INTO submission_ids (submission_id, pk, sk) VALUES (?, ?, ?)"
INSERT_RESPONSE = (
    "INSERT INTO responses (pk, sk, submission_id, department, month, received_at, version,"
    " channel, answers, network, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_BY_ID = (
    "SELECT r.submission_id, r.department, r.month, r.received_at, r.version, r.channel,"
    " r.answers, r.network, r.seconds"
    " FROM submission_ids AS i JOIN responses AS r ON r.pk = i.pk AND r.sk = i.sk"
    " WHERE i.submission_id = ?"
)
# The next partition after a key: one index seek, so listing partitions skips their rows.
SELECT_NEXT_PARTITION = "SELECT pk FROM responses WHERE pk > ? AND pk < 'DM$' ORDER BY pk LIMIT 1"
SELECT_AFTER = (
    "SELECT sk, submission_id, department, month, received_at, version, channel, answers,"
    " network, seconds FROM responses WHERE pk = ? AND sk > ? ORDER BY sk LIMIT ?"
)
# Another process (e.g. `manyi aggregate` reading) may hold a lock for a moment.
READ_BATCH = 500
# A request waits at most this long for its commit before it is told to retry (503).
COMMIT_WAIT_SECONDS = 20.0
# Failed commits remembered until their requests have heard (they ask within milliseconds).
MAX_FAILED_BATCHES = 1000


class SQLiteSubmissionStore(SubmissionStore):
    """With `deferred_commit`, `put` returns before its commit and the caller must call
    `wait_durable()` on the same thread before acknowledging: `manyi serve` runs the handler
    one request at a time and waits outside that section, so requests do not queue behind an
    fsync."""

    def __init__(self, path: Path | str, *, deferred_commit: bool = False) -> None:
        self.path = Path(path)
        self.deferred_commit = deferred_commit
        self._writer_db = open_migrated(self.path, SCHEMA)
        self._reader_db = connect(self.path)
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._done = threading.Condition(self._lock)
        self._queue: list[StoredSubmission] = []
        # Queued or being written, by submission ID: (batch, record).
        self._unsettled: dict[str, tuple[int, StoredSubmission]] = {}
        self._next_batch = 1  # the batch that new records join
        self._settled = 0  # every batch up to this one is on disk or has failed
        self._failed: dict[int, str] = {}
        self._closed = False
        self._pending = threading.local()
        self._writer = threading.Thread(target=self._write_loop, name="sqlite-writer", daemon=True)
        self._writer.start()

    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        result = self._enqueue(submission)
        if not self.deferred_commit:
            self.wait_durable()
        return result

    def put_many(self, submissions: Iterable[StoredSubmission]) -> int:
        """Queued together, so the writer commits them in as few transactions as it can (one
        fsync for thousands); returns once every one is on disk."""
        new, batches = 0, set()
        for submission in submissions:
            new += self._enqueue(submission)[1]
            batches.add(getattr(self._pending, "batch", 0))
        for batch in sorted(batches - {0}):
            self._pending.batch = batch
            self.wait_durable()
        return new

    def _enqueue(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            unsettled = self._unsettled.get(submission.submission_id)
            if unsettled is not None:
                # Its first arrival is not on disk yet: this answer waits for the same commit.
                batch, first = unsettled
                self._pending.batch = batch
                result = first, False
            else:
                with unavailable_on_error():
                    stored = self._read_one(submission.submission_id)
                if stored is not None:
                    self._pending.batch = 0
                    result = stored, False
                else:
                    batch = self._next_batch
                    self._queue.append(submission)
                    self._unsettled[submission.submission_id] = (batch, submission)
                    self._pending.batch = batch
                    self._work.notify()
                    result = submission, True
        return result

    def wait_durable(self) -> None:
        """Return once what this thread last put is on disk; StoreUnavailable if it is not."""
        batch = getattr(self._pending, "batch", 0)
        self._pending.batch = 0
        if not batch:
            return
        with self._lock:
            if not self._done.wait_for(lambda: self._settled >= batch, timeout=COMMIT_WAIT_SECONDS):
                raise StoreUnavailable("SQLite commit is taking too long")
            failure = self._failed.get(batch)
        if failure is not None:
            raise StoreUnavailable(f"SQLite commit failed: {failure}")

    def get(self, submission_id: str) -> StoredSubmission | None:
        with self._lock, unavailable_on_error():
            return self._read_one(submission_id)

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        pk = partition_key(department, month)
        last = after_sk if after_sk is not None else ""
        # In batches, so a long read neither holds the lock nor loads a month into memory.
        while True:
            with self._lock, unavailable_on_error():
                rows = self._reader_db.execute(SELECT_AFTER, (pk, last, READ_BATCH)).fetchall()
            for row in rows:
                yield SortedSubmission(row[0], _submission(row[1:]))
            if len(rows) < READ_BATCH:
                return
            last = rows[-1][0]

    def departments(self, month: str) -> set[str]:
        found: set[str] = set()
        last = PARTITION_PREFIX
        while True:
            with self._lock, unavailable_on_error():
                row = self._reader_db.execute(SELECT_NEXT_PARTITION, (last,)).fetchone()
            if row is None:
                return found
            department, found_month = department_and_month(row[0])
            if found_month == month:
                found.add(department)
            last = row[0]

    def count(self) -> int:
        with self._lock, unavailable_on_error():
            row = self._reader_db.execute("SELECT count(*) FROM responses").fetchone()
            return int(row[0])

    def close(self) -> None:
        """Write what is queued, then close."""
        with self._lock:
            self._closed = True
            self._work.notify()
        self._writer.join()
        self._reader_db.close()
        self._writer_db.close()

    def _read_one(self, submission_id: str) -> StoredSubmission | None:
        row = self._reader_db.execute(SELECT_BY_ID, (submission_id,)).fetchone()
        return None if row is None else _submission(row)

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                self._work.wait_for(lambda: bool(self._queue) or self._closed)
                if not self._queue:
                    return
                records, self._queue = self._queue, []
                batch = self._next_batch
                self._next_batch += 1
            failure = self._write(records)
            with self._lock:
                if failure is not None:
                    if len(self._failed) >= MAX_FAILED_BATCHES:
                        self._failed.clear()
                    self._failed[batch] = failure
                for record in records:
                    self._unsettled.pop(record.submission_id, None)
                self._settled = batch
                self._done.notify_all()

    def _write(self, records: list[StoredSubmission]) -> str | None:
        """Write records in one transaction; None when committed, else why not."""
        db = self._writer_db
        ids, rows = [], []
        for record in records:
            pk, sk = partition_key(record.department, record.month), sort_key(record)
            ids.append((record.submission_id, pk, sk))
            rows.append((pk, sk, *_row(record)))
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(INSERT_ID, ids)
            db.executemany(INSERT_RESPONSE, rows)
            db.execute("COMMIT")
        except Exception as error:  # the writer must survive anything: requests wait on it
            try:
                if db.in_transaction:
                    db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            return f"{type(error).__name__}: {error}"
        return None


def _row(s: StoredSubmission) -> tuple[str | int | None, ...]:
    answers = {k: v if isinstance(v, str) else list(v) for k, v in s.answers.items()}
    encoded = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
    return (
        s.submission_id,
        s.department,
        s.month,
        s.received_at,
        s.version,
        s.channel,
        encoded,
        s.network,
        s.seconds,
    )


def _submission(row: tuple[Any, ...]) -> StoredSubmission:
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
        network=row[7],
        seconds=row[8],
    )
