"""The city report's section on integrity flags: which departments' month deserves a look, and
what respondents said when asked whether staff pressed them (manyi.integrity)."""

from __future__ import annotations

from manyi.messages import signal_message
from manyi.reports.sections import Cell, ReportSection, ReportTable
from manyi.reports.view import MonthView


def integrity_section(view: MonthView) -> ReportSection | None:
    """The month's flags; None (no section at all) when nothing was flagged."""
    pressure = view.pressure or {}
    rows: list[list[Cell]] = []
    for d in view.city.departments:
        signals = view.signals.get(d.department.id)
        fired = signals.fired if signals is not None else ()
        answers = pressure.get(d.department.id, {})
        if not fired and not answers.get("yes"):
            continue
        said = (
            f"{answers.get('yes', 0)} / {answers.get('no', 0)} / {answers.get('declined', 0)}"
            if pressure
            else "—"
        )
        rows.append([d.department.name, "；".join(signal_message(s.name) for s in fired), said])
    if not rows:
        return None
    return ReportSection(
        "数据质量预警",
        [
            f"本月有 {len(rows)} 个部门的答卷出现下列情况，请相关部门核查并在工作台说明。"
            "预警只提示需要核查的情况，不删除、不调整任何答卷和得分，上文各项数字均已包含这些答卷。"
        ],
        [
            ReportTable(
                "数据质量预警",
                ["部门", "预警情况", "反映被要求好评或代填（有 / 没有 / 不愿回答）"],
                rows,
                notes=[
                    "预警由本部门本月的答卷与全市同月各部门比较得出。后一列为提交问卷后单独询问"
                    "的回答人数，与答卷分开保存、互不对应；“—”为未收集。"
                ],
                widths=[0.28, 0.47, 0.25],
            )
        ],
    )
