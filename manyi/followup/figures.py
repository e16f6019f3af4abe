"""Follow-up figures per department-month, from the cases alone (no personal data in them).

Counts are kept; every rate is derived from them (AAPOR Standard Definitions, with the drawn
cases not found ineligible as the denominator; a drawn case not finished yet counts as unknown
eligibility, UH, so a month's rates only rise as its calls are made):
- response rate RR1 = I / (I + R + NC + UH)
- contact rate CON1 = (I + R) / (I + R + NC + UH)
- refusal rate REF1 = R / (I + R + NC + UH)
Satisfaction: favourable / (favourable + unfavourable) answers to the form's satisfaction
questions of completed follow-ups; problem rate: completed follow-ups that opened a problem item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from manyi.followup.config import FollowupConfig
from manyi.followup.disposition import disposition
from manyi.store.cases.base import Case, CaseStore


@dataclass(frozen=True)
class FollowupFigures:
    department: str
    month: str
    closed: int
    drawn: int
    completed: int  # I
    refused: int  # R
    non_contact: int  # NC
    unknown: int  # UH
    ineligible: int  # NE
    favourable: int
    unfavourable: int
    with_problem: int
    problems_open: int
    problems_overdue: int

    @property
    def reached(self) -> int:
        return self.completed + self.refused

    @property
    def eligible(self) -> int:
        return self.completed + self.refused + self.non_contact + self.unknown

    def _share(self, part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._share(self.completed, self.eligible)

    @property
    def contact_rate(self) -> float | None:
        return self._share(self.reached, self.eligible)

    @property
    def refusal_rate(self) -> float | None:
        return self._share(self.refused, self.eligible)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(self.favourable, self.favourable + self.unfavourable)

    @property
    def problem_rate(self) -> float | None:
        return self._share(self.with_problem, self.completed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "month": self.month,
            "closed": self.closed,
            "drawn": self.drawn,
            "reached": self.reached,
            "completed": self.completed,
            "refused": self.refused,
            "non_contact": self.non_contact,
            "unknown_eligibility": self.unknown,
            "ineligible": self.ineligible,
            "response_rate": self.response_rate,
            "contact_rate": self.contact_rate,
            "refusal_rate": self.refusal_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "problem_rate": self.problem_rate,
            "problems_open": self.problems_open,
            "problems_overdue": self.problems_overdue,
        }


def figures_of(
    department: str, month: str, cases: Iterable[Case], config: FollowupConfig, today: date
) -> FollowupFigures:
    cases = list(cases)
    drawn = [c for c in cases if c.drawn]
    dispositions = Counter(disposition(c) for c in drawn)
    satisfaction = [q for q in config.questions if q.is_satisfaction_scale]
    favourable = unfavourable = 0
    for case in drawn:
        if not case.answered_via:
            continue
        for question in satisfaction:
            option = question.option(str(case.answers.get(question.id, "")))
            if option is not None and option.valence == "favourable":
                favourable += 1
            elif option is not None and option.valence == "unfavourable":
                unfavourable += 1
    problems = [c.problem for c in drawn if c.problem is not None]
    open_items = [p for p in problems if not p.closed_at]
    return FollowupFigures(
        department=department,
        month=month,
        closed=len(cases),
        drawn=len(drawn),
        completed=dispositions["I"],
        refused=dispositions["R"],
        non_contact=dispositions["NC"],
        unknown=dispositions["UH"],
        ineligible=dispositions["NE"],
        favourable=favourable,
        unfavourable=unfavourable,
        with_problem=len(problems),
        problems_open=len(open_items),
        problems_overdue=sum(1 for p in open_items if date.fromisoformat(p.deadline) < today),
    )


def month_figures(
    store: CaseStore,
    config: FollowupConfig,
    departments: Sequence[str],
    month: str,
    today: date,
) -> list[FollowupFigures]:
    """Every department's figures of a month: what the dashboards, the export and the monthly
    report's 回访 section show (issue 13's Word report calls this)."""
    return [figures_of(d, month, store.month(d, month), config, today) for d in departments]


COLUMNS = (
    ("department", "部门"),
    ("month", "月份"),
    ("closed", "办结案件数"),
    ("drawn", "抽取回访数"),
    ("reached", "联系到当事人"),
    ("completed", "完成回访"),
    ("response_rate", "应答率（RR1）"),
    ("contact_rate", "接触率（CON1）"),
    ("refusal_rate", "拒访率（REF1）"),
    ("satisfaction_rate", "满意率"),
    ("problem_rate", "问题发生率"),
    ("problems_open", "未办结问题"),
    ("problems_overdue", "逾期问题"),
)


def export_rows(figures: Iterable[FollowupFigures], names: dict[str, str]) -> list[list[Any]]:
    """Rows for the CSV export: counts and rates, department names, nothing about any party."""
    rows = []
    for f in figures:
        data = f.to_dict()
        data["department"] = names.get(f.department, f.department)
        rows.append([data[key] for key, _ in COLUMNS])
    return rows
