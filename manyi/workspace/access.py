"""Who may use a route (its access rule), and what a page gets when it is called.

Every route of the workspace names one rule (manyi/workspace/routes.py); the app checks it
before the page runs, and the access-matrix test derives every expected status from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response

from manyi.calendar import OfficeCalendar
from manyi.model import Department
from manyi.workspace.audit import record
from manyi.workspace.context import PREFIX, Workspace
from manyi.workspace.http import Request, html, redirect
from manyi.workspace.render import render, stylesheet
from manyi.workspace.session import Staff

# The pages that show overdue and near-due complaints at their top.
DUE_BANNER_PAGES = frozenset({"office.html.j2", "department.html.j2", "complaints.html.j2"})
# Short messages a page shows after a redirect, by code (never text from the request).
NOTICES = {
    "served": "服务对象数已保存。",
    "closed": "已关账：本月报告已冻结，之后收到的问卷单独统计。",
    "reopened": "已重新开账：本月恢复统计。",
    "password": "密码已修改。",
    "disabled": "账号已停用，其登录已全部失效。",
    "enabled": "账号已启用。",
    "logged_out": "已退出登录。",
    "entry_policy": "录入设置已保存。",
    "imported": "导入完成。",
    "complaint_status": "投诉办理状态已保存。",
    "complaint_assigned": "已分派办理人。",
    "complaint_handlers": "投诉办理人已保存：之后收到的个人行为投诉直接分派给所选账号。",
    "visitor": "回访人员已登记。",
    "drawn": "已随机抽取，种子已记录。",
    "assigned": "已分配回访人员。",
    "attempt": "本次联系已记录。",
    "problem": "整改措施已记录。",
    "flag_noted": "已记录，并显示在预警旁。",
}


class Access(Enum):
    ANONYMOUS = "anyone"
    STAFF = "any signed-in account"
    READ_ALL = "office and viewer"
    OFFICE = "office"
    DEPARTMENT_READ = "office, viewer and the department's accounts"
    DEPARTMENT_WRITE = "office and the department's accounts"
    # Complaints: the list shows each account what it may see (all, or those assigned to it).
    COMPLAINTS = "any signed-in account (each sees the complaints it may)"
    # Rules that read the complaint itself: the app puts its handler, its department and what
    # it is about into the path's values before asking (manyi.workspace.app).
    COMPLAINT_READ = "office, viewer and the complaint's assigned handler"
    COMPLAINT_HANDLE = "office and the complaint's assigned handler"
    COMPLAINT_CONTACT = (
        "office and the assigned handler, never the department complained about when the "
        "complaint is about its officer's conduct"
    )

    @property
    def about_complaint(self) -> bool:
        """The rule reads the complaint named by the route's <number>."""
        return self in (Access.COMPLAINT_READ, Access.COMPLAINT_HANDLE, Access.COMPLAINT_CONTACT)

    # Personal data of a follow-up case: the office, or the visitor the path names (the page
    # then shows only cases assigned to that visitor). Viewers never see a party's details.
    VISITOR = "office and the visitor named in the path"

    @property
    def scoped(self) -> bool:
        """The rule reads the route's <department>."""
        return self in (Access.DEPARTMENT_READ, Access.DEPARTMENT_WRITE)

    def allows(self, staff: Staff | None, params: Mapping[str, str]) -> bool:
        if self is Access.ANONYMOUS:
            return True
        if staff is None:
            return False
        if self in (Access.STAFF, Access.COMPLAINTS):
            return True
        if self.about_complaint:
            return _complaint_rule(self, staff, params)
        if self is Access.READ_ALL:
            return staff.role in ("office", "viewer")
        if self is Access.OFFICE:
            return staff.role == "office"
        if self is Access.VISITOR:
            return staff.role == "office" or staff.username == params["visitor"]
        department = params["department"]
        if self is Access.DEPARTMENT_READ:
            return staff.may_read(department)
        return staff.may_write(department)


def _complaint_rule(rule: Access, staff: Staff, params: Mapping[str, str]) -> bool:
    handler = params.get("handler", "")
    assigned = bool(handler) and staff.username == handler
    if rule is Access.COMPLAINT_READ:
        return staff.role in ("office", "viewer") or assigned
    if rule is Access.COMPLAINT_HANDLE:
        return staff.role == "office" or (assigned and staff.role == "department")
    # The contact: the failure to design against is a screenshot forwarded to the officer
    # complained about, so no account of that department ever sees it for a conduct complaint.
    if staff.role == "office":
        return True
    own_department = params.get("complaint_department", "") in staff.account.departments
    return assigned and not (params.get("about") == "conduct" and own_department)


@dataclass(frozen=True)
class Call:
    """One call of a page: the workspace, the request, who is signed in, the path's values."""

    ws: Workspace
    request: Request
    staff: Staff | None
    params: Mapping[str, str]

    @property
    def me(self) -> Staff:
        """The signed-in staff member (pages behind any rule but ANONYMOUS)."""
        if self.staff is None:
            raise RuntimeError("a page for staff was called without a session")
        return self.staff

    def calendar(self) -> OfficeCalendar:
        """The office's time zone and close day, as the current questionnaire sets them."""
        return OfficeCalendar.of(self.ws.questionnaire().reporting)

    def department(self) -> Department | None:
        return self.ws.questionnaire().department(self.params.get("department", ""))

    def audit(
        self,
        action: str,
        target: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        departments: Iterable[str] = (),
        now: datetime | None = None,
    ) -> None:
        """One audit event by the signed-in staff member, at `now` (the page's own moment when
        it has one, so the event and the change it records share it) or the clock's."""
        record(
            self.ws.staff.audit,
            self.ws.clock() if now is None else now,
            self.me.username,
            action,
            target,
            before=before,
            after=after,
            departments=departments,
        )

    def page(self, template: str, status: int = 200, **context: Any) -> Response[str]:
        staff = self.staff
        notice = NOTICES.get(self.request.query.get("notice", ""))
        common = {
            "prefix": PREFIX,
            "css_url": f"{PREFIX}assets/{stylesheet()[0]}",
            "staff": staff,
            "csrf": staff.session.csrf_token if staff else "",
            "nav": navigation(self.ws, staff, self.request.path),
            "notice": notice,
            "complaints_due": self._complaints_due(template),
        }
        return html(render(template, {**common, **context}), status)

    def _complaints_due(self, template: str) -> dict[str, int]:
        """Overdue and near-due complaints this account handles or oversees, at the top of its
        start pages (the office's, a department's, the complaint list)."""
        if template not in DUE_BANNER_PAGES or self.staff is None or self.ws.complaints is None:
            return {}
        from manyi.complaints.deadlines import urgency

        settings = self.ws.questionnaire().complaints
        today = self.calendar().today(self.ws.clock())
        complaints = self.ws.complaints.store.recent(today.year)
        if self.staff.role == "department":
            complaints = [c for c in complaints if c.handler == self.staff.username]
        found = [urgency(c, settings, today) for c in complaints]
        return {"overdue": found.count("overdue"), "near": found.count("near")}

    def back(self, location: str, notice: str, **query: str) -> Response[str]:
        """303 to a page that then shows the notice (post/redirect/get)."""
        if notice not in NOTICES:
            raise ValueError(f"unknown notice {notice!r}")
        return redirect(f"{location}?{urlencode({**query, 'notice': notice})}")


def navigation(ws: Workspace, staff: Staff | None, path: str) -> list[dict[str, Any]]:
    if staff is None:
        return []
    items: list[tuple[str, str]] = []
    if staff.role in ("office", "viewer"):
        items += [
            (f"{PREFIX}office/", "全市总览"),
            (f"{PREFIX}followup/", "回访"),
            (f"{PREFIX}accounts/", "账号"),
            (f"{PREFIX}audit/", "操作记录"),
        ]
    else:
        questionnaire = ws.questionnaire()
        for department_id in staff.account.departments:
            department = questionnaire.department(department_id)
            name = department.name if department else department_id
            items.append((f"{PREFIX}d/{department_id}/", name))
        items.append((f"{PREFIX}followup/", "回访"))
    items.append((f"{PREFIX}complaints/", "投诉举报"))
    items.append((f"{PREFIX}password", "修改密码"))
    return [{"url": url, "text": text, "current": path == url} for url, text in items]


def message_page(call: Call, status: int, title: str, message: str) -> Response[str]:
    return call.page("message.html.j2", status, title=title, message=message)
