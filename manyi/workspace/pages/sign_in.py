"""Signing in, the forced password change, signing out, and the way in after a login."""

from __future__ import annotations

import secrets

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie

from manyi.cookies import strict_cookie
from manyi.store.staff.base import ABSOLUTE_SECONDS
from manyi.workspace.access import NOTICES, Call
from manyi.workspace.accounts import AccountProblem, change_password
from manyi.workspace.context import PREFIX
from manyi.workspace.http import SECURITY_HEADERS, TEXT_TYPE, redirect
from manyi.workspace.passwords import MIN_LENGTH, verify_password
from manyi.workspace.render import script, stylesheet
from manyi.workspace.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoggedIn,
    end_session,
    log_in,
    start_session,
    tokens_match,
)

LOGIN = f"{PREFIX}login"
PASSWORD = f"{PREFIX}password"


def root(call: Call) -> Response[str]:
    return redirect(PREFIX)


def stylesheet_file(call: Call) -> Response[bytes]:
    """The stylesheet, or the keying page's script: each under its content's hash."""
    for (name, data), content_type in (
        (stylesheet(), "text/css; charset=utf-8"),
        (script(), "text/javascript; charset=utf-8"),
    ):
        if call.params["name"] == name:
            headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"}
            return Response(200, content_type, data, headers, compress=True)
    return Response(404, TEXT_TYPE, b"", {**SECURITY_HEADERS})


def home(call: Call) -> Response[str]:
    """Where a signed-in person starts: the city for the office, the department's own page."""
    staff = call.me
    notice = call.request.query.get("notice", "")
    start = ""
    if staff.role in ("office", "viewer"):
        start = f"{PREFIX}office/"
    elif len(staff.account.departments) == 1:
        start = f"{PREFIX}d/{staff.account.departments[0]}/"
    if start:
        return call.back(start, notice) if notice in NOTICES else redirect(start)
    return call.page("home.html.j2", title="选择部门")


def login_form(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    if call.staff is not None and not problem:
        return redirect(PREFIX)
    token = call.request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    page = call.page(
        "login.html.j2",
        status,
        title="登录",
        login_token=token,
        next=_safe_next(call.request.query.get("next") or call.request.field("next")),
        problem=problem,
        username=call.request.field("username", 64),
    )
    page.cookies.append(_login_cookie(call, token))
    return page


def login(call: Call) -> Response[str]:
    request = call.request
    if not tokens_match(request.cookies.get(LOGIN_COOKIE, ""), request.field("csrf")):
        return login_form(call, 403, "页面已过期，请重新输入后登录。")
    outcome = log_in(call.ws, request.address, request.field("username", 200), _password(call))
    if not isinstance(outcome, LoggedIn):
        page = login_form(call, outcome.status, outcome.message)
        if outcome.retry_after:
            page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    # A new session ID, whatever cookie came in; the old session (if any) ends.
    if call.staff is not None:
        call.ws.staff.sessions.delete(call.staff.session.key_hash)
    account = outcome.staff.account
    target = PASSWORD if account.must_change_password else _safe_next(request.field("next"))
    return redirect(target, [_session_cookie(call, outcome.session_id), _clear(call, LOGIN_COOKIE)])


def logout(call: Call) -> Response[str]:
    end_session(call.ws, call.me)
    return redirect(f"{LOGIN}?notice=logged_out", [_clear(call, SESSION_COOKIE)])


def password_form(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    return call.page(
        "password.html.j2",
        status,
        title="修改密码",
        forced=call.me.account.must_change_password,
        problem=problem,
        min_length=MIN_LENGTH,
    )


def password_change(call: Call) -> Response[str]:
    staff = call.me
    current = call.request.form.get("current", [""])[0]
    new = call.request.form.get("new", [""])[0]
    if not verify_password(current, staff.account.password_hash):
        return password_form(call, 400, "当前密码不正确。")
    if new != call.request.form.get("repeat", [""])[0]:
        return password_form(call, 400, "两次输入的新密码不一致。")
    if new == current:
        return password_form(call, 400, "新密码不能与当前密码相同。")
    try:
        account = change_password(
            call.ws.staff,
            now=call.ws.clock(),
            account=staff.account,
            new_password=new,
            cost=call.ws.settings.password_cost,
        )
    except AccountProblem as problem:
        return password_form(call, 400, problem.chinese)
    # Every session of the account ended with the change; this person gets a new one.
    call.ws.staff.sessions.delete(staff.session.key_hash)
    fresh = start_session(call.ws, account)
    return redirect(f"{PREFIX}?notice=password", [_session_cookie(call, fresh.session_id)])


def _password(call: Call) -> str:
    return call.request.form.get("password", [""])[0][:200]


def _safe_next(target: str) -> str:
    """Only a path inside the workspace: never another site (an open redirect)."""
    if target.startswith(PREFIX) and "//" not in target and "\\" not in target:
        return target
    return PREFIX


def _secure(call: Call) -> bool:
    return call.ws.settings.secure_cookies or call.request.https


def _session_cookie(call: Call, session_id: str) -> Cookie:
    return strict_cookie(
        SESSION_COOKIE, session_id, path=PREFIX, secure=_secure(call), max_age=ABSOLUTE_SECONDS
    )


def _login_cookie(call: Call, token: str) -> Cookie:
    return strict_cookie(LOGIN_COOKIE, token, path=LOGIN, secure=_secure(call), max_age=3600)


def _clear(call: Call, name: str) -> Cookie:
    path = LOGIN if name == LOGIN_COOKIE else PREFIX
    return strict_cookie(name, "", path=path, secure=_secure(call), max_age=0)
