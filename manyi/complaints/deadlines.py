"""A complaint's deadlines in working days on the Chinese calendar, and how urgent it is today.

Accept or refuse within `accept_days` of the day it arrived; conclude within `conclude_days`
of the day it was accepted, plus `extension_days` once if extended (manyi.workdays counts, the
start day excluded). A deadline that falls in a year the installed calendar does not know is
not guessed: it is shown as unknown, with the calendar's own message saying what to upgrade,
and the complaint still counts as pending. Intake never refuses a complaint for this: a
citizen's complaint is never lost to a missing holiday table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from manyi.complaints.model import FINAL, Complaint, ComplaintSettings
from manyi.workdays import UnknownCalendarYear, add_working_days, working_days_between

Urgency = Literal["overdue", "near", "", "unknown"]


@dataclass(frozen=True)
class Deadlines:
    accept_due: date | None
    conclude_due: date | None
    problem: str = ""  # why a deadline is unknown (a year the calendar lacks)

    def pending(self, complaint: Complaint) -> tuple[str, date | None]:
        """What is due next ("accept", "conclude", or "" when final) and by when."""
        if complaint.status in FINAL:
            return "", None
        if complaint.status == "received":
            return "accept", self.accept_due
        return "conclude", self.conclude_due


def deadlines(complaint: Complaint, settings: ComplaintSettings) -> Deadlines:
    problems: list[str] = []

    def due(start: str | None, days: int) -> date | None:
        if start is None:
            return None
        try:
            return add_working_days(date.fromisoformat(start), days)
        except UnknownCalendarYear as unknown:
            problems.append(str(unknown))
            return None

    accept_due = due(complaint.received_on, settings.accept_days)
    days = settings.conclude_days + (settings.extension_days if complaint.extended else 0)
    conclude_due = due(complaint.accepted_on, days)
    return Deadlines(accept_due, conclude_due, problems[0] if problems else "")


def urgency(complaint: Complaint, settings: ComplaintSettings, today: date) -> Urgency:
    """overdue, near (within `near_due_days` working days), "" (in time or final), unknown."""
    found = deadlines(complaint, settings)
    step, due = found.pending(complaint)
    if not step:
        return ""
    if due is None:
        return "unknown"
    if today > due:
        return "overdue"
    try:
        left = working_days_between(today, due)
    except UnknownCalendarYear:
        return "unknown"
    return "near" if left <= settings.near_due_days else ""


def on_time(complaint: Complaint, settings: ComplaintSettings) -> bool | None:
    """Whether a final complaint was closed by its deadline; None while pending or unknown."""
    closed = complaint.closed_on
    if closed is None:
        return None
    found = deadlines(complaint, settings)
    due = found.accept_due if complaint.status == "refused" else found.conclude_due
    if due is None:
        return None
    accepted = complaint.accepted_on
    late_acceptance = (
        complaint.status == "concluded"
        and accepted is not None
        and found.accept_due is not None
        and date.fromisoformat(accepted) > found.accept_due
    )
    if late_acceptance:
        return False
    return date.fromisoformat(closed) <= due
