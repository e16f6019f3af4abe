"""The store interface every adapter honours, and the key layout they share.

One department-month is one partition: `pk = "DM#<department>#<YYYY-MM>"`, and within it each
response sorts by `sk = "R#<received_at>#<submission_id>"`, so reading a month is one range read
and "new since a watermark" is `sk > watermark`. Exactly-once rests on a second key per
submission ID (`SUB#<submission_id>`), written in the same transaction as the response.

A caution for readers of `department_month` with a watermark: `received_at` is taken when a
request arrives, before its write commits, so a response may become visible up to a request's
duration (seconds) after another with a later `sk`. Move a watermark only over responses older
than that lag.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import NamedTuple

from manyi.submission import StoredSubmission


class SortedSubmission(NamedTuple):
    """A stored response with its sort key, the watermark a reader keeps."""

    sort_key: str
    submission: StoredSubmission


class SubmissionStore(ABC):
    @abstractmethod
    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        """Store a response once per submission ID.

        Returns the stored record and True when it is new, or the record stored first under the
        same submission ID and False (a replay: the new one is not stored).
        """

    @abstractmethod
    def get(self, submission_id: str) -> StoredSubmission | None:
        """The response stored under a submission ID, if any."""

    @abstractmethod
    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        """A department's responses of a month (the office's) in `sk` order, only those after
        `after_sk` when given."""

    def departments(self, month: str) -> set[str] | None:
        """The departments with responses in `month`, when the store can tell without reading
        every response; None when it cannot (in DynamoDB only a scan could)."""
        return None

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections; the store is not used afterwards."""


def partition_key(department: str, month: str) -> str:
    return f"DM#{department}#{month}"


def department_and_month(key: str) -> tuple[str, str]:
    """The department and month of a partition key."""
    department, _, month = key.removeprefix("DM#").rpartition("#")
    return department, month


def sort_key(submission: StoredSubmission) -> str:
    return f"R#{submission.received_at}#{submission.submission_id}"


def idempotency_key(submission_id: str) -> str:
    return f"SUB#{submission_id}"


IDEMPOTENCY_SORT_KEY = "SUB"
