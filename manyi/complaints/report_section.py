"""The monthly report's 投诉举报 section: the complaints received in the month, counted.

Counts by category, status and department and the on-time rate (manyi.complaints.figures):
no complainant's name or phone, no account of events, officer or place ever reaches a report.
The section is absent (None) when no complaint was received in the month (for a department's
report: none about that department).

Whose copy: the workspace shows complaint figures to the office and viewers only, so the
department's own download carries no complaints section; the office's copies of the
department reports do (the caller chooses the providers, manyi.reports.providers).
"""

from __future__ import annotations

from collections.abc import Sequence

from manyi.complaints.figures import ComplaintFigures, month_figures
from manyi.complaints.model import Complaint
from manyi.complaints.settings import CATEGORIES
from manyi.model import Questionnaire
from manyi.reports.sections import Cell, ReportSection, ReportTable
from manyi.reports.tables import percent
from manyi.store.complaints.base import ComplaintStore

TITLE = "投诉举报情况"
# The statuses as a sentence names them (the figures list them in the model's order).
STATUS_WORDS: dict[str, str] = {
    "received": "待受理",
    "accepted": "已受理待办理",
    "in_progress": "正在办理",
    "extended": "延期办理",
    "refused": "不予受理",
    "concluded": "已办结",
}


def _status_sentence(f: ComplaintFigures) -> str:
    return "、".join(
        f"{STATUS_WORDS[s]}{n}件" for s, n in f.by_status.items() if n and s in STATUS_WORDS
    )


def _categories_sentence(f: ComplaintFigures) -> str:
    found = sorted(((n, c) for c, n in f.by_category.items() if n), key=lambda x: (-x[0], x[1]))
    return "；".join(f"{CATEGORIES[c]}{n}件" for n, c in found)


def _timeliness(f: ComplaintFigures) -> list[str]:
    out = []
    if f.closed:
        out.append(
            f"已办结或不予受理的{f.closed}件中，按期{f.closed_on_time}件，"
            f"按期率{percent(f.on_time_rate)}。"
        )
    if f.unknown_deadline:
        out.append(
            f"{f.unknown_deadline}件的期限因节假日日历缺少当年安排无法按工作日计算，"
            "请升级后核实是否按期。"
        )
    return out


def complaints_section(
    questionnaire: Questionnaire,
    complaints: Sequence[Complaint],
    month: str,
    department: str | None,
) -> ReportSection | None:
    """The section for the city (`department` None) or one department, from the complaints
    given (any months: those received in `month` are counted); None when there are none."""
    settings = questionnaire.complaints
    if department is not None:
        own = month_figures([c for c in complaints if c.department == department], month, settings)
        if not own.received:
            return None
        paragraphs = [
            f"本月收到涉及本部门的投诉举报{own.received}件（{_status_sentence(own)}）。",
            f"问题类别：{_categories_sentence(own)}。",
            *_timeliness(own),
        ]
        return ReportSection(TITLE, paragraphs)
    city = month_figures(complaints, month, settings)
    if not city.received:
        return None
    paragraphs = [
        f"本月收到投诉举报{city.received}件，涉及{len(city.by_department)}个部门"
        f"（{_status_sentence(city)}）。",
        *_timeliness(city),
    ]
    tables = [
        _categories_table(city),
        _departments_table(questionnaire, complaints, month, city),
    ]
    return ReportSection(TITLE, paragraphs, tables)


def _categories_table(city: ComplaintFigures) -> ReportTable:
    rows: list[list[Cell]] = [[CATEGORIES[c], n] for c, n in city.by_category.items()]
    rows.append(["合计", city.received])
    return ReportTable(
        "投诉举报问题类别",
        ["问题类别", "件数"],
        rows,
        notes=["按《实施方案》列明的七类问题和“其他”分类；本月收到的投诉举报，按收到日期计。"],
        widths=[0.8, 0.2],
    )


def _departments_table(
    questionnaire: Questionnaire,
    complaints: Sequence[Complaint],
    month: str,
    city: ComplaintFigures,
) -> ReportTable:
    rows: list[list[Cell]] = []
    listed = [d.id for d in questionnaire.departments]
    # The questionnaire's order (the office's), then any department no longer in it.
    order = [d for d in listed if d in city.by_department]
    order += [d for d in city.by_department if d not in listed]
    for department in order:
        own = month_figures(
            [c for c in complaints if c.department == department], month, questionnaire.complaints
        )
        found = questionnaire.department(department)
        rows.append([
            found.name if found is not None else department, own.received, own.closed,
            own.closed_on_time, percent(own.on_time_rate),
        ])  # fmt: skip
    rows.append(
        ["全市", city.received, city.closed, city.closed_on_time, percent(city.on_time_rate)]
    )
    return ReportTable(
        "各部门投诉举报办理情况",
        ["部门", "收到", "已办结或不予受理", "其中按期", "按期率"],
        rows,
        notes=["按期：在受理期限内不予受理，或在办结期限（含延期）内办结；“—”为尚无办结。"],
        widths=[0.36, 0.12, 0.2, 0.16, 0.16],
    )


class ComplaintSections:
    """The report's 投诉举报 provider over the complaints store: a year is read once."""

    def __init__(self, questionnaire: Questionnaire, store: ComplaintStore) -> None:
        self.questionnaire = questionnaire
        self.store = store
        self._years: dict[int, list[Complaint]] = {}

    def __call__(self, month: str, department: str | None) -> ReportSection | None:
        # Complaints are numbered in the Beijing year they arrive: one year holds the month.
        year = int(month[:4])
        if year not in self._years:
            self._years[year] = self.store.year(year)
        return complaints_section(self.questionnaire, self._years[year], month, department)
