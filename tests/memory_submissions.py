"""An in-memory submission store with the department-month access the aggregator reads through.

Kept to the contract of issue 4's store (sort key `R#<received_at>#<id>`, ascending order, keys
above `after_sk` only), so the aggregator's tests do not depend on a database.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from datetime import datetime

from manyi.calendar import OfficeCalendar
from manyi.submission import StoredSubmission, utc_timestamp

# questionnaire.yaml's reporting settings, which the tests' questionnaires share.
OFFICE = OfficeCalendar("Asia/Shanghai", 27)


def sort_key(submission: StoredSubmission) -> str:
    return f"R#{submission.received_at}#{submission.submission_id}"


class MemorySubmissions:
    def __init__(self, submissions: Iterable[StoredSubmission] = ()) -> None:
        self._items: dict[tuple[str, str], list[tuple[str, StoredSubmission]]] = {}
        self.reads = 0
        for submission in submissions:
            self.add(submission)

    def add(self, submission: StoredSubmission) -> None:
        items = self._items.setdefault((submission.department, submission.month), [])
        bisect.insort(items, (sort_key(submission), submission), key=lambda item: item[0])

    def departments(self, month: str) -> set[str]:
        return {department for department, m in self._items if m == month}

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[tuple[str, StoredSubmission]]:
        items = self._items.get((department, month), [])
        start = 0 if after_sk is None else bisect.bisect_right(items, after_sk, key=lambda i: i[0])
        for item in items[start:]:
            self.reads += 1
            yield item


def stored(
    submission_id: str,
    received: datetime,
    answers: dict[str, str | tuple[str, ...]],
    *,
    department: str = "sifaju",
    channel: str = "leaflet",
    version: str = "v1",
) -> StoredSubmission:
    return StoredSubmission(
        submission_id=submission_id,
        department=department,
        month=OFFICE.month(received),
        received_at=utc_timestamp(received),
        version=version,
        channel=channel,
        answers=answers,
    )
