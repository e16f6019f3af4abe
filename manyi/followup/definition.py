"""Checking questionnaire.yaml's `followup` section, with the survey loader's own checks.

Called by manyi/loader.py's checker; every problem is reported with its line and a code like
the rest of the file. The questions are checked by the very function that checks the survey's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from manyi.followup.config import FORM_SECTION, form_version
from manyi.store.cases.base import STRATA
from manyi.yaml_source import LineDict

if TYPE_CHECKING:
    from manyi.loader import _Checker

FOLLOWUP_KEYS = {
    "sampling": True,
    "max_age_days": False,
    "max_attempts": False,
    "link_days": False,
    "problem_days": False,
    "retention_days": False,
    "script": True,
    "questions": True,
    "text_question": True,
}
SAMPLING_KEYS = {"shares": True, "departments": False}
TEXT_QUESTION_KEYS = {"id": True, "text": True}
# Defaults the notice's practice suggests; each bounded so that a typo cannot make it absurd.
DAYS = {
    "max_age_days": (30, 1, 366),
    "max_attempts": (3, 1, 10),
    "link_days": (7, 1, 60),
    "problem_days": (10, 1, 60),
    "retention_days": (183, 1, 3650),
}


def check_followup(
    checker: _Checker,
    value: Any,
    line: int,
    option_sets: dict[str, list[dict[str, Any]]],
    departments: set[str],
) -> dict[str, Any] | None:
    section = checker.mapping(value, line, "followup", FOLLOWUP_KEYS)
    if section is None:
        return None
    sampling = checker.mapping(
        section.get("sampling"), section.line_of("sampling"), "followup.sampling", SAMPLING_KEYS
    )
    shares: dict[str, float] = {}
    department_shares: dict[str, dict[str, float]] = {}
    if sampling is not None:
        shares = _shares(checker, sampling.get("shares"), sampling.line_of("shares"))
        given = sampling.get("shares")
        for stratum in STRATA:
            # Each stratum needs a share; a wrong one was reported as such already.
            if isinstance(given, LineDict) and stratum not in given:
                checker.report(
                    sampling.line_of("shares"), "missing_key", what="shares", key=stratum
                )
        overrides = sampling.get("departments")
        if overrides is not None:
            listed = checker.mapping(
                overrides, sampling.line_of("departments"), "departments", None
            )
            for department, given in (listed or {}).items():
                where = listed.line_of(department) if listed is not None else line
                if department not in departments:
                    checker.report(where, "followup_unknown_department", value=department)
                department_shares[str(department)] = _shares(checker, given, where)
    numbers = {key: _whole(checker, section, key, *bounds) for key, bounds in DAYS.items()}
    questions = []
    seen: dict[str, int] = {}
    answered_above: dict[str, set[str]] = {}
    every = {
        q["id"]
        for q in section.get("questions") or []
        if isinstance(q, LineDict) and isinstance(q.get("id"), str)
    }
    for item, item_line in checker.items(
        section.get("questions"), section.line_of("questions"), "followup questions", non_empty=True
    ):
        question = checker.question(item, item_line, option_sets, every, answered_above, seen)
        if question is not None:
            question.pop("_number_line")
            questions.append(question)
    text = checker.mapping(
        section.get("text_question"),
        section.line_of("text_question"),
        "followup.text_question",
        TEXT_QUESTION_KEYS,
    )
    text_id = ""
    if text is not None:
        text_id = checker.ident(text, "question", seen)
    form = {
        "section": {
            "id": FORM_SECTION,
            "title": "回访问题",
            "added": True,
            "when": None,
            "questions": questions,
        },
        "text_id": text_id,
        "text_question": checker.text(text, "text", "followup.text_question") if text else "",
    }
    return {
        "rates": shares,
        "department_rates": department_shares,
        **numbers,
        "script": checker.text(section, "script", "followup"),
        "form": form,
        "version": form_version(form),
    }


def _shares(checker: _Checker, value: Any, line: int) -> dict[str, float]:
    given = checker.mapping(value, line, "shares", dict.fromkeys(STRATA, False))
    shares: dict[str, float] = {}
    for stratum, share in (given or {}).items():
        if stratum not in STRATA:
            continue  # reported as an unknown key
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            where = given.line_of(stratum) if given is not None else line
            checker.report(where, "bad_share", key=stratum, value=share)
            continue
        shares[str(stratum)] = float(share)
    return shares


def _whole(
    checker: _Checker, section: LineDict, key: str, default: int, low: int, high: int
) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        checker.report(section.line_of(key), "bad_whole", key=key, value=value, low=low, high=high)
        return default
    return value
