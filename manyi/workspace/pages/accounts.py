"""The office's account pages: the list, a new account, disable, enable and reset.

A new or reset password is shown once, on the answer to the POST that made it, and never
stored in clear; the page is not cached (no-store, like every workspace page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.store.staff.base import MAX_DISPLAY_NAME, ROLES, Account, failures_key
from manyi.workspace.access import Call, message_page
from manyi.workspace.accounts import (
    AccountProblem,
    add_account,
    reset_password,
    set_disabled,
)
from manyi.workspace.context import PREFIX
from manyi.workspace.session import FAILURES_BEFORE_LOCK

ACCOUNTS = f"{PREFIX}accounts/"


def listing(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    ws = call.ws
    now = ws.clock().timestamp()
    accounts = ws.staff.accounts.all()
    failures = {
        a.username: ws.staff.sessions.failures(failures_key(a.username), now) for a in accounts
    }
    return call.page(
        "accounts.html.j2",
        status,
        title="账号管理",
        accounts=accounts,
        failures=failures,
        lock_after=FAILURES_BEFORE_LOCK,
        departments=ws.questionnaire().departments,
        names={d.id: d.name for d in ws.questionnaire().departments},
        roles=ROLES,
        may_act=call.me.role == "office",
        problem=problem,
        form={
            "username": call.request.field("username", 64),
            "role": call.request.field("role", 20),
            "departments": call.request.fields("department"),
            "display_name": call.request.field("display_name", 200),
        },
        max_display_name=MAX_DISPLAY_NAME,
    )


def add(call: Call) -> Response[str]:
    request = call.request
    return _password_shown(
        call,
        add_account,
        "账号已建立",
        refused=400,
        username=request.field("username", 64),
        role=request.field("role", 20),
        departments=request.fields("department"),
        known_departments=[d.id for d in call.ws.questionnaire().departments],
        display_name=request.field("display_name", 200),
    )


def disable(call: Call) -> Response[str]:
    return _set_disabled(call, True)


def enable(call: Call) -> Response[str]:
    return _set_disabled(call, False)


def reset(call: Call) -> Response[str]:
    username = call.params["username"]
    return _password_shown(call, reset_password, "密码已重置", refused=404, username=username)


def _password_shown(
    call: Call,
    make: Callable[..., tuple[Account, str | None]],
    title: str,
    *,
    refused: int,
    **fields: Any,
) -> Response[str]:
    """A new account (`add_account`) or a reset password (`reset_password`), made by the signed-in
    office account, and the page that shows its password once; the list, with why not, when it
    is refused (status `refused`)."""
    ws = call.ws
    try:
        account, password = make(
            ws.staff,
            actor=call.me.username,
            now=ws.clock(),
            cost=ws.settings.password_cost,
            **fields,
        )
    except AccountProblem as problem:
        return listing(call, refused, problem.chinese)
    new = make is add_account  # the page words a new account's password differently
    return call.page(
        "password_shown.html.j2", title=title, account=account, password=password, new=new
    )


def _set_disabled(call: Call, disabled: bool) -> Response[str]:
    username = call.params["username"]
    if disabled and username == call.me.username:
        return listing(call, 409, "不能停用自己正在使用的账号。")
    try:
        set_disabled(
            call.ws.staff, actor=call.me.username, now=call.ws.clock(), username=username,
            disabled=disabled,
        )  # fmt: skip
    except AccountProblem as problem:
        return message_page(call, 404, "找不到账号", problem.chinese)
    return call.back(ACCOUNTS, "disabled" if disabled else "enabled")
