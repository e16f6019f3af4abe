"""The access matrix: every route of the route table × {anonymous, department A, department B,
viewer, office} → the status its rule says. Derived from the table: a route the matrix cannot
fill (a new path value, a POST without a sample form) fails here."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.store.cases.base import Case, Visitor, case_id_of
from manyi.store.entry.base import Batch
from manyi.store.staff.base import Account, Session
from manyi.workspace.access import Access
from manyi.workspace.app import build_resolver
from manyi.workspace.context import Workspace
from manyi.workspace.render import stylesheet
from manyi.workspace.routes import ROUTES, Route
from manyi.workspace.session import LOGIN_COOKIE, Staff
from tests.complaint_support import add_sample_complaint
from tests.workspace_support import PASSWORD, Client, local_workspace, make_account

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
DEPARTMENT_A, DEPARTMENT_B = "sifaju", "xinfangju"
PERSONAS = {
    "anonymous": None,
    "department A": ("clerk-a", "department", [DEPARTMENT_A]),
    "department B": ("clerk-b", "department", [DEPARTMENT_B]),
    "viewer": ("viewer-1", "viewer", []),
    "office": ("office-1", "office", []),
}
# What each path value becomes: department A's own page, this month, a file that exists.
MATRIX_CASE = "平司罚〔2026〕1号"
LINK_SECRET = "matrix-link-secret"
PATH_VALUES = {
    "department": DEPARTMENT_A,
    "month": "2026-11",
    "username": "target-user",
    "batch": "20261114020000-matrix1",  # made for department A by the fixture
    "number": "2026-sifaju-0001",
    # A follow-up case of department A, drawn, assigned to department A's clerk.
    "visitor": "clerk-a",
    "case": case_id_of(DEPARTMENT_A, MATRIX_CASE),
    "token": f"{DEPARTMENT_A}.2026-11.{case_id_of(DEPARTMENT_A, MATRIX_CASE)}.{LINK_SECRET}",
}
# The sample complaint: about an officer of department A (conduct), assigned to A's own clerk,
# with a name and phone. Its contact is the office's alone: A's clerk handles it blind.
COMPLAINT_RECORD = {"handler": "clerk-a", "complaint_department": DEPARTMENT_A, "about": "conduct"}
NAME_VALUES: dict[str, Callable[[], str]] = {
    "/workspace/assets/<name>": lambda: stylesheet()[0],
    "/workspace/office/<month>/reports/<name>": lambda: "results.json",
    "/workspace/d/<department>/<month>/<name>": lambda: "results.json",
}
# A form each POST route accepts from someone allowed to use it.
SAMPLE_FORMS: dict[str, dict[str, str]] = {
    "POST /workspace/login": {"username": "office-1", "password": PASSWORD},
    "POST /workspace/logout": {},
    "POST /workspace/password": {
        "current": PASSWORD,
        "new": "Quite-another-1",
        "repeat": "Quite-another-1",
    },
    "POST /workspace/office/<month>/close": {"reason": "提前关账：测试"},
    "POST /workspace/office/<month>/reopen": {"reason": "测试"},
    "POST /workspace/office/<month>/flags/<department>": {"text": "已核查：座谈会集中填写"},
    "POST /workspace/d/<department>/flags/<month>": {"text": "本月在服务大厅集中开展测评"},
    "POST /workspace/d/<department>/served": {"month": "2026-11", "count": "100", "note": ""},
    "POST /workspace/accounts/": {"username": "new-user", "role": "viewer"},
    "POST /workspace/accounts/<username>/disable": {},
    "POST /workspace/accounts/<username>/enable": {},
    "POST /workspace/accounts/<username>/reset": {},
    "POST /workspace/d/<department>/entry/": {"channel": "paper"},
    "POST /workspace/d/<department>/entry/<batch>/save": {"entry_id": "matrix-entry-1"},
    "POST /workspace/d/<department>/entry/<batch>/void": {"entry_id": "matrix-entry-1"},
    "POST /workspace/d/<department>/entry/<batch>/finish": {},
    "POST /workspace/d/<department>/entry/<batch>/resolve": {},
    "POST /workspace/d/<department>/entry/import": {"channel": "paper"},
    "POST /workspace/d/<department>/entry/served": {"month": "2026-11"},
    "POST /workspace/office/entry-policy": {"double_entry_required": "1"},
    "POST /workspace/complaints/<number>/status": {"status": "accepted", "note": ""},
    "POST /workspace/complaints/<number>/assign": {"handler": "clerk-a"},
    "POST /workspace/complaints/<number>/contact": {},
    "POST /workspace/complaint-handlers/": {"version": "0", "handler-sifaju": "clerk-a"},
    "POST /workspace/followup/visitors": {"username": "clerk-b", "staff_id": "41040009"},
    "POST /workspace/followup/d/<department>/draw": {"month": "2026-11"},
    "POST /workspace/followup/d/<department>/import": {"month": "2026-11"},
    "POST /workspace/followup/d/<department>/assign": {
        "month": "2026-11",
        "case": PATH_VALUES["case"],
        "visitor": "clerk-a",
    },
    "POST /workspace/followup/d/<department>/problem": {
        "month": "2026-11",
        "case": PATH_VALUES["case"],
        "action": "已约谈承办人",
    },
    "POST /workspace/followup/call/<visitor>/<department>/<month>/<case>": {
        "outcome": "no_answer",
        "note": "",
    },
    "POST /workspace/followup/call/<visitor>/<department>/<month>/<case>/link": {},
    "POST /workspace/f/<token>": {},
}


def concrete_path(route: Route) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "name":
            return NAME_VALUES[route.path]()
        return PATH_VALUES[name]

    return re.sub(r"<([a-z_]+)>", value, route.path)


def expected_allowed(route: Route, persona: str) -> bool:
    account = PERSONAS[persona]
    if account is None:
        return route.access is Access.ANONYMOUS
    username, role, departments = account
    staff = Staff(
        Account(username, role, tuple(departments), ""),  # type: ignore[arg-type]
        Session("", username, 0, "", 0.0, 0.0),
    )
    return route.access.allows(staff, {**PATH_VALUES, **COMPLAINT_RECORD})


@pytest.fixture
def workspace(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path, questionnaire, NOW) as ws:
        for account in PERSONAS.values():
            if account is not None:
                make_account(ws, *account)
        make_account(ws, "target-user", "department", [DEPARTMENT_B])
        assert ws.entry is not None
        ws.entry.add_batch(
            Batch(PATH_VALUES["batch"], DEPARTMENT_A, "paper", "clerk-a", "2026-11-14T02:00:00Z")
        )
        add_sample_complaint(ws, handler="clerk-a")
        add_matrix_case(ws)
        yield ws


def add_matrix_case(ws: Workspace) -> None:
    """A drawn case assigned to clerk-a (who did not handle it), with a live link."""
    assert ws.followup is not None
    assert ws.followup.sealer is not None
    case = Case(
        department=DEPARTMENT_A, case_number=MATRIX_CASE, kind="penalty", procedure="general",
        closed_on="2026-11-02", handler_id="41040001", handler_name="承办人甲", party=None,
        imported_at="2026-11-10T00:00:00.000000Z", draw_id="matrix", visitor="clerk-a",
        link_hash=hashlib.sha256(LINK_SECRET.encode()).hexdigest(),
        link_expires_at="2026-12-31T00:00:00.000000Z",
    )  # fmt: skip
    party = ws.followup.sealer.seal(
        case.case_id, {"party_name": "某公司", "party_phone": "13800000000"}
    )
    ws.followup.store.add_cases([replace(case, party=party)])
    ws.followup.store.put_visitor(Visitor("clerk-a", "41040002"))


def test_every_route_has_a_rule_and_the_matrix_can_fill_it() -> None:
    for route in ROUTES:
        assert isinstance(route.access, Access), route.name
        concrete_path(route)  # a KeyError here: teach the matrix the new path value
        if route.method == "POST":
            assert route.name in SAMPLE_FORMS, f"{route.name}: add a sample form to the matrix"
    assert len({r.name for r in ROUTES}) == len(ROUTES)


def test_the_app_serves_exactly_the_routes_of_the_table(workspace: Workspace) -> None:
    from aws_lambda_powertools import Logger

    app = build_resolver(workspace, Logger(service="test"))
    expected = set()
    for route in ROUTES:
        for method in ("GET", "HEAD") if route.method == "GET" else (route.method,):
            expected.add(f"{method}{route.path}")
    # Powertools keeps its route keys privately; nothing may be registered beside the table.
    assert set(app._route_keys) == expected


def test_a_department_rule_without_a_department_in_the_path_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="department"):
        Route("GET", "/workspace/everything", Access.DEPARTMENT_READ, lambda call: None)  # type: ignore[arg-type,return-value]


@pytest.mark.slow
@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_access_matrix(workspace: Workspace, route: Route, persona: str) -> None:
    client = Client(workspace)
    account = PERSONAS[persona]
    if account is not None:
        assert client.log_in(account[0]).status == 303
        client.get("/workspace/password")  # a page for every account: its CSRF token
    path = concrete_path(route)
    if route.method == "GET":
        answer = client.get(path)
    else:
        form = dict(SAMPLE_FORMS[route.name])
        if route.path == "/workspace/login":
            client.cookies[LOGIN_COOKIE] = form["csrf"] = "double-submitted-token"
        answer = client.post(path, form)
    to_login = answer.status == 303 and answer.location.startswith("/workspace/login")
    if expected_allowed(route, persona):
        assert answer.status not in (401, 403, 404, 405), (answer.status, answer.text[:500])
        assert answer.status < 500
        assert not to_login or route.path == "/workspace/logout"
    elif account is None:
        assert to_login, (answer.status, answer.location)
    else:
        assert answer.status == 403, (answer.status, answer.location)
        assert "无权访问" in answer.text
