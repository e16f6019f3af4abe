"""The answer rules: one pure function that the page, the collector and any import all obey.

`check_answers` takes what a respondent sent and returns either the normalized answers (what is
stored) or the list of errors, each with a stable code, the question ID and the Chinese sentence
shown next to that question. Questions that do not apply (Q3 when Q2 is 否, section 二 for anyone
but a private enterprise) are dropped from the answers, never stored and never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from manyi.messages import AnswerCode, answer_message
from manyi.model import AnswerValue, Question, Questionnaire

# Longer than any option ID can be (the loader caps IDs at 40 characters).
MAX_VALUE_LENGTH = 64
# More choices than any question has options: the rest could only be repeats or junk.
MAX_CHOICES = 32

RawAnswers = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class AnswerError:
    code: AnswerCode
    question: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "question": self.question, "message": self.message}


@dataclass(frozen=True, slots=True)
class CheckedAnswers:
    answers: dict[str, AnswerValue]
    errors: tuple[AnswerError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_answers(questionnaire: Questionnaire, raw: RawAnswers) -> CheckedAnswers:
    """Normalize `raw` (question ID → option ID or list of option IDs) or say what is wrong.

    Questions are checked in questionnaire order, so a condition always sees the normalized
    answer it depends on; a question whose own answer is wrong counts as unanswered for the
    conditions below it.
    """
    return check_questions(questionnaire.questions, raw)


def check_questions(questions: Sequence[Question], raw: RawAnswers) -> CheckedAnswers:
    """`check_answers` for any list of questions (the survey's, or the follow-up form's)."""
    known = {question.id for question in questions}
    errors: list[AnswerError] = [
        _error("unknown_question", str(key)) for key in raw if str(key) not in known
    ]
    answers: dict[str, AnswerValue] = {}
    for question in questions:
        if not question.applies(answers):
            continue
        value, error = _check_one(question, raw.get(question.id))
        if error is not None:
            errors.append(error)
        elif value is not None:
            answers[question.id] = value
    return CheckedAnswers(answers, tuple(errors))


Checked = tuple[AnswerValue | None, AnswerError | None]


def _check_one(question: Question, given: object) -> Checked:
    if isinstance(given, str) and question.kind == "single" and given.strip():
        # Most answers are one radio button: a shortcut that gives what `_check_choices` gives
        # (tests/unit/test_answers.py holds the two to that), at half the cost.
        if len(given) > MAX_VALUE_LENGTH:
            return None, _error("invalid_value", question.id)
        option = question.option(given)
        if option is None:
            return None, _error("unknown_option", question.id)
        return option.id, None
    return _check_choices(question, given)


def _check_choices(question: Question, given: object) -> Checked:
    """The general rule, for every kind of question and every shape of value."""
    chosen = _as_list(given)
    if chosen is None:
        return None, _error("invalid_value", question.id)
    if not chosen:
        return None, _error("required", question.id) if question.required else None
    if question.kind == "single" and len(set(chosen)) > 1:
        return None, _error("single_choice", question.id)
    picked = set(chosen)
    if any(question.option(option_id) is None for option_id in picked):
        return None, _error("unknown_option", question.id)
    in_order = tuple(o for o in question.options if o.id in picked)
    exclusive = next((o for o in in_order if o.exclusive), None)
    if exclusive is not None and len(in_order) > 1:
        return None, _error("exclusive", question.id, option=exclusive.text)
    if question.kind == "single":
        return in_order[0].id, None
    return tuple(o.id for o in in_order), None


def _as_list(given: object) -> list[str] | None:
    """The chosen option IDs, blanks left out; None when the value is not a choice at all."""
    if given is None:
        return []
    if isinstance(given, str):
        values: list[object] = [given]
    elif isinstance(given, (list, tuple)):
        values = list(given)
    else:
        return None
    if len(values) > MAX_CHOICES:
        return None
    chosen = [v for v in values if isinstance(v, str) and len(v) <= MAX_VALUE_LENGTH]
    if len(chosen) != len(values):
        return None
    return [v for v in chosen if v.strip()]


def _error(code: AnswerCode, question: str, **values: object) -> AnswerError:
    return AnswerError(code, question, answer_message(code, **values))
