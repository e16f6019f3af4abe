"""投诉举报 in the workspace: the list (overdue and near-due first), one complaint, its handling
(status with reason or reply, assignment), its contact details, the month's figures, and the
standing handler of each department's conduct complaints.

The standing handlers are a workspace setting, not questionnaire.yaml: they name accounts, which
exist only in the workspace and change as staff change; the office sets them here (checked
against the accounts that exist, audited) and the collector reads them from the complaints
store when a complaint arrives, with no deployment in between.

Who sees what is the route table's business (manyi.workspace.routes, access.py); this module
adds what a list needs: an office or viewer sees every complaint, a department account only
those assigned to it. Names and phones are opened only on the contact route, one complaint at a
time, and each opening is written to the audit log before the page is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
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
    ConductHandlers,
    Status,
    Step,
)
from manyi.complaints.sources import ComplaintSources
from manyi.model import Department
from manyi.sealing import SealingError
from manyi.store.complaints.base import ComplaintConflict, HandlersConflict
from manyi.store.staff.base import Account
from manyi.submission import utc_timestamp
from manyi.workspace.access import Access, Call, message_page
from manyi.workspace.audit import complaint_target
from manyi.workspace.context import PREFIX
from manyi.workspace.http import Answered, download
from manyi.workspace.months_param import month_of

URGENCY_ORDER: dict[Urgency, int] = {"overdue": 0, "near": 1, "unknown": 2, "": 3}
URGENCY_TEXT: dict[Urgency, str] = {
    "overdue": "已超期",
    "near": "即将到期",
    "unknown": "期限无法计算",
    "": "",
}
STALE = "办理人设置刚被别人修改过，下面是最新设置，请核对后再保存。"


@dataclass(frozen=True)
class Row:
    complaint: Complaint
    department: str
    category: str
    urgency: Urgency
    due: date | None
    due_for: str
    # Assigned to an account that is disabled or gone (a standing handler may have left since
    # the office named it): the office must reassign it.
    handler_inactive: bool = False


@dataclass(frozen=True)
class HandlerRow:
    """One department on the handlers page: its standing handler and who may be one."""

    department: Department
    current: str
    eligible: list[Account]
    problem: str = ""

    @property
    def inactive(self) -> bool:
        return bool(self.current) and self.current not in {a.username for a in self.eligible}


def listing(call: Call) -> Response[str]:
    sources = _sources(call)
    today = call.calendar().today(call.ws.clock())
    me = call.me
    complaints = sources.store.recent(today.year)
    if me.role == "department":
        complaints = [c for c in complaints if c.handler == me.username]
    active = _active_usernames(call)
    rows = sorted(
        (_row(call, c, today, active) for c in complaints),
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
    row = _row(call, complaint, today, _active_usernames(call))
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
    sources, complaint = _acted_on(call)
    if complaint.contact is None:
        return detail(call, 200, contact={})
    if sources.sealer is None:
        return detail(call, 503, "这里没有配置解密密钥，无法查看联系方式。")
    call.audit(
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
    sources, complaint = _acted_on(call)
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
    before, after = {"status": complaint.status}, {"status": new_status, **note_fingerprint(note)}
    changed = complaint.moved(step)
    return _saved(
        call, sources, changed, "complaint.status", before, after, "complaint_status", now
    )


def assign(call: Call) -> Response[str]:
    sources, complaint = _acted_on(call)
    handler = call.request.field("handler", 40)
    if handler not in {a.username for a in _eligible_handlers(call, complaint)}:
        return detail(call, 422, "请从列表中选择办理人。")
    changed = replace(complaint, handler=handler, version=complaint.version + 1)
    before, after = {"handler": complaint.handler}, {"handler": handler}
    return _saved(call, sources, changed, "complaint.assign", before, after, "complaint_assigned")


def _saved(
    call: Call,
    sources: ComplaintSources,
    changed: Complaint,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    notice: str,
    now: datetime | None = None,
) -> Response[str]:
    """A handled complaint stored (409 when someone changed it meanwhile), audited, and the
    complaint's page again with the notice."""
    try:
        sources.store.replace(changed)
    except ComplaintConflict:
        return detail(call, 409, "这件投诉刚被别人修改过，请看最新情况后再操作。")
    call.audit(action, complaint_target(changed.number), before=before, after=after, now=now)
    return call.back(f"{PREFIX}complaints/{changed.number}", notice)


def figures(call: Call) -> Response[str]:
    sources, month = _month_sources(call, "找不到页面")
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
    sources, month = _month_sources(call, "找不到文件")
    of_month = [c for c in sources.store.year(int(month[:4])) if c.received_on[:7] == month]
    data = export_csv(call.ws.questionnaire(), of_month)
    return download(data, "text/csv; charset=utf-8", f"manyi-complaints-{month}.csv")


# -- standing handlers of conduct complaints ------------------------------------------------


def handlers_page(
    call: Call,
    status: int = 200,
    problem: str = "",
    chosen: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> Response[str]:
    sources = _sources(call)
    stored = sources.store.handlers()
    accounts = call.ws.staff.accounts.all()
    current = stored.by_department if chosen is None else chosen
    rows = [
        HandlerRow(
            d,
            current.get(d.id, ""),
            conduct_handlers(accounts, d.id),
            (problems or {}).get(d.id, ""),
        )
        for d in call.ws.questionnaire().departments
    ]
    conduct = call.ws.questionnaire().complaints.conduct_categories
    return call.page(
        "complaint_handlers.html.j2",
        status,
        title="投诉办理人",
        rows=rows,
        version=stored.version,
        may_change=call.me.role == "office",
        conduct=[CATEGORIES[c] for c in conduct if c in CATEGORIES],
        problem=problem,
    )


def handlers_set(call: Call) -> Response[str]:
    """The office names (or clears) each department's standing handler, all or nothing."""
    sources = _sources(call)
    stored = sources.store.handlers()
    if call.request.field("version", 12) != str(stored.version):
        return handlers_page(call, 409, STALE)
    accounts = call.ws.staff.accounts.all()
    chosen: dict[str, str] = {}
    problems: dict[str, str] = {}
    for department in call.ws.questionnaire().departments:
        username = call.request.field(f"handler-{department.id}", 40)
        if not username:
            continue
        chosen[department.id] = username
        if username not in {a.username for a in conduct_handlers(accounts, department.id)}:
            problems[department.id] = (
                f"{department.name}：{username} 不能办理（账号不存在、已停用，或不是本部门或"
                "办公室的账号）。请另选，或选“由办公室分派”。"
            )
    if problems:
        message = f"有 {len(problems)} 个部门的办理人不能保存，见下方标出处；全部未保存。"
        return handlers_page(call, 422, message, chosen, problems)
    before = stored.by_department
    changed = sorted(d for d in {*before, *chosen} if before.get(d, "") != chosen.get(d, ""))
    if changed:
        try:
            sources.store.set_handlers(ConductHandlers(chosen, stored.version + 1))
        except HandlersConflict:
            return handlers_page(call, 409, STALE)
        call.audit(
            "complaint.handlers",
            "complaint-handlers",
            before={d: before.get(d, "") for d in changed},
            after={d: chosen.get(d, "") for d in changed},
        )
    return call.back(f"{PREFIX}complaint-handlers/", "complaint_handlers")


# -- helpers -------------------------------------------------------------------------------


def note_fingerprint(note: str) -> dict[str, object]:
    """What the audit log keeps of a note to the complainant: its length and SHA-256, which
    prove what was written against the complaint's own record, not the text. The audit log is
    kept for good; the note may name people and goes with the retention purge."""
    if not note:
        return {}
    return {"note_chars": len(note), "note_sha256": hashlib.sha256(note.encode()).hexdigest()}


def _sources(call: Call) -> ComplaintSources:
    """The complaints' store; the page saying there is none (404) answers otherwise."""
    if call.ws.complaints is None:
        raise Answered(message_page(call, 404, "没有投诉举报", "这里没有配置投诉举报的数据。"))
    return call.ws.complaints


def _complaint(call: Call) -> Complaint | None:
    sources = call.ws.complaints
    return None if sources is None else sources.store.get(call.params.get("number", ""))


def _month_sources(call: Call, missing: str) -> tuple[ComplaintSources, str]:
    """The complaints' store and the path's month; the page saying which is missing (its
    title `missing`: a page or a file) answers otherwise."""
    sources = _sources(call)
    month = month_of(call.params["month"], call.ws.clock(), call.calendar())
    if month is None:
        raise Answered(message_page(call, 404, missing, "月份不正确。"))
    return sources, month


def _acted_on(call: Call) -> tuple[ComplaintSources, Complaint]:
    """The store and the complaint a POST acts on; the page saying there is none answers
    otherwise."""
    sources = call.ws.complaints
    complaint = _complaint(call)
    if sources is None or complaint is None:
        raise Answered(message_page(call, 404, "找不到投诉", "没有这个受理编号的投诉。"))
    return sources, complaint


def _deadlines(call: Call, complaint: Complaint) -> Deadlines:
    return deadlines(complaint, call.ws.questionnaire().complaints)


def _row(call: Call, complaint: Complaint, today: date, active: set[str]) -> Row:
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
        handler_inactive=bool(complaint.handler) and complaint.handler not in active,
    )


def _eligible_handlers(call: Call, complaint: Complaint) -> list[Account]:
    """Routing: an office account for a department's action; for an officer's conduct, an
    office account or one of that department's own accounts."""
    accounts = call.ws.staff.accounts.all()
    if complaint.about == "action":
        return [a for a in accounts if a.role == "office" and not a.disabled]
    return conduct_handlers(accounts, complaint.department)


def conduct_handlers(accounts: list[Account], department: str) -> list[Account]:
    """Who may handle complaints about the conduct of `department`'s officers: its own active
    department accounts, then the office's."""
    active = [a for a in accounts if not a.disabled]
    own = [a for a in active if a.role == "department" and department in a.departments]
    return own + [a for a in active if a.role == "office"]


def _active_usernames(call: Call) -> set[str]:
    return {a.username for a in call.ws.staff.accounts.all() if not a.disabled}
