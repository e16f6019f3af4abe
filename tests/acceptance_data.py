"""The acceptance data set: every department of questionnaire.yaml (38), three months, seeded.

Made through the aggregator (responses → counts), with the cases the monthly report must
handle: departments at, above and below the 90% target, three silent ones, one with a single
answer (郏县), one whose coverage is above 100%, one whose served count was changed after the
20th, staff-entered and self-completed responses, every respondent type, and departments whose
satisfaction differs (so that rankings and 环比 mean something). Deterministic: the same seed
gives the same store.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from manyi.answers import check_answers
from manyi.model import AnswerValue, Questionnaire
from manyi.results.run import Aggregator
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.submission import StoredSubmission
from tests.responses import stored

MONTHS = ("2026-09", "2026-10", "2026-11")
MONTH = MONTHS[-1]
# After November's close day: every month complete.
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SILENT = ("renfangban", "tongjiju", "shenjiju")  # no answer in November
SINGLE = "jiaxian"  # one answer in November
ABOVE_100 = "weidongqu"  # more answers than the served count
CHANGED_LATE = "yexian"  # served count changed on the 25th
CHANNELS = ("leaflet", "wechat", "phone", "visit")
RESPONDENTS = ("person", "private", "other_org")


def _answers(
    questionnaire: Questionnaire, rnd: random.Random, good: float
) -> dict[str, AnswerValue]:
    """Answers favourable with probability `good`, otherwise one of the other options."""
    answers: dict[str, Any] = {"respondent": rnd.choice(RESPONDENTS)}
    for question in questionnaire.questions[1:]:
        if not question.applies(answers):
            continue
        favourable = [o.id for o in question.options if o.valence == "favourable"]
        others = [o.id for o in question.options if o.valence != "favourable"]
        if question.kind == "multiple":
            exclusive = next(o.id for o in question.options if o.exclusive)
            problems = [o.id for o in question.options if not o.exclusive]
            if rnd.random() < good:
                answers[question.id] = [exclusive]
            else:
                answers[question.id] = [p for p in problems if rnd.random() < 0.5] or problems[:1]
        elif favourable and rnd.random() < good:
            answers[question.id] = rnd.choice(favourable)
        else:
            answers[question.id] = rnd.choice(others or favourable)
    checked = check_answers(questionnaire, answers)
    assert checked.ok, checked
    return dict(checked.answers)


def acceptance_plan(questionnaire: Questionnaire, seed: int = 13) -> dict[tuple[str, str], int]:
    """(month, department) → responses; the served counts follow from them in the store."""
    rnd = random.Random(seed)
    plan: dict[tuple[str, str], int] = {}
    for month in MONTHS:
        for department in questionnaire.departments:
            d = department.id
            if month == MONTH and d in SILENT:
                n = 0
            elif month == MONTH and d == SINGLE:
                n = 1
            else:
                n = rnd.randint(32, 90)
            plan[(month, d)] = n
    return plan


def acceptance_submissions(
    questionnaire: Questionnaire, seed: int = 13
) -> tuple[list[StoredSubmission], dict[tuple[str, str], int]]:
    rnd = random.Random(seed)
    plan = acceptance_plan(questionnaire, seed)
    quality = {d.id: 0.55 + 0.4 * rnd.random() for d in questionnaire.departments}
    served: dict[tuple[str, str], int] = {}
    out: list[StoredSubmission] = []
    for (month, department), n in plan.items():
        start = datetime(int(month[:4]), int(month[5:]), 1, 1, tzinfo=UTC)
        good = min(0.98, quality[department] + (0.05 if month == MONTH else 0.0))
        for _ in range(n):
            out.append(
                stored(
                    f"a-{len(out):06d}",
                    start + timedelta(minutes=rnd.randint(0, 24 * 60 * 24)),
                    _answers(questionnaire, rnd, good),
                    department=department,
                    channel=rnd.choice(CHANNELS),
                )
            )
        if n:
            # Most departments reach the target; every fourth falls short.
            ratio = 0.7 if sum(map(ord, department)) % 4 == 0 else rnd.uniform(0.9, 1.0)
            served[(month, department)] = max(1, round(n / ratio))
    served[(MONTH, ABOVE_100)] = plan[(MONTH, ABOVE_100)] - 5
    served[(MONTH, SINGLE)] = 40
    return out, served


def acceptance_store(questionnaire: Questionnaire, path: str = ":memory:") -> SqliteResultsStore:
    submissions, served = acceptance_submissions(questionnaire)
    store = SqliteResultsStore(path)
    early = {key: n for key, n in served.items() if key != (MONTH, CHANGED_LATE)}
    store.set_served(early, at="2026-11-05T02:00:00Z")
    store.set_served({(MONTH, CHANGED_LATE): 60}, at="2026-11-05T02:00:00Z")
    store.set_served(
        {(MONTH, CHANGED_LATE): served[(MONTH, CHANGED_LATE)]}, at="2026-11-25T02:00:00Z"
    )
    Aggregator(questionnaire, MemorySubmissionStore(submissions), store).run(NOW, list(MONTHS))
    return store
