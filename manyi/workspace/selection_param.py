"""The dashboards' filter from the query: one respondent type, one channel group, or all."""

from __future__ import annotations

from manyi.aggregate import RESPONDENT_QUESTION
from manyi.model import Questionnaire
from manyi.selection import BadSelection, Selection, parse_selection
from manyi.workspace.access import Call


def selection_param(call: Call, questionnaire: Questionnaire) -> Selection | None:
    """The filter the query asks for; None when it names a value the questionnaire lacks."""
    query = call.request.query
    try:
        return parse_selection(questionnaire, query.get("respondent"), query.get("entry"))
    except BadSelection:
        return None


def respondent_choices(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    question = questionnaire.question(RESPONDENT_QUESTION)
    return [] if question is None else [(o.id, o.text) for o in question.options]
