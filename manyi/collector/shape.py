"""What the answers of a JSON body must look like, beyond the answer rules.

`manyi.answers.check_answers` is lenient on purpose: a plain form sends every choice as a list
and hidden questions too. The page's script sends exactly one shape (an option ID for a single
choice, a non-empty list of distinct option IDs for a multiple choice), and so may any API
client: holding JSON to that shape lets the OpenAPI document say precisely what is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from manyi.answers import AnswerError
from manyi.messages import AnswerCode, answer_message
from manyi.model import Questionnaire


def check_shape(questionnaire: Questionnaire, raw: Mapping[str, object]) -> list[AnswerError]:
    errors: list[AnswerError] = []
    for key, given in raw.items():
        question = questionnaire.question(key)
        if question is None:
            continue  # check_answers reports unknown questions
        ids = {option.id for option in question.options}
        if question.kind == "single":
            if not isinstance(given, str):
                errors.append(_error("invalid_value", key))
            elif given not in ids:
                errors.append(_error("unknown_option", key))
            continue
        if (
            not isinstance(given, list)
            or not given
            or not all(isinstance(v, str) for v in given)
            or len(set(given)) != len(given)
        ):
            errors.append(_error("invalid_value", key))
        elif not set(given) <= ids:
            errors.append(_error("unknown_option", key))
    return errors


def _error(code: AnswerCode, question: str) -> AnswerError:
    return AnswerError(code, question, answer_message(code))
