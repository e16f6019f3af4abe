"""The retention purge of complaints: personal fields removed some years after a complaint is
final, every count kept.

`complaints.retention_years` (questionnaire.yaml) after the Beijing day a complaint was
concluded or refused, the purge removes what is about a person (Complaint.purged: the sealed
name and phone, the officer or place, the account of events and its date, the notes to the
complainant) and keeps what the figures count, so every month's figures are the same before
and after. Each complaint purged is one event in the audit log. Running it again finds nothing
(purged complaints leave the store's index), so the schedule may run it daily, and a run cut
short is finished by the next. Complaints still open are never purged: they are still needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from manyi.calendar import OfficeCalendar
from manyi.model import Questionnaire
from manyi.store.complaints.base import ComplaintConflict, ComplaintStore
from manyi.store.staff.base import AuditLog
from manyi.submission import utc_timestamp
from manyi.workspace.audit import complaint_target, record

# What the purge removes, as the audit log names it.
REMOVED = ("name", "phone", "subject", "account", "happened_on", "notes")


@dataclass(frozen=True)
class PurgeResult:
    closed_on_or_before: str  # the last closing day that was due (ISO)
    purged: tuple[str, ...] = ()  # the numbers purged now
    # Changed by someone else between the read and the write: the next run takes them.
    skipped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "closed_on_or_before": self.closed_on_or_before,
            "purged": len(self.purged),
            "skipped": len(self.skipped),
        }


def last_due_day(today: date, years: int) -> date:
    """The latest closing day whose retention has ended by `today`: the same day `years`
    years back (29 February, in a year without one, is the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def purge(
    store: ComplaintStore,
    audit: AuditLog,
    questionnaire: Questionnaire,
    now: datetime,
    actor: str,
) -> PurgeResult:
    years = questionnaire.complaints.retention_years
    today = OfficeCalendar.of(questionnaire.reporting).today(now)
    due = last_due_day(today, years).isoformat()
    purged: list[str] = []
    skipped: list[str] = []
    for complaint in store.closed_with_personal(due):
        try:
            store.replace(complaint.purged(utc_timestamp(now)))
        except ComplaintConflict:
            skipped.append(complaint.number)
            continue
        purged.append(complaint.number)
        record(
            audit, now, actor, "complaint.purge", complaint_target(complaint.number),
            before={"closed_on": complaint.closed_on},
            after={"removed": list(REMOVED), "retention_years": years},
        )  # fmt: skip
    if purged:
        store.scrub()
    return PurgeResult(due, tuple(purged), tuple(skipped))


def aws_purge(now: datetime, dynamodb: Any | None = None) -> PurgeResult:
    """The scheduled purge in AWS: the tables the deployment names (COMPLAINTS_TABLE,
    AUDIT_TABLE) and the current questionnaire the artifact bundles."""
    from manyi.store.complaints.dynamodb import DynamoDBComplaintStore
    from manyi.store.staff.dynamodb import DynamoDBAuditLog
    from manyi.versions import Catalogue, bundled_folder

    questionnaire = Catalogue.open(bundled_folder()).current
    store = DynamoDBComplaintStore(os.environ["COMPLAINTS_TABLE"], dynamodb)
    audit = DynamoDBAuditLog(os.environ["AUDIT_TABLE"], dynamodb)
    return purge(store, audit, questionnaire, now, "system")
