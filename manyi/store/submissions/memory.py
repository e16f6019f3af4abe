"""A store in a dict: for benchmarks and tests that must leave storage out of the picture.

It honours the same contract as the SQLite and DynamoDB adapters (the contract suite runs over
all three), so the aggregator's tests run on it without a database.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator

from manyi.store.submissions.base import SortedSubmission, SubmissionStore, sort_key
from manyi.submission import StoredSubmission


class MemorySubmissionStore(SubmissionStore):
    def __init__(self, submissions: Iterable[StoredSubmission] = ()) -> None:
        self._by_id: dict[str, StoredSubmission] = {}
        # Per department-month, (sort key, response) kept in sort key order.
        self._months: dict[tuple[str, str], list[SortedSubmission]] = {}
        self._lock = threading.Lock()
        # How many responses readers were handed: a test sees a watermark saving work.
        self.reads = 0
        for submission in submissions:
            self.put(submission)

    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        with self._lock:
            first = self._by_id.get(submission.submission_id)
            if first is not None:
                return first, False
            self._by_id[submission.submission_id] = submission
            month = self._months.setdefault((submission.department, submission.month), [])
            bisect.insort(month, SortedSubmission(sort_key(submission), submission))
        return submission, True

    def get(self, submission_id: str) -> StoredSubmission | None:
        return self._by_id.get(submission_id)

    def departments(self, month: str) -> set[str]:
        with self._lock:
            return {department for department, m in self._months if m == month}

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        with self._lock:
            items = list(self._months.get((department, month), ()))
        start = 0 if after_sk is None else bisect.bisect_right(items, after_sk, key=lambda i: i[0])
        for item in items[start:]:
            self.reads += 1
            yield item
