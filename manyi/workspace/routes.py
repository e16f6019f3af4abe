"""Every route of the workspace with its access rule: the one table the app and the
access-matrix test (tests/integration/test_workspace_access.py) are made from.

Paths use Powertools' `<name>` for a path segment. A rule scoped to a department reads the
route's `<department>`, so such a route must have one (checked when the table is made).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.workspace.access import Access, Call
from manyi.workspace.pages import (
    accounts,
    audit,
    complaints,
    department,
    entry,
    entry_files,
    flags,
    followup,
    office,
    sign_in,
)

Page = Callable[[Call], Response[Any]]


@dataclass(frozen=True)
class Route:
    method: str  # GET (HEAD is answered like GET) or POST
    path: str
    access: Access
    page: Page

    def __post_init__(self) -> None:
        if self.access.scoped and "<department>" not in self.path:
            raise ValueError(f"{self.path}: a department rule needs <department> in the path")
        if self.access is Access.VISITOR and "<visitor>" not in self.path:
            raise ValueError(f"{self.path}: a visitor rule needs <visitor> in the path")
        if self.method not in ("GET", "POST"):
            raise ValueError(f"{self.path}: GET or POST, not {self.method}")

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


P = "/workspace"
CALL = f"{P}/followup/call/<visitor>/<department>/<month>/<case>"
# A department's pages, its staff entry and one entry batch, its follow-up cases.
DEPT = f"{P}/d/<department>"
ENTRY = f"{DEPT}/entry"
BATCH = f"{ENTRY}/<batch>"
FOLLOWUP = f"{P}/followup/d/<department>"
ROUTES: tuple[Route, ...] = (
    Route("GET", P, Access.ANONYMOUS, sign_in.root),
    Route("GET", f"{P}/assets/<name>", Access.ANONYMOUS, sign_in.stylesheet_file),
    Route("GET", f"{P}/login", Access.ANONYMOUS, sign_in.login_form),
    Route("POST", f"{P}/login", Access.ANONYMOUS, sign_in.login),
    Route("POST", f"{P}/logout", Access.STAFF, sign_in.logout),
    Route("GET", f"{P}/password", Access.STAFF, sign_in.password_form),
    Route("POST", f"{P}/password", Access.STAFF, sign_in.password_change),
    Route("GET", f"{P}/", Access.STAFF, sign_in.home),
    # The office's dashboard, the month's close and reopen, its published reports.
    Route("GET", f"{P}/office/", Access.READ_ALL, office.dashboard),
    Route("GET", f"{P}/office/<month>/", Access.READ_ALL, office.dashboard),
    Route("POST", f"{P}/office/<month>/close", Access.OFFICE, office.close),
    Route("POST", f"{P}/office/<month>/reopen", Access.OFFICE, office.reopen),
    Route("GET", f"{P}/office/<month>/reports/<name>", Access.READ_ALL, office.report_file),
    # Integrity flags: the office marks one reviewed, the department explains its own.
    Route("POST", f"{P}/office/<month>/flags/<department>", Access.OFFICE, flags.review),
    Route("POST", f"{DEPT}/flags/<month>", Access.DEPARTMENT_WRITE, flags.explain),
    # A department's own page, its served count, its downloads.
    Route("GET", f"{DEPT}/", Access.DEPARTMENT_READ, department.dashboard),
    Route("POST", f"{DEPT}/served", Access.DEPARTMENT_WRITE, department.served_set),
    # Staff entry: batches keyed by the department's accounts (and the office), one pass each.
    Route("GET", f"{ENTRY}/", Access.DEPARTMENT_WRITE, entry.home),
    Route("POST", f"{ENTRY}/", Access.DEPARTMENT_WRITE, entry.batch_new),
    Route("GET", f"{ENTRY}/template.xlsx", Access.DEPARTMENT_WRITE, entry_files.template_file),
    Route("POST", f"{ENTRY}/import", Access.DEPARTMENT_WRITE, entry_files.import_file),
    Route("POST", f"{ENTRY}/served", Access.DEPARTMENT_WRITE, entry_files.served_proposal),
    Route("GET", f"{BATCH}/", Access.DEPARTMENT_WRITE, entry.batch_page),
    Route("POST", f"{BATCH}/save", Access.DEPARTMENT_WRITE, entry.entry_save),
    Route("POST", f"{BATCH}/void", Access.DEPARTMENT_WRITE, entry.entry_void),
    Route("POST", f"{BATCH}/finish", Access.DEPARTMENT_WRITE, entry.batch_finish),
    Route("POST", f"{BATCH}/resolve", Access.DEPARTMENT_WRITE, entry.batch_resolve),
    Route("POST", f"{P}/office/entry-policy", Access.OFFICE, entry.policy_set),
    # After the entry routes: its <month>/<name> would also match entry/template.xlsx.
    Route("GET", f"{DEPT}/<month>/<name>", Access.DEPARTMENT_READ, department.export),
    # Accounts and the audit log.
    Route("GET", f"{P}/accounts/", Access.READ_ALL, accounts.listing),
    Route("POST", f"{P}/accounts/", Access.OFFICE, accounts.add),
    Route("POST", f"{P}/accounts/<username>/disable", Access.OFFICE, accounts.disable),
    Route("POST", f"{P}/accounts/<username>/enable", Access.OFFICE, accounts.enable),
    Route("POST", f"{P}/accounts/<username>/reset", Access.OFFICE, accounts.reset),
    Route("GET", f"{P}/audit/", Access.READ_ALL, audit.log),
    Route("GET", f"{P}/audit/export.xlsx", Access.READ_ALL, audit.export),
    # 投诉举报: the list (urgent first), one complaint, its handling, its contact (a POST, so
    # that every view is deliberate, CSRF-checked and audited), the month's figures.
    Route("GET", f"{P}/complaints/", Access.COMPLAINTS, complaints.listing),
    Route("GET", f"{P}/complaints/<number>", Access.COMPLAINT_READ, complaints.detail),
    Route("POST", f"{P}/complaints/<number>/status", Access.COMPLAINT_HANDLE, complaints.status),
    Route("POST", f"{P}/complaints/<number>/assign", Access.OFFICE, complaints.assign),
    Route("POST", f"{P}/complaints/<number>/contact", Access.COMPLAINT_CONTACT, complaints.contact),
    # Who handles each department's conduct complaints as they arrive (the office's setting).
    Route("GET", f"{P}/complaint-handlers/", Access.READ_ALL, complaints.handlers_page),
    Route("POST", f"{P}/complaint-handlers/", Access.OFFICE, complaints.handlers_set),
    Route("GET", f"{P}/complaint-figures/<month>/", Access.READ_ALL, complaints.figures),
    Route("GET", f"{P}/complaint-figures/<month>/export.csv", Access.READ_ALL, complaints.export),
    # 回访: figures, visitors, a department's cases (import, draw, assignment, problem items).
    Route("GET", f"{P}/followup/", Access.STAFF, followup.home),
    Route("GET", f"{P}/followup/<month>/figures.csv", Access.READ_ALL, followup.figures_export),
    Route("POST", f"{P}/followup/visitors", Access.OFFICE, followup.visitor_add),
    Route("GET", f"{FOLLOWUP}/", Access.DEPARTMENT_READ, followup.department_page),
    # A month's closed cases, by the department's accounts or the office (party data sealed).
    Route("GET", f"{FOLLOWUP}/template.xlsx", Access.DEPARTMENT_WRITE, followup.template_file),
    Route("POST", f"{FOLLOWUP}/import", Access.DEPARTMENT_WRITE, followup.import_file),
    Route("POST", f"{FOLLOWUP}/draw", Access.OFFICE, followup.draw),
    Route("POST", f"{FOLLOWUP}/assign", Access.OFFICE, followup.assign_visitor),
    Route("POST", f"{FOLLOWUP}/problem", Access.DEPARTMENT_WRITE, followup.problem_close),
    # The call screen: the party's name and phone, for the office and the assigned visitor.
    Route("GET", f"{CALL}", Access.VISITOR, followup.call_screen),
    Route("POST", f"{CALL}", Access.VISITOR, followup.attempt),
    Route("POST", f"{CALL}/link", Access.VISITOR, followup.link_create),
    # The party's self-service page: the link's secret is its only key.
    Route("GET", f"{P}/f/<token>", Access.ANONYMOUS, followup.public_form),
    Route("POST", f"{P}/f/<token>", Access.ANONYMOUS, followup.public_submit),
)

# Pages a person who must change the password can still reach.
BEFORE_PASSWORD_CHANGE = frozenset(
    {f"GET {P}/password", f"POST {P}/password", f"POST {P}/logout", f"GET {P}/assets/<name>"}
)
