"""A store in a dict: for benchmarks and tests that must leave storage out of the picture."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from manyi.store.submissions.base import SortedSubmission, SubmissionStore, partition_key, sort_key
from manyi.submission import StoredSubmission


class MemorySubmissionStore(SubmissionStore):
    def __init__(self) -> None:
        self._by_id: dict[str, StoredSubmission] = {}
        self._lock = threading.Lock()

    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        with self._lock:
            first = self._by_id.setdefault(submission.submission_id, submission)
        return first, first is submission

    def get(self, submission_id: str) -> StoredSubmission | None:
        return self._by_id.get(submission_id)

    def departments(self, month: str) -> set[str]:
        with self._lock:
            return {s.department for s in self._by_id.values() if s.month == month}

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        pk = partition_key(department, month)
        with self._lock:
            found = sorted(
                (sort_key(s), s)
                for s in self._by_id.values()
                if partition_key(s.department, s.month) == pk
            )
        for key, submission in found:
            if after_sk is None or key > after_sk:
                yield SortedSubmission(key, submission)
