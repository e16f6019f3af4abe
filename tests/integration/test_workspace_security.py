"""Attacks on the workspace: CSRF, session fixation and expiry, a login storm, name guessing,
stored XSS through every field staff can type, and the cookies' and pages' headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response

from manyi.aggregate import Counts
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.store.staff.base import failures_key, session_key_hash
from manyi.workspace.access import Access, Call, message_page
from manyi.workspace.app import handle
from manyi.workspace.context import Workspace
from manyi.workspace.http import Answered
from manyi.workspace.routes import ROUTES, Route
from manyi.workspace.session import LOGIN_COOKIE, SESSION_COOKIE
from tests.complaint_support import add_sample_complaint
from tests.log_capture import all_logs
from tests.workspace_support import (
    PASSWORD,
    Client,
    local_workspace,
    make_account,
    put_result,
)

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
CSRF_VALUE = re.compile(r'name="csrf" value="[^"]*"')
MONTH = "2026-11"


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path, questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office")
        make_account(workspace, "clerk-a", "department", ["sifaju"])
        make_account(workspace, "viewer-1", "viewer")
        add_sample_complaint(workspace)  # 2026-sifaju-0001
        yield workspace


def snapshot(ws: Workspace) -> tuple[Any, ...]:
    """Everything a POST could change."""
    return (
        ws.staff.accounts.all(),
        ws.staff.audit.month(MONTH),
        ws.results.served(MONTH),
        ws.results.month_close(MONTH),
        ws.complaints.store.year(2026) if ws.complaints else None,
        ws.followup.store.month("sifaju", MONTH) if ws.followup else None,
        ws.followup.store.draws("sifaju", MONTH) if ws.followup else None,
        ws.followup.store.visitors() if ws.followup else None,
        ws.complaints.store.handlers() if ws.complaints else None,
    )


def signed_in(ws: Workspace, username: str = "office-1", address: str = "10.1.1.1") -> Client:
    client = Client(ws, address)
    assert client.log_in(username).status == 303
    client.get("/workspace/password")
    return client


# -- CSRF ---------------------------------------------------------------------------------

STATE_CHANGES = {
    "/workspace/d/sifaju/served": {"month": MONTH, "count": "500"},
    "/workspace/office/2026-11/close": {"reason": "测试"},
    "/workspace/office/2026-11/flags/sifaju": {"text": "已核查"},
    "/workspace/d/sifaju/flags/2026-11": {"text": "说明"},
    "/workspace/accounts/": {"username": "intruder", "role": "office"},
    "/workspace/accounts/clerk-a/disable": {},
    "/workspace/accounts/clerk-a/reset": {},
    "/workspace/password": {
        "current": PASSWORD,
        "new": "Hijacked-pw-1",
        "repeat": "Hijacked-pw-1",
    },
    "/workspace/logout": {},
    "/workspace/d/sifaju/entry/": {"channel": "paper"},
    "/workspace/d/sifaju/entry/20261114020000-csrf01/save": {"entry_id": "csrf-entry-1"},
    "/workspace/d/sifaju/entry/20261114020000-csrf01/void": {"entry_id": "csrf-entry-1"},
    "/workspace/d/sifaju/entry/20261114020000-csrf01/finish": {},
    "/workspace/d/sifaju/entry/20261114020000-csrf01/resolve": {},
    "/workspace/d/sifaju/entry/import": {"channel": "paper"},
    "/workspace/d/sifaju/entry/served": {"month": MONTH},
    "/workspace/office/entry-policy": {"double_entry_required": "1"},
    "/workspace/complaints/2026-sifaju-0001/status": {"status": "accepted"},
    "/workspace/complaints/2026-sifaju-0001/assign": {"handler": "office-1"},
    "/workspace/complaints/2026-sifaju-0001/contact": {},
    "/workspace/complaint-handlers/": {"version": "0", "handler-sifaju": "office-1"},
    "/workspace/followup/visitors": {"username": "clerk-a", "staff_id": "X1"},
    "/workspace/followup/d/sifaju/draw": {"month": MONTH},
    "/workspace/followup/d/sifaju/import": {"month": MONTH},
    "/workspace/followup/d/sifaju/assign": {"month": MONTH, "case": "c", "visitor": "clerk-a"},
    "/workspace/followup/d/sifaju/problem": {"month": MONTH, "case": "c", "action": "x"},
    # The case segment is a case ID; any value does, the token is checked first.
    "/workspace/followup/call/clerk-a/sifaju/2026-11/clerk-a": {"outcome": "refused"},
    "/workspace/followup/call/clerk-a/sifaju/2026-11/clerk-a/link": {},
}


def test_every_state_change_of_the_table_is_in_the_csrf_test() -> None:
    posts = {r.path for r in ROUTES if r.method == "POST"}
    parts = "sifaju|2026-11|clerk-a|20261114020000-csrf01|2026-sifaju-0001"
    covered = {re.sub(rf"/({parts})(?=/|$)", "/<x>", p) for p in STATE_CHANGES}
    known = {re.sub(r"<[a-z]+>", "<x>", p) for p in posts}
    # The login has its own token (below); reopen and enable mirror close and disable; a
    # party's self-service answer has no session: the link's secret is its credential.
    assert known - covered == {
        "/workspace/login", "/workspace/office/<x>/reopen", "/workspace/accounts/<x>/enable",
        "/workspace/f/<x>",
    }  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("path", list(STATE_CHANGES))
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_session_token_is_refused_and_changes_nothing(
    ws: Workspace, path: str, token: str | None
) -> None:
    client = signed_in(ws)
    before = snapshot(ws)
    form = dict(STATE_CHANGES[path])
    if token is not None:
        form["csrf"] = token
    answer = client.post(path, form, csrf=False)
    assert answer.status == 403
    assert "未作任何修改" in answer.text
    assert snapshot(ws) == before
    # The session itself still works (a forged post does not log anyone out).
    assert client.get("/workspace/office/").status == 200


def test_another_sessions_token_does_not_work(ws: Workspace) -> None:
    victim, attacker = signed_in(ws), signed_in(ws, "clerk-a", "10.2.2.2")
    before = snapshot(ws)
    answer = victim.post(
        "/workspace/accounts/", {"username": "x-user", "role": "office", "csrf": attacker.csrf}
    )
    assert answer.status == 403
    assert snapshot(ws) == before


def test_the_login_form_needs_its_own_double_submitted_token(ws: Workspace) -> None:
    client = Client(ws)
    answer = client.post(
        "/workspace/login", {"username": "office-1", "password": PASSWORD}, csrf=False
    )
    assert answer.status == 403
    assert SESSION_COOKIE not in client.cookies
    client.get("/workspace/login")
    forged = client.post(
        "/workspace/login", {"username": "office-1", "password": PASSWORD, "csrf": "x"}
    )
    assert forged.status == 403
    assert SESSION_COOKIE not in client.cookies


# -- sessions -----------------------------------------------------------------------------


def test_a_session_id_planted_before_the_login_is_never_used(ws: Workspace) -> None:
    client = Client(ws)
    planted = "attacker-chosen-session-id-0123456789"
    client.cookies[SESSION_COOKIE] = planted
    assert client.log_in("office-1").status == 303
    issued = client.cookies[SESSION_COOKIE]
    assert issued != planted
    assert ws.staff.sessions.get(session_key_hash(planted)) is None
    # Only the hash is stored: the cookie's value is nowhere in the store.
    stored = ws.staff.sessions.get(session_key_hash(issued))
    assert stored is not None
    assert issued not in repr(stored)
    attacker = Client(ws)
    attacker.cookies[SESSION_COOKIE] = planted
    assert attacker.get("/workspace/office/").status == 303


def test_a_new_login_replaces_the_session_it_came_with(ws: Workspace) -> None:
    client = signed_in(ws)
    first = client.cookies[SESSION_COOKIE]
    client.cookies[LOGIN_COOKIE] = "double-submitted"
    login = {"username": "office-1", "password": PASSWORD, "csrf": "double-submitted"}
    assert client.post("/workspace/login", login).status == 303
    assert client.cookies[SESSION_COOKIE] != first
    stale = Client(ws)
    stale.cookies[SESSION_COOKIE] = first
    assert stale.get("/workspace/office/").location.startswith("/workspace/login")


@pytest.mark.slow
def test_sessions_end_when_idle_and_at_their_absolute_lifetime(ws: Workspace) -> None:
    clock: Any = ws.clock
    client = signed_in(ws)
    clock.advance(minutes=29)
    assert client.get("/workspace/office/").status == 200
    for _ in range(30):  # busy all day, a request every 29 minutes
        clock.advance(minutes=29)
        if client.get("/workspace/office/").status != 200:
            break
    assert timedelta(hours=12) <= clock.now - NOW < timedelta(hours=12, minutes=30)
    assert client.get("/workspace/office/").location.startswith("/workspace/login")
    idle = signed_in(ws, "viewer-1")
    clock.advance(minutes=31)
    answer = idle.get("/workspace/office/")
    assert answer.location.startswith("/workspace/login")
    assert any(c.startswith(f"{SESSION_COOKIE}=;") and "Max-Age=0" in c for c in answer.set_cookies)


def test_logout_a_password_change_a_reset_and_a_disable_end_sessions(ws: Workspace) -> None:
    clerk = signed_in(ws, "clerk-a", "10.3.3.3")
    second_device = signed_in(ws, "clerk-a", "10.4.4.4")
    assert clerk.post("/workspace/logout").status == 303
    assert clerk.get("/workspace/d/sifaju/").location.startswith("/workspace/login")
    assert second_device.get("/workspace/d/sifaju/").status == 200
    office = signed_in(ws)
    office.get("/workspace/accounts/")
    assert office.post("/workspace/accounts/clerk-a/disable").status == 303
    assert second_device.get("/workspace/d/sifaju/").location.startswith("/workspace/login")
    assert Client(ws, "10.5.5.5").log_in("clerk-a").status == 401
    office.post("/workspace/accounts/clerk-a/enable")
    viewer = signed_in(ws, "viewer-1")
    office.get("/workspace/accounts/")
    office.post("/workspace/accounts/viewer-1/reset")
    assert viewer.get("/workspace/office/").location.startswith("/workspace/login")


# -- the login ----------------------------------------------------------------------------


def test_wrong_password_and_unknown_name_read_the_same(ws: Workspace) -> None:
    wrong = Client(ws, "10.6.6.6").log_in("office-1", "not-the-password")
    unknown = Client(ws, "10.7.7.7").log_in("no-such-user", "not-the-password")
    assert wrong.status == unknown.status == 401

    def page(answer: Any, name: str) -> str:
        return CSRF_VALUE.sub("", answer.text.replace(name, "NAME"))

    assert page(wrong, "office-1") == page(unknown, "no-such-user")


def test_five_failures_lock_a_name_existing_or_not_with_a_growing_wait(ws: Workspace) -> None:
    clock: Any = ws.clock
    for name in ("clerk-a", "nobody-here"):
        client = Client(ws, f"10.8.{len(name)}.1")
        statuses = [client.log_in(name, f"guess-{i}").status for i in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        # Locked: even the right password waits, and the answer says how long.
        locked = client.log_in(name)
        assert locked.status == 429
        assert locked.headers["Retry-After"] == "60"
        assert "1 分钟" in locked.text
    clock.advance(seconds=61)
    client = Client(ws, "10.9.9.9")
    assert client.log_in("clerk-a", "guess-6").status == 429  # the 6th failure: 2 minutes
    assert client.log_in("clerk-a").headers["Retry-After"] == "120"
    clock.advance(seconds=121)
    assert client.log_in("clerk-a").status == 303
    # A success forgets the failures.
    assert (
        ws.staff.sessions.failures(
            failures_key("clerk-a"),
            clock.now.timestamp(),
        ).count
        == 0
    )


@pytest.mark.slow
def test_a_login_storm_from_one_network_is_slowed_and_others_still_get_in(
    ws: Workspace,
) -> None:
    answers = []
    for i in range(40):
        # Different addresses of one /24, different names: the per-name lock never fires.
        storm = Client(ws, f"203.0.113.{i + 1}")
        answers.append(storm.log_in(f"guess-{i:03d}", "password123"))
    statuses = [a.status for a in answers]
    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers[30:])
    # Nobody got in, and nobody elsewhere is locked out.
    assert all(SESSION_COOKIE not in a.headers.get("Set-Cookie", "") for a in answers)
    assert Client(ws, "198.51.100.7").log_in("office-1").status == 303
    # IPv6 networks are /48s.
    assert Client(ws, "2001:db8:1:2::5").log_in("viewer-1").status == 303


def test_a_disabled_account_with_the_right_password_reads_like_a_wrong_one(ws: Workspace) -> None:
    office = signed_in(ws)
    office.get("/workspace/accounts/")
    office.post("/workspace/accounts/viewer-1/disable")
    assert Client(ws, "10.11.0.1").log_in("viewer-1").status == 401


def test_next_after_login_stays_inside_the_workspace(ws: Workspace) -> None:
    for target, expected in [
        ("/workspace/audit/", "/workspace/audit/"),
        ("https://evil.example/", "/workspace/"),
        ("//evil.example/workspace/", "/workspace/"),
        ("/workspace//evil.example", "/workspace/"),
    ]:
        client = Client(ws)
        client.get("/workspace/login?next=" + quote(target))
        answer = client.post(
            "/workspace/login", {"username": "office-1", "password": PASSWORD, "next": target}
        )
        assert answer.location == expected


# -- stored XSS ---------------------------------------------------------------------------

PAYLOADS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    '=HYPERLINK("http://evil.example","点我")',
]


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img src=x" not in lowered
    assert "<svg onload" not in lowered
    assert 'href="javascript:' not in lowered


@pytest.mark.slow
@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_xss_through_every_staff_typed_field_is_shown_as_text(
    ws: Workspace, payload: str
) -> None:
    office = signed_in(ws)
    office.get("/workspace/accounts/")
    created = office.post(
        "/workspace/accounts/",
        {
            "username": "xss-user",
            "role": "department",
            "department": "sifaju",
            "display_name": payload[:40],
        },
    )
    assert created.status == 200, created.text
    office.get("/workspace/d/sifaju/")
    office.post("/workspace/d/sifaju/served", {"month": MONTH, "count": "10", "note": payload})
    office.get("/workspace/office/")
    office.post("/workspace/office/2026-11/close", {"reason": payload})
    office.get("/workspace/office/")
    office.post("/workspace/office/2026-11/reopen", {"reason": payload})
    pages = [
        created,
        office.get("/workspace/accounts/"),
        office.get("/workspace/d/sifaju/"),
        office.get("/workspace/office/"),
        office.get("/workspace/audit/"),
        office.get("/workspace/audit/?actor=" + quote(payload)),
        Client(ws).request("GET", "/workspace/login?next=" + quote(payload)),
        Client(ws, "10.12.0.1").log_in(payload, "x"),
    ]
    for page in pages:
        assert page.status < 500
        assert_inert(page.text)
    shown = office.get("/workspace/d/sifaju/").text
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&#34;").replace("'", "&#39;") in shown
    # Spreadsheets get a formula as text, never as a formula.
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(office.get("/workspace/audit/export.xlsx").body))
    cells = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(c.startswith("=") for c in cells)


# -- headers and bad requests -------------------------------------------------------------


def test_cookies_are_httponly_strict_and_secure_over_https(ws: Workspace) -> None:
    plain = Client(ws)
    plain.get("/workspace/login")
    answer = plain.post("/workspace/login", {"username": "office-1", "password": PASSWORD})
    session = next(c for c in answer.set_cookies if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session
    assert "SameSite=Strict" in session
    assert "Path=/workspace/" in session
    assert "Secure" not in session
    https = Client(ws, https=True)
    answer = https.log_in("office-1")
    assert all("Secure" in c for c in answer.set_cookies)


@pytest.mark.slow
def test_every_page_carries_a_strict_csp_and_is_never_cached(ws: Workspace) -> None:
    client = signed_in(ws)
    for path in (
        "/workspace/login",
        "/workspace/office/",
        "/workspace/audit/",
        "/workspace/nowhere",
    ):
        answer = client.get(path)
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert "script-src" not in answer.headers["Content-Security-Policy"]
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Frame-Options"] == "DENY"


# Refusals a page's helper gives (no such batch, case or department, a malformed month or
# filter): what is asked, the status and the words of the page that must arrive.
HELPER_REFUSALS: tuple[tuple[str, str, dict[str, str] | None, int, str], ...] = (
    ("GET", "/workspace/d/nowhere/entry/", None, 404, "没有这个部门"),
    ("GET", "/workspace/d/sifaju/entry/20261114020000-nobody/", None, 404, "没有这一批录入"),
    ("POST", "/workspace/d/sifaju/entry/20261114020000-nobody/save", {}, 404, "没有这一批录入"),
    ("GET", "/workspace/d/sifaju/?respondent=nobody", None, 400, "筛选条件不正确"),
    ("GET", "/workspace/office/2026-13/", None, 400, "月份不正确"),
    ("GET", "/workspace/complaint-figures/2026-13/", None, 404, "月份不正确"),
    ("POST", "/workspace/followup/d/sifaju/draw", {"month": "2026-13"}, 404, "没有这个部门或月份"),
    (
        "POST",
        "/workspace/followup/d/sifaju/assign",
        {"month": MONTH, "case": "c"},
        404,
        "没有这件案件",
    ),
    ("GET", "/workspace/followup/call/office-1/sifaju/2026-11/c", None, 404, "这件案件"),
)


@pytest.mark.parametrize(("method", "path", "form", "status", "words"), HELPER_REFUSALS)
def test_a_refusal_from_a_pages_helper_arrives_whole(
    ws: Workspace, method: str, path: str, form: dict[str, str] | None, status: int, words: str
) -> None:
    """A helper that finds nothing to act on answers for the page (manyi.workspace.http.
    Answered): the dispatcher must give that answer, its status, page and headers, never
    the 503 of an unexpected error, and change nothing."""
    client = signed_in(ws)
    before = snapshot(ws)
    answer = client.get(path) if method == "GET" else client.post(path, form)
    assert (answer.status, words in answer.text) == (status, True)
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert snapshot(ws) == before


def test_an_answer_raised_in_a_page_still_gets_what_follows_a_page(ws: Workspace) -> None:
    """The dispatcher treats a raised answer as the page's own: a stale session cookie is
    still cleared (only an anonymous route's page runs for a request without a session)."""

    def page(call: Call) -> Response[str]:
        raise Answered(message_page(call, 404, "链接无效", "没有这个链接。"))

    route = Route("GET", "/workspace/f/<token>", Access.ANONYMOUS, page)
    event = {
        "rawPath": "/workspace/f/x",
        "headers": {"host": "manyi.example"},
        "cookies": [f"{SESSION_COOKIE}=long-gone"],
        "requestContext": {"http": {"method": "GET", "sourceIp": "10.1.1.9"}},
    }
    answer = handle(ws, route, event, {"token": "x"}, Logger(service="test"))
    assert answer.status_code == 404
    assert answer.headers["Cache-Control"] == "no-store"
    cleared = [str(c) for c in answer.cookies]
    assert any(c.startswith(f"{SESSION_COOKIE}=;") and "Max-Age=0" in c for c in cleared)


def test_bad_requests_get_pages_not_tracebacks(ws: Workspace) -> None:
    client = signed_in(ws)
    json_post = client.request(
        "POST", "/workspace/d/sifaju/served", None, {"content-type": "application/json"}
    )
    assert json_post.status == 415
    assert client.get("/workspace/nowhere").status == 404
    assert client.get("/workspace/d/nowhere/").status == 404
    assert client.get("/workspace/d/sifaju/?month=2026-13").status == 400
    wrong_method = client.request("GET", "/workspace/logout")
    assert wrong_method.status == 405
    assert wrong_method.headers["Allow"] == "POST"
    huge = client.post(
        "/workspace/d/sifaju/served", {"month": MONTH, "count": "1", "note": "x" * 20000}
    )
    assert huge.status == 413
    for answer in (json_post, wrong_method, huge):
        assert "Traceback" not in answer.text


def test_a_failing_store_answers_503_with_a_page(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from manyi.store.errors import StoreUnavailable

    client = signed_in(ws)

    def down(*args: object) -> None:
        raise StoreUnavailable("disk full", retry_after=7)

    monkeypatch.setattr(ws.results, "served", down)
    put_result(ws, "sifaju", MONTH, Counts(responses=1))
    answer = client.get("/workspace/d/sifaju/")
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "7"
    assert "系统繁忙" in answer.text


def test_a_self_service_links_secret_is_not_logged_even_at_debug(ws: Workspace) -> None:
    """Powertools logs each call's route arguments and each unmatched path at DEBUG."""
    secret = "Zq8" + "x" * 40
    anyone = Client(ws)
    with all_logs() as lines:
        assert anyone.get(f"/workspace/f/{secret}").status in (200, 404, 410)
        assert anyone.request("DELETE", f"/workspace/f/{secret}").status == 405
    messages = [line.split("\n", 1)[0] for line in lines]
    assert "Calling API Route Handler (values withheld)" in messages
    assert "No match found for path (values withheld)" in messages
    assert [line for line in lines if secret in line] == []
