"""The dashboards' filter from the query: one respondent type, one channel group, or all."""

from __future__ import annotations

from manyi.aggregate import RESPONDENT_QUESTION
from manyi.model import Questionnaire
from manyi.selection import BadSelection, Selection, parse_selection
from manyi.workspace.access import Call, message_page
from manyi.workspace.http import Answered


def selection_param(call: Call, questionnaire: Questionnaire) -> Selection | None:
    """The filter the query asks for; None when it names a value the questionnaire lacks."""
    query = call.request.query
    try:
        return parse_selection(questionnaire, query.get("respondent"), query.get("entry"))
    except BadSelection:
        return None


def selection_or_page(call: Call, questionnaire: Questionnaire) -> Selection:
    """The filter the query asks for; the page saying it is wrong (400) answers otherwise."""
    selection = selection_param(call, questionnaire)
    if selection is None:
        raise Answered(
            message_page(call, 400, "筛选条件不正确", "请从筛选表单中选择答题人身份和填写方式。")
        )
    return selection


def dashboard_filter(call: Call, month: str | None) -> tuple[str, Questionnaire, Selection]:
    """A dashboard's month, questionnaire and filter; the page saying what is wrong (400)
    answers otherwise."""
    if month is None:
        raise Answered(message_page(call, 400, "月份不正确", "月份应写成 2026-11 这样的格式。"))
    questionnaire = call.ws.questionnaire()
    return month, questionnaire, selection_or_page(call, questionnaire)


def respondent_choices(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    question = questionnaire.question(RESPONDENT_QUESTION)
    return [] if question is None else [(o.id, o.text) for o in question.options]
