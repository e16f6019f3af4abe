"""The monthly report's 回访 section: the follow-up figures of the month, in sentences and a table.

Counts and rates only (manyi.followup.figures): no party, phone, handler or visitor name, no
case number and nothing a party said ever reaches a report. The section is absent (None) when
the questionnaire has no `followup` section or nothing was imported for the month: a report
never prints an empty 回访 heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date

from manyi.followup.figures import FollowupFigures, month_figures
from manyi.model import Questionnaire
from manyi.reports.sections import Cell, ReportSection, ReportTable
from manyi.reports.tables import percent
from manyi.store.cases.base import CaseStore

TITLE = "回访情况"
CITY = "全市"


def total_of(figures: Sequence[FollowupFigures], month: str) -> FollowupFigures:
    """The city's figures: every count summed (rates are derived from counts, so they merge)."""
    counts = {
        f.name: sum(getattr(x, f.name) for x in figures)
        for f in fields(FollowupFigures)
        if f.name not in ("department", "month")
    }
    return FollowupFigures(department=CITY, month=month, **counts)


def _rates(f: FollowupFigures) -> str:
    return (
        f"应答率{percent(f.response_rate)}、接触率{percent(f.contact_rate)}、"
        f"拒访率{percent(f.refusal_rate)}"
    )


def _outcome(f: FollowupFigures) -> list[str]:
    """The satisfaction and problem sentences of one set of figures."""
    out = []
    rated = f.favourable + f.unfavourable
    if rated:
        out.append(f"当事人作出满意或不满意评价{rated:,}次，满意率{percent(f.satisfaction_rate)}。")
    if f.with_problem:
        overdue = f"，已逾期{f.problems_overdue:,}件" if f.problems_overdue else ""
        out.append(
            f"{f.with_problem:,}件回访反映了问题（占完成回访的{percent(f.problem_rate)}），"
            f"尚未办结{f.problems_open:,}件{overdue}。"
        )
    elif f.completed:
        out.append("完成的回访中没有当事人反映问题。")
    return out


def followup_section(
    questionnaire: Questionnaire, figures: Sequence[FollowupFigures], department: str | None
) -> ReportSection | None:
    """The section for the city (`department` None: every department's figures given) or for
    one department; None when no case of the month was imported."""
    if department is not None:
        own = [f for f in figures if f.department == department]
        if not own or not own[0].closed:
            return None
        return _department_section(own[0])
    active = [f for f in figures if f.closed]
    if not active:
        return None
    month = active[0].month
    total = total_of(figures, month)
    paragraphs = [
        f"本月{len(active)}个部门导入办结的许可、处罚案件{total.closed:,}件，"
        f"抽取回访{total.drawn:,}件，联系到当事人{total.reached:,}件，"
        f"完成回访{total.completed:,}件；{_rates(total)}（未完成的抽取案件计入分母）。",
        *_outcome(total),
    ]
    silent = len(figures) - len(active)
    if silent:
        paragraphs.append(f"另有{silent}个部门本月没有导入办结案件。")
    return ReportSection(TITLE, paragraphs, [_city_table(questionnaire, active, total)])


def _department_section(f: FollowupFigures) -> ReportSection:
    paragraphs = [
        f"本月本部门导入办结案件{f.closed:,}件，抽取回访{f.drawn:,}件，"
        f"联系到当事人{f.reached:,}件，完成回访{f.completed:,}件；{_rates(f)}。",
        *_outcome(f),
    ]
    return ReportSection(TITLE, paragraphs)


def _name(questionnaire: Questionnaire, department: str) -> str:
    found = questionnaire.department(department)
    return found.name if found is not None else department


def _city_table(
    questionnaire: Questionnaire, active: Sequence[FollowupFigures], total: FollowupFigures
) -> ReportTable:
    def row(name: str, f: FollowupFigures) -> list[Cell]:
        return [
            name, f"{f.closed:,}", f"{f.drawn:,}", f"{f.completed:,}", percent(f.response_rate),
            percent(f.satisfaction_rate), f"{f.with_problem:,}", f"{f.problems_overdue:,}",
        ]  # fmt: skip

    rows = [row(_name(questionnaire, f.department), f) for f in active]
    rows.append(row(CITY, total))
    return ReportTable(
        "各部门回访情况",
        ["部门", "办结案件", "抽取回访", "完成回访", "应答率", "满意率", "反映问题", "逾期未办结"],
        rows,
        notes=[
            "应答率 = 完成回访 ÷（完成 + 拒访 + 未联系上 + 尚未完成）（AAPOR RR1）；"
            "满意率 = 满意和基本满意 ÷ 作出评价的次数；未导入办结案件的部门未列入。"
        ],
        widths=[0.28, 0.09, 0.09, 0.09, 0.135, 0.135, 0.09, 0.09],
    )


class FollowupSections:
    """The report's 回访 provider over the case store: a department's month is read once, and
    a department's own report reads its own cases only."""

    def __init__(self, questionnaire: Questionnaire, store: CaseStore, today: date) -> None:
        self.questionnaire = questionnaire
        self.store = store
        self.today = today
        self._read: dict[tuple[str, str], FollowupFigures] = {}

    def figures(self, month: str, departments: Sequence[str]) -> list[FollowupFigures]:
        config = self.questionnaire.followup
        if config is None:
            return []
        missing = [d for d in departments if (month, d) not in self._read]
        for f in month_figures(self.store, config, missing, month, self.today):
            self._read[(month, f.department)] = f
        return [self._read[(month, d)] for d in departments]

    def __call__(self, month: str, department: str | None) -> ReportSection | None:
        every = [d.id for d in self.questionnaire.departments]
        figures = self.figures(month, every if department is None else [department])
        return followup_section(self.questionnaire, figures, department)
