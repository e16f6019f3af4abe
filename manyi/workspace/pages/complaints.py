"""投诉举报 in the workspace: the list (overdue and near-due first), one complaint, its handling
(status with reason or reply, assignment), its contact details and the month's figures.

Who sees what is the route table's business (manyi.workspace.routes, access.py); this module
adds what a list needs: an office or viewer sees every complaint, a department account only
those assigned to it. Names and phones are opened only on the contact route, one complaint at a
time, and each opening is written to the audit log before the page is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.complaints.deadlines import Deadlines, Urgency, deadlines, urgency
from manyi.complaints.figures import export_csv, store_figures
from manyi.complaints.model import (
    ABOUT_TEXT,
    CATEGORIES,
    MAX_NOTE,
    NEEDS_NOTE,
    NEXT,
    STATUS_TEXT,
    Complaint,
    Status,
    Step,
)
from manyi.complaints.sources import ComplaintSources
from manyi.sealing import SealingError
from manyi.store.complaints.base import ComplaintConflict
from manyi.submission import utc_timestamp
from manyi.workspace.access import Access, Call, message_page
from manyi.workspace.audit import complaint_target, record
from manyi.workspace.context import PREFIX
from manyi.workspace.http import download
from manyi.workspace.months_param import month_of

URGENCY_ORDER: dict[Urgency, int] = {"overdue": 0, "near": 1, "unknown": 2, "": 3}
URGENCY_TEXT: dict[Urgency, str] = {
    "overdue": "已超期",
    "near": "即将到期",
    "unknown": "期限无法计算",
    "": "",
}


@dataclass(frozen=True)
class Row:
    complaint: Complaint
    department: str
    category: str
    urgency: Urgency
    due: date | None
    due_for: str


def listing(call: Call) -> Response[str]:
    sources = _sources(call)
    if sources is None:
        return _not_set_up(call)
    today = call.calendar().today(call.ws.clock())
    me = call.me
    complaints = sources.store.recent(today.year)
    if me.role == "department":
        complaints = [c for c in complaints if c.handler == me.username]
    rows = sorted(
        (_row(call, c, today) for c in complaints),
        key=lambda r: (URGENCY_ORDER[r.urgency], r.due or date.max, r.complaint.number),
    )
    urgent = [r for r in rows if r.urgency in ("overdue", "near")]
    open_rows = [r for r in rows if r.complaint.status not in ("refused", "concluded")]
    return call.page(
        "complaints.html.j2",
        title="投诉举报",
        urgent=urgent,
        open_rows=open_rows,
        closed_rows=[r for r in rows if r not in open_rows],
        urgency_text=URGENCY_TEXT,
        status_text=STATUS_TEXT,
        about_text=ABOUT_TEXT,
        month=today.strftime("%Y-%m"),
        sees_all=me.role in ("office", "viewer"),
        problems=sorted({p for p in (_deadlines(call, r.complaint).problem for r in rows) if p}),
    )


def detail(
    call: Call, status: int = 200, problem: str = "", contact: dict[str, str] | None = None
) -> Response[str]:
    complaint = _complaint(call)
    if complaint is None:
        return message_page(call, 404, "找不到投诉", "没有这个受理编号的投诉。")
    me = call.me
    today = call.calendar().today(call.ws.clock())
    row = _row(call, complaint, today)
    params = {**call.params}
    may_handle = Access.COMPLAINT_HANDLE.allows(me, params)
    return call.page(
        "complaint.html.j2",
        status,
        title=f"投诉 {complaint.number}",
        c=complaint,
        row=row,
        found=_deadlines(call, complaint),
        urgency_text=URGENCY_TEXT,
        status_text=STATUS_TEXT,
        about_text=ABOUT_TEXT,
        next_statuses=[s for s in STATUS_TEXT if s in NEXT[complaint.status]] if may_handle else [],
        needs_note=NEEDS_NOTE,
        may_assign=me.role == "office",
        handlers=_eligible_handlers(call, complaint) if me.role == "office" else [],
        may_see_contact=Access.COMPLAINT_CONTACT.allows(me, params) and not complaint.anonymous,
        retention_years=call.ws.questionnaire().complaints.retention_years,
        contact=contact,
        problem=problem,
        max_note=MAX_NOTE,
    )


def contact(call: Call) -> Response[str]:
    """The name and phone of one complaint: audited first, then shown on this answer only."""
    found = _acted_on(call)
    if isinstance(found, Response):
        return found
    sources, complaint = found
    if complaint.contact is None:
        return detail(call, 200, contact={})
    if sources.sealer is None:
        return detail(call, 503, "这里没有配置解密密钥，无法查看联系方式。")
    record(
        call.ws.staff.audit,
        call.ws.clock(),
        call.me.username,
        "complaint.contact",
        complaint_target(complaint.number),
        after={"viewed": ["name", "phone"]},
    )
    try:
        opened = sources.sealer.open(complaint.key_hash, complaint.contact)
    except SealingError:
        return detail(call, 409, "联系方式无法解密（密钥不符或数据损坏），请联系系统管理员。")
    return detail(call, 200, contact=opened)


def status(call: Call) -> Response[str]:
    found = _acted_on(call)
    if isinstance(found, Response):
        return found
    sources, complaint = found
    wanted = call.request.field("status", 40)
    note = call.request.field("note", MAX_NOTE + 1)
    if wanted not in STATUS_TEXT or wanted not in NEXT[complaint.status]:
        allowed = "、".join(STATUS_TEXT[s] for s in STATUS_TEXT if s in NEXT[complaint.status])
        return detail(call, 409, f"现在不能改为这个状态。可选：{allowed or '无（已办结）'}。")
    new_status: Status = wanted
    if new_status in NEEDS_NOTE and not note:
        return detail(call, 422, f"“{STATUS_TEXT[new_status]}”必须填写理由或答复。")
    if len(note) > MAX_NOTE:
        return detail(call, 422, f"理由或答复最多 {MAX_NOTE} 字。")
    now = call.ws.clock()
    step = Step(
        utc_timestamp(now),
        call.calendar().today(now).isoformat(),
        new_status,
        call.me.username,
        note,
    )
    changed = complaint.moved(step)
    try:
        sources.store.replace(changed)
    except ComplaintConflict:
        return detail(call, 409, "这件投诉刚被别人修改过，请看最新情况后再操作。")
    record(
        call.ws.staff.audit,
        now,
        call.me.username,
        "complaint.status",
        complaint_target(complaint.number),
        before={"status": complaint.status},
        after={"status": new_status, **note_fingerprint(note)},
    )
    return call.back(f"{PREFIX}complaints/{complaint.number}", "complaint_status")


def assign(call: Call) -> Response[str]:
    found = _acted_on(call)
    if isinstance(found, Response):
        return found
    sources, complaint = found
    handler = call.request.field("handler", 40)
    if handler not in {a.username for a in _eligible_handlers(call, complaint)}:
        return detail(call, 422, "请从列表中选择办理人。")
    changed = replace(complaint, handler=handler, version=complaint.version + 1)
    try:
        sources.store.replace(changed)
    except ComplaintConflict:
        return detail(call, 409, "这件投诉刚被别人修改过，请看最新情况后再操作。")
    record(
        call.ws.staff.audit,
        call.ws.clock(),
        call.me.username,
        "complaint.assign",
        complaint_target(complaint.number),
        before={"handler": complaint.handler},
        after={"handler": handler},
    )
    return call.back(f"{PREFIX}complaints/{complaint.number}", "complaint_assigned")


def figures(call: Call) -> Response[str]:
    sources = _sources(call)
    if sources is None:
        return _not_set_up(call)
    month = month_of(call.params["month"], call.ws.clock(), call.calendar())
    if month is None:
        return message_page(call, 404, "找不到页面", "月份不正确。")
    questionnaire = call.ws.questionnaire()
    found = store_figures(sources.store, questionnaire, month)
    names = {d.id: d.name for d in questionnaire.departments}
    return call.page(
        "complaint_figures.html.j2",
        title=f"投诉举报统计 {month}",
        f=found,
        month=month,
        categories=CATEGORIES,
        status_text=STATUS_TEXT,
        names=names,
    )


def export(call: Call) -> Response[Any]:
    sources = _sources(call)
    if sources is None:
        return _not_set_up(call)
    month = month_of(call.params["month"], call.ws.clock(), call.calendar())
    if month is None:
        return message_page(call, 404, "找不到文件", "月份不正确。")
    of_month = [c for c in sources.store.year(int(month[:4])) if c.received_on[:7] == month]
    data = export_csv(call.ws.questionnaire(), of_month)
    return download(data, "text/csv; charset=utf-8", f"manyi-complaints-{month}.csv")


# -- helpers -------------------------------------------------------------------------------


def note_fingerprint(note: str) -> dict[str, object]:
    """What the audit log keeps of a note to the complainant: its length and SHA-256, which
    prove what was written against the complaint's own record, not the text. The audit log is
    kept for good; the note may name people and goes with the retention purge."""
    if not note:
        return {}
    return {"note_chars": len(note), "note_sha256": hashlib.sha256(note.encode()).hexdigest()}


def _sources(call: Call) -> ComplaintSources | None:
    return call.ws.complaints


def _not_set_up(call: Call) -> Response[str]:
    return message_page(call, 404, "没有投诉举报", "这里没有配置投诉举报的数据。")


def _complaint(call: Call) -> Complaint | None:
    sources = _sources(call)
    return None if sources is None else sources.store.get(call.params.get("number", ""))


def _acted_on(call: Call) -> tuple[ComplaintSources, Complaint] | Response[str]:
    """The store and the complaint a POST acts on, or the page saying there is none."""
    sources = _sources(call)
    complaint = _complaint(call)
    if sources is None or complaint is None:
        return message_page(call, 404, "找不到投诉", "没有这个受理编号的投诉。")
    return sources, complaint


def _deadlines(call: Call, complaint: Complaint) -> Deadlines:
    return deadlines(complaint, call.ws.questionnaire().complaints)


def _row(call: Call, complaint: Complaint, today: date) -> Row:
    questionnaire = call.ws.questionnaire()
    department = questionnaire.department(complaint.department)
    step, due = _deadlines(call, complaint).pending(complaint)
    return Row(
        complaint=complaint,
        department=department.name if department else complaint.department,
        category=CATEGORIES.get(complaint.category, complaint.category),
        urgency=urgency(complaint, questionnaire.complaints, today),
        due=due,
        due_for=step,
    )


def _eligible_handlers(call: Call, complaint: Complaint) -> list[Any]:
    """Routing: an office account for a department's action; for an officer's conduct, an
    office account or one of that department's own accounts."""
    accounts = [a for a in call.ws.staff.accounts.all() if not a.disabled]
    office = [a for a in accounts if a.role == "office"]
    if complaint.about == "action":
        return office
    own = [a for a in accounts if a.role == "department" and complaint.department in a.departments]
    return own + office
