"""Months of made-up responses for the results tests, counted into a results store."""

from __future__ import annotations

import dataclasses
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
# After every month above has started; before November's close.
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def with_min_sample(questionnaire: Questionnaire, min_sample: int) -> Questionnaire:
    """The questionnaire with another `reporting.min_sample` (ranks of a few answers each)."""
    reporting = questionnaire.reporting._replace(min_sample=min_sample)
    return dataclasses.replace(questionnaire, reporting=reporting)


def random_answers(questionnaire: Questionnaire, rnd: random.Random) -> dict[str, AnswerValue]:
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if not question.applies(answers):
            continue
        if question.kind == "single":
            answers[question.id] = rnd.choice(question.options).id
        elif rnd.random() < 0.6:
            answers[question.id] = [question.options[-1].id]
        else:
            answers[question.id] = [o.id for o in question.options[:-1] if rnd.random() < 0.4] or [
                question.options[0].id
            ]
    checked = check_answers(questionnaire, answers)
    assert checked.ok
    return checked.answers


def made_up_submissions(
    questionnaire: Questionnaire, departments: int = 4, seed: int = 5
) -> list[StoredSubmission]:
    rnd = random.Random(seed)
    out: list[StoredSubmission] = []
    for month in MONTHS:
        start = datetime(int(month[:4]), int(month[5:]), 1, tzinfo=UTC)
        for department in questionnaire.departments[:departments]:
            for _ in range(rnd.randint(3, 12)):
                out.append(
                    stored(
                        f"r-{len(out):06d}",
                        start + timedelta(hours=rnd.randint(1, 400)),
                        random_answers(questionnaire, rnd),
                        department=department.id,
                        channel=rnd.choice(["leaflet", "wechat", "phone"]),
                    )
                )
    return out


def counted_store(
    questionnaire: Questionnaire,
    submissions: list[StoredSubmission],
    path: str = ":memory:",
    served: dict[tuple[str, str], int] | None = None,
) -> SqliteResultsStore:
    store = SqliteResultsStore(path)
    if served:
        store.set_served(served)
    source = MemorySubmissionStore(submissions)
    months = sorted({s.month for s in submissions})
    Aggregator(questionnaire, source, store).run(NOW, months or list(MONTHS))
    return store
