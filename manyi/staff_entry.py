"""Staff entry, the pure part: batches' IDs, keyed answers from a form, the differences of a
double entry and their resolution, and the responses a finished batch stores.

The self/staff split of results is never stored here or in a response: it follows from the
response's channel (`Channel.entry`), and staff channels reach the submission store only
through the workspace.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from manyi.answers import CheckedAnswers, check_answers
from manyi.model import AnswerValue, Channel, Questionnaire
from manyi.store.entry.base import Batch, Entry
from manyi.submission import StoredSubmission, utc_timestamp


def staff_channels(questionnaire: Questionnaire) -> tuple[Channel, ...]:
    return tuple(c for c in questionnaire.channels if c.entry == "staff")


def new_batch_id(now: datetime) -> str:
    """Sortable by creation (UTC, to the second), unguessable after the dash."""
    return f"{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_urlsafe(6)}"


def new_entry_id() -> str:
    return secrets.token_urlsafe(12)


def keyed_answers(questionnaire: Questionnaire, form: Mapping[str, list[str]]) -> CheckedAnswers:
    """The answers of a keying form (question ID → option IDs), checked as a citizen's are."""
    raw = {
        q.id: (values if q.kind == "multiple" else values[0])
        for q in questionnaire.questions
        if (values := [v for v in form.get(q.id, []) if v.strip()])
    }
    return check_answers(questionnaire, raw)


def kept(entries: Sequence[Entry]) -> list[Entry]:
    """The entries of a pass that count: every one not voided, in the order keyed."""
    return [e for e in entries if not e.void]


class Difference(NamedTuple):
    position: int  # 1-based, the paper's place in the batch
    question: str
    first: AnswerValue | None
    second: AnswerValue | None


def differences(
    questionnaire: Questionnaire, first: Sequence[Entry], second: Sequence[Entry]
) -> list[Difference]:
    """Question by question, where the two passes disagree (both passes already kept())."""
    found = []
    for position, (a, b) in enumerate(zip(first, second, strict=False), start=1):
        for question in questionnaire.questions:
            x, y = a.answers.get(question.id), b.answers.get(question.id)
            if x != y:
                found.append(Difference(position, question.id, x, y))
    return found


def resolved(
    questionnaire: Questionnaire,
    first: Sequence[Entry],
    found: Sequence[Difference],
    choices: Mapping[tuple[int, str], int],
) -> list[CheckedAnswers] | None:
    """Pass 1's answers with each difference settled by `choices` (1 or 2 per difference),
    checked again (a settled Q2 decides whether Q3 applies); None while any is unchosen."""
    if any((d.position, d.question) not in choices for d in found):
        return None
    papers: list[dict[str, object]] = [dict(e.answers) for e in first]
    for d in found:
        value = d.first if choices[(d.position, d.question)] == 1 else d.second
        paper = papers[d.position - 1]
        if value is None:
            paper.pop(d.question, None)
        else:
            paper[d.question] = list(value) if isinstance(value, tuple) else value
    return [check_answers(questionnaire, paper) for paper in papers]


def responses(
    batch: Batch,
    entries: Sequence[Entry],
    answers: Sequence[Mapping[str, AnswerValue]],
    month: str,
    now: datetime,
) -> list[StoredSubmission]:
    """What a finished batch stores: one anonymous response per paper, its submission ID the
    pass-1 entry's ID, so finishing again (a retry) stores nothing twice. No account, no
    meeting place: those stay with the batch and the audit log."""
    return [
        StoredSubmission(
            submission_id=f"e-{entry.entry_id}",
            department=batch.department,
            month=month,
            received_at=utc_timestamp(now),
            version=entry.questionnaire,
            channel=batch.channel,
            answers=dict(given),
        )
        for entry, given in zip(entries, answers, strict=True)
    ]
