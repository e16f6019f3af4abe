"""A month's results as plain text for a terminal (`manyi results`): aligned Chinese columns."""

from __future__ import annotations

import unicodedata

from manyi.model import Questionnaire
from manyi.reports.tables import (
    STATUS_TEXT,
    close_event_rows,
    departments_shown,
    percent,
    rank_cell,
    unlisted_warning,
)
from manyi.reports.view import MonthView


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def text_table(questionnaire: Questionnaire, view: MonthView, department: str | None = None) -> str:
    """The departments' main figures as aligned columns, and the city's in one line."""
    city = view.city
    rank = {r.figures.department.id: rank_cell(r) for r in city.by_index}
    header = ["部门", "有效问卷", "逾期", "服务对象", "测评率", "达标", "满意度指数", "排名"]
    rows = [
        [
            d.department.name,
            str(d.responses),
            str(d.late.responses),
            "—" if d.served is None else str(d.served),
            percent(d.coverage),
            {True: "否", False: "是", None: "—"}[d.below_target],
            "—" if d.satisfaction_index is None else f"{d.satisfaction_index:.1f}",
            str(rank[d.department.id] or "—"),
        ]
        for d in departments_shown(view, department)
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{view.month} {STATUS_TEXT[view.status]}"]
    if view.unlisted:
        lines.append(unlisted_warning(view.unlisted))
    lines += [
        "关账记录：" + " ".join(map(str, row)) for row in close_event_rows(questionnaire, view)
    ]
    for row in [header, *rows]:
        lines.append(
            "  ".join(_pad(c, w, i > 0) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    if department is None:
        index = "—" if city.satisfaction_index is None else f"{city.satisfaction_index:.1f}"
        lines.append(
            f"全市：有效问卷 {city.total.responses}，测评率 {percent(city.coverage)}，"
            f"满意度指数 {index}，未达标部门 {len(city.below_target)} 个"
        )
    return "\n".join(lines) + "\n"
