"""Integrity flags in the workspace: the office marks a flag reviewed, the department explains.

A flag is a department-month whose integrity signals fired (manyi.integrity), or where
respondents said staff asked for praise or filled in for them (the pressure question). Flags
never change a figure. Both the office's review and the department's explanation are audit
events on the flag's target (`flag/<YYYY-MM>/<department>`), so they are kept like every
write, never edited, and shown with the flag wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.integrity import DepartmentSignals, Signal
from manyi.messages import SIGNAL
from manyi.model import Questionnaire
from manyi.reports.view import month_view
from manyi.store.pressure.base import PressureStore
from manyi.store.results.base import ResultsStore
from manyi.store.staff.base import AuditEvent, AuditLog
from manyi.workspace.access import Call, message_page
from manyi.workspace.audit import flag_target
from manyi.workspace.context import PREFIX
from manyi.workspace.months_param import month_of

MAX_TEXT = 1000


@dataclass(frozen=True)
class Flag:
    department: str
    name: str
    signals: DepartmentSignals
    pressure: Mapping[str, int]
    history: list[AuditEvent] = field(default_factory=list)

    @property
    def fired(self) -> tuple[Signal, ...]:
        return self.signals.fired

    @property
    def pressured(self) -> int:
        return int(self.pressure.get("yes", 0))

    @property
    def reviewed(self) -> bool:
        return any(e.action == "flag.review" for e in self.history)


def month_flags(
    questionnaire: Questionnaire,
    results: ResultsStore,
    pressure: PressureStore | None,
    audit: AuditLog,
    month: str,
    department: str | None = None,
) -> list[Flag]:
    """The month's flags (only `department`'s when given), each with its reviews and notes.
    The signals compare each department with the city, so the whole month is read."""
    view = month_view(questionnaire, results, month, pressure=pressure)
    flags = []
    for figures in view.city.departments:
        did = figures.department.id
        if department not in (None, did):
            continue
        signals = view.signals[did]
        answers = (view.pressure or {}).get(did, {})
        if not signals.flagged and not answers.get("yes"):
            continue
        history = list(audit.history(flag_target(month, did)))
        flags.append(Flag(did, figures.department.name, signals, answers, history))
    return flags


def flag_context(flags: list[Flag], *, show_city: bool) -> dict[str, Any]:
    """The template's context; `show_city`: the city's figure beside each (the office's pages;
    a department sees its own figure and the line it crossed)."""
    return {
        "flags": flags,
        "signal_text": SIGNAL,
        "max_flag_text": MAX_TEXT,
        "flags_show_city": show_city,
    }


def review(call: Call) -> Response[str]:
    """The office marks a department-month's flag reviewed, with what it found."""
    return _note(call, "flag.review", f"{PREFIX}office/{call.params['month']}/")


def explain(call: Call) -> Response[str]:
    """The department explains its flag, in its own words."""
    department = call.params.get("department", "")
    return _note(call, "flag.explain", f"{PREFIX}d/{department}/", month=call.params["month"])


def _note(call: Call, action: str, back: str, **query: str) -> Response[str]:
    questionnaire = call.ws.questionnaire()
    department = questionnaire.department(call.params.get("department", ""))
    month = month_of(call.params.get("month"), call.ws.clock(), call.calendar())
    if department is None or month is None:
        return message_page(call, 404, "找不到页面", "没有这个部门或月份。")
    text = call.request.field("text", MAX_TEXT)
    if not text:
        return message_page(call, 400, "请填写说明", "请写明核查结果或情况说明后再提交。")
    call.audit(
        action,
        flag_target(month, department.id),
        after={"text": text},
        departments=[department.id],
    )
    return call.back(back, "flag_noted", **query)
