"""Stored responses for tests, made one way: `stored(id, received, answers, ...)`."""

from __future__ import annotations

from datetime import datetime

from manyi.calendar import OfficeCalendar
from manyi.submission import StoredSubmission, utc_timestamp

# questionnaire.yaml's reporting settings, which the tests' questionnaires share.
OFFICE = OfficeCalendar("Asia/Shanghai", 27)


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
