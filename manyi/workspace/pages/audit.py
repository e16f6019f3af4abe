"""The audit log for the office and viewers: a Beijing month at a time, filtered, and as XLSX."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.reports.files import XLSX_TYPE
from manyi.reports.tables import safe_cell
from manyi.store.staff.base import AuditEvent
from manyi.workspace.access import Call, message_page
from manyi.workspace.audit import ACTIONS
from manyi.workspace.http import download
from manyi.workspace.months_param import month_of, recent_months
from manyi.workspace.render import beijing_time

FILTERS = ("actor", "action", "target")
COLUMNS = ["时间（北京时间）", "账号", "操作", "对象", "修改前", "修改后"]


def log(call: Call) -> Response[str]:
    found = _events(call)
    if found is None:
        return message_page(call, 400, "月份不正确", "月份应写成 2026-11 这样的格式。")
    month, events = found
    return call.page(
        "audit.html.j2",
        title=f"操作记录 {month}",
        month=month,
        months=recent_months(call.ws.clock(), call.calendar()),
        events=list(reversed(events)),
        actions=ACTIONS,
        filters={name: call.request.query.get(name, "")[:100] for name in FILTERS},
    )


def export(call: Call) -> Response[Any]:
    found = _events(call)
    if found is None:
        return message_page(call, 400, "月份不正确", "月份应写成 2026-11 这样的格式。")
    month, events = found
    return download(_xlsx(month, events), XLSX_TYPE, f"manyi-audit-{month}.xlsx")


def _events(call: Call) -> tuple[str, list[AuditEvent]] | None:
    month = month_of(call.request.query.get("month"), call.ws.clock(), call.calendar())
    if month is None:
        return None
    wanted = {name: call.request.query.get(name, "").strip()[:100] for name in FILTERS}
    events = [e for e in call.ws.staff.audit.month(month) if _matches(e, wanted)]
    return month, events


def _matches(event: AuditEvent, wanted: dict[str, str]) -> bool:
    return (
        (not wanted["actor"] or event.actor == wanted["actor"])
        and (not wanted["action"] or event.action == wanted["action"])
        and (not wanted["target"] or wanted["target"] in event.target)
    )


def change_text(values: Any) -> str:
    """A before/after value as one line: key: value; ..."""
    if not values:
        return ""
    return "；".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in values.items())


def _xlsx(month: str, events: Iterable[AuditEvent]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"操作记录 {month}"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for event in events:
        row = [
            beijing_time(event.at),
            event.actor,
            ACTIONS.get(event.action, event.action),
            event.target,
            change_text(event.before),
            change_text(event.after),
        ]
        sheet.append([safe_cell(value) for value in row])
    for letter, width in zip("ABCDEF", (18, 16, 14, 30, 40, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
