"""The answer rules: what the questionnaire allows is accepted, every single break is caught."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.answers import (
    MAX_CHOICES,
    MAX_VALUE_LENGTH,
    _check_choices,
    _check_one,
    check_answers,
)
from manyi.loader import load_questionnaire
from manyi.model import Question, Questionnaire
from tests.conftest import ROOT

QUESTIONNAIRE = load_questionnaire(ROOT / "questionnaire.yaml")
# On a busy machine drawing answer sets is slow: that is not what these tests check.
UNTIMED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def valid_answers(draw: st.DrawFn, questionnaire: Questionnaire = QUESTIONNAIRE) -> dict[str, Any]:
    """An answer set obeying the questionnaire's own rules, as a page could send it."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if not question.applies(answers):
            continue
        answers[question.id] = draw(_answer_to(question))
    return answers


def _answer_to(question: Question) -> st.SearchStrategy[Any]:
    ids = [o.id for o in question.options]
    if question.kind == "single":
        # A plain form sends one value; a script may send a one-item list.
        return st.sampled_from(ids) | st.sampled_from(ids).map(lambda i: [i])
    exclusive = [o.id for o in question.options if o.exclusive]
    others = [o.id for o in question.options if not o.exclusive]
    return st.sampled_from(exclusive).map(lambda i: [i]) | st.lists(
        st.sampled_from(others), min_size=1, unique=True
    )


def stored_form(answers: dict[str, Any]) -> dict[str, Any]:
    """What check_answers should return for a valid set: strings, and ordered tuples."""
    out: dict[str, Any] = {}
    for question_id, value in answers.items():
        question = QUESTIONNAIRE.question(question_id)
        assert question is not None
        chosen = [value] if isinstance(value, str) else value
        if question.kind == "single":
            out[question_id] = chosen[0]
        else:
            out[question_id] = tuple(o.id for o in question.options if o.id in chosen)
    return out


@pytest.mark.slow
@settings(UNTIMED, max_examples=300)
@given(valid_answers())
def test_every_valid_answer_set_is_accepted(answers: dict[str, Any]) -> None:
    checked = check_answers(QUESTIONNAIRE, answers)
    assert checked.errors == ()
    assert checked.answers == stored_form(answers)


@pytest.mark.slow
@settings(UNTIMED, max_examples=200)
@given(valid_answers(), st.data())
def test_answers_to_questions_that_do_not_apply_are_dropped(
    answers: dict[str, Any], data: st.DataObject
) -> None:
    not_applying = [q for q in QUESTIONNAIRE.questions if q.id not in answers]
    extra = {q.id: data.draw(_answer_to(q)) for q in not_applying}
    checked = check_answers(QUESTIONNAIRE, {**answers, **extra})
    assert checked.errors == ()
    assert checked.answers == stored_form(answers)


def _mutations(question: Question, answers: dict[str, Any]) -> list[tuple[str, Any]]:
    """(expected code, new value) for each single way to break the answer to `question`."""
    ids = [o.id for o in question.options]
    out: list[tuple[str, Any]] = [
        ("required", None),
        ("required", []),
        ("unknown_option", "not_an_option"),
        ("invalid_value", 3),
        ("invalid_value", {"id": ids[0]}),
        ("invalid_value", ["x" * (MAX_VALUE_LENGTH + 1)]),
    ]
    if question.kind == "single":
        out.append(("single_choice", ids[:2]))
    else:
        exclusive = next(o.id for o in question.options if o.exclusive)
        other = next(o.id for o in question.options if not o.exclusive)
        out.append(("exclusive", [other, exclusive]))
    return out


@pytest.mark.slow
@settings(UNTIMED, max_examples=300)
@given(valid_answers(), st.data())
def test_every_single_mutation_is_rejected_with_its_code_and_question(
    answers: dict[str, Any], data: st.DataObject
) -> None:
    question = QUESTIONNAIRE.question(data.draw(st.sampled_from(sorted(answers))))
    assert question is not None
    code, value = data.draw(st.sampled_from(_mutations(question, answers)))
    broken = dict(answers)
    if value is None:
        del broken[question.id]
    else:
        broken[question.id] = value
    checked = check_answers(QUESTIONNAIRE, broken)
    assert [(e.code, e.question) for e in checked.errors] == [(code, question.id)]
    assert question.id not in checked.answers


@pytest.mark.slow
@UNTIMED
@given(valid_answers(), st.text(min_size=1, max_size=20))
def test_an_unknown_field_is_rejected(answers: dict[str, Any], key: str) -> None:
    if QUESTIONNAIRE.question(key) is not None:
        return
    checked = check_answers(QUESTIONNAIRE, {**answers, key: "satisfied"})
    assert [(e.code, e.question) for e in checked.errors] == [("unknown_question", key)]


def test_messages_are_chinese_and_name_the_exclusive_option() -> None:
    answers = {"respondent": "person", "q1": ["not_handled", "none"]}
    errors = {e.question: e for e in check_answers(QUESTIONNAIRE, answers).errors}
    assert errors["q1"].message == "选了“不存在以上情况”，就不能再选其他选项。"
    assert errors["q2"].code == "required"
    assert errors["q2"].message == "请回答这道题。"
    assert "q3" not in errors  # q2 unanswered: q3 does not apply yet
    assert errors["q2"].to_dict() == {
        "code": "required",
        "question": "q2",
        "message": "请回答这道题。",
    }


def test_multiple_choice_is_stored_in_questionnaire_order_without_repeats() -> None:
    answers = {"q1": ["not_disclosed", "unlawful_procedure", "not_disclosed"]}
    checked = check_answers(QUESTIONNAIRE, answers)
    assert checked.answers["q1"] == ("unlawful_procedure", "not_disclosed")


@pytest.mark.parametrize("blank", ["", "  ", [""]])
def test_a_blank_value_counts_as_unanswered(blank: Any) -> None:
    checked = check_answers(QUESTIONNAIRE, {"respondent": blank})
    assert ("required", "respondent") in [(e.code, e.question) for e in checked.errors]


def test_too_many_values_are_refused_not_processed() -> None:
    checked = check_answers(QUESTIONNAIRE, {"q1": ["none"] * 10_000})
    assert ("invalid_value", "q1") in [(e.code, e.question) for e in checked.errors]


def test_choice_limits_are_inclusive() -> None:
    at_limit = check_answers(QUESTIONNAIRE, {"q1": ["none"] * MAX_CHOICES})
    assert at_limit.answers["q1"] == ("none",)
    over = check_answers(QUESTIONNAIRE, {"q1": ["none"] * (MAX_CHOICES + 1)})
    assert ("invalid_value", "q1") in [(e.code, e.question) for e in over.errors]
    longest = check_answers(QUESTIONNAIRE, {"q1": ["x" * MAX_VALUE_LENGTH]})
    # Within the length limit: a choice, only not one of this question's options.
    assert ("unknown_option", "q1") in [(e.code, e.question) for e in longest.errors]


def test_an_optional_question_left_blank_is_neither_stored_nor_an_error() -> None:
    data = QUESTIONNAIRE.to_dict()
    q9 = next(q for s in data["sections"] for q in s["questions"] if q["id"] == "q9")
    q9["required"] = False
    optional = Questionnaire.from_dict(data)
    answers = {"respondent": "person", "q1": ["none"], "q2": "no"}
    answers |= {f"q{n}": "yes" for n in range(4, 9)}
    answers |= {f"q{n}": "satisfied" for n in range(10, 17)}
    blanks: list[dict[str, Any]] = [{}, {"q9": ""}, {"q9": []}]
    for blank in blanks:
        checked = check_answers(optional, {**answers, **blank})
        assert checked.errors == ()
        assert "q9" not in checked.answers
    assert [e.code for e in check_answers(QUESTIONNAIRE, answers).errors] == ["required"]


def _strings_to_try(question: Question) -> list[str]:
    """Each option as sent, and each way a lone string can miss one: the edges of the rules."""
    near = [o.id for o in question.options]
    near += [f" {o.id}" for o in question.options] + [o.id.upper() for o in question.options]
    lengths = [MAX_VALUE_LENGTH - 1, MAX_VALUE_LENGTH, MAX_VALUE_LENGTH + 1]
    return [*near, "", " ", "\t\n", "other", *("x" * n for n in lengths)]


@pytest.mark.parametrize("question", QUESTIONNAIRE.questions, ids=lambda q: q.id)
def test_the_one_radio_button_shortcut_gives_what_the_general_rule_gives(
    question: Question,
) -> None:
    for sent in _strings_to_try(question):
        assert _check_one(question, sent) == _check_choices(question, sent), repr(sent)


@settings(UNTIMED, max_examples=200)
@given(st.sampled_from(QUESTIONNAIRE.questions), st.text(max_size=MAX_VALUE_LENGTH + 2))
def test_the_shortcut_agrees_on_any_string(question: Question, sent: str) -> None:
    assert _check_one(question, sent) == _check_choices(question, sent)
