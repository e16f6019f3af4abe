"""Paper questionnaires of mixed answers for the staff-entry tests, as digits a clerk keys and
as the answers that must be stored."""

from __future__ import annotations

import random
from typing import Any

from manyi.answers import check_answers
from manyi.model import AnswerValue, Questionnaire


def mixed_papers(questionnaire: Questionnaire, count: int, seed: int = 12) -> list[dict[str, Any]]:
    """Valid raw answers: every respondent type, Q2 both ways (Q3 then applies or not),
    multiple choices with one or more options or the exclusive one."""
    chance = random.Random(seed)
    papers: list[dict[str, Any]] = []
    for n in range(count):
        answers: dict[str, Any] = {}
        for question in questionnaire.questions:
            if not question.applies(answers):
                continue
            options = question.options
            if question.id == "respondent":
                answers[question.id] = options[n % len(options)].id
            elif question.id == "q2":
                answers[question.id] = options[n % 2].id
            elif question.kind == "multiple":
                plain = [o for o in options if not o.exclusive]
                if n % 3 == 0:
                    answers[question.id] = [o.id for o in options if o.exclusive]
                else:
                    picked = chance.sample(plain, k=1 + n % 2)
                    answers[question.id] = [o.id for o in options if o in picked]
            else:
                answers[question.id] = chance.choice(options).id
        checked = check_answers(questionnaire, answers)
        assert checked.ok, checked.errors
        papers.append(answers)
    return papers


def stored_form(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, AnswerValue]:
    """What the store keeps of `answers`: check_answers' normalized form."""
    return check_answers(questionnaire, answers).answers


def form_fields(answers: dict[str, Any]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for question, value in answers.items():
        for option in [value] if isinstance(value, str) else value:
            fields.append((question, option))
    return fields


def keys_for(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[str]:
    """The keys a clerk presses for one paper: a digit per single choice (it moves on by
    itself), digits then Enter for a multiple choice, Enter at the end to save."""
    keys: list[str] = []
    for question in questionnaire.questions:
        if question.id not in answers:
            continue
        value = answers[question.id]
        chosen = [value] if isinstance(value, str) else value
        digits = [str(i) for i, o in enumerate(question.options, start=1) if o.id in chosen]
        keys += digits
        if question.kind == "multiple":
            keys.append("Enter")
    keys.append("Enter")
    return keys
