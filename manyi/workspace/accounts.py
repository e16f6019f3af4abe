"""What can be done to an account, audited: add, disable, enable, reset, change the password.

The CLI (`manyi account`) and the office's pages call the same functions. Each write reads the
account, changes it and writes it back naming the version it read; a concurrent change makes it
read again (a few times) rather than overwrite. A password reset, a change and a disable bump
the account's session generation, which ends every session it has.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import cast

from manyi.errors import ManyiError
from manyi.store.staff.base import (
    MAX_DISPLAY_NAME,
    ROLES,
    USERNAME_PATTERN,
    Account,
    AccountConflict,
    AccountExists,
    Role,
    StaffStores,
    failures_key,
)
from manyi.submission import utc_timestamp
from manyi.workspace.audit import account_target, record
from manyi.workspace.passwords import (
    DEFAULT_COST,
    ScryptCost,
    hash_password,
    initial_password,
    password_problems,
)

ATTEMPTS = 5


class AccountProblem(ManyiError, ValueError):
    """The change cannot be made: `str()` says why in English (CLI), `chinese` for pages."""

    def __init__(self, english: str, chinese: str) -> None:
        super().__init__(english)
        self.chinese = chinese


def check_new_account(
    username: str,
    role: str,
    departments: Sequence[str],
    display_name: str,
    known_departments: Collection[str],
) -> list[AccountProblem]:
    problems = []
    if not USERNAME_PATTERN.match(username):
        problems.append(
            AccountProblem(
                f"username {username!r}: use 3 to 32 of a-z 0-9 . _ - , starting with a letter "
                "or digit",
                "用户名须为 3 至 32 个小写字母、数字或 . _ -，并以字母或数字开头。",
            )
        )
    if role not in ROLES:
        problems.append(
            AccountProblem(
                f"role {role!r}: one of {', '.join(ROLES)}", "请选择角色：办公室、查看或部门。"
            )
        )
    unknown = [d for d in departments if d not in known_departments]
    if unknown:
        problems.append(
            AccountProblem(
                f"unknown department(s) {', '.join(unknown)} (see questionnaire.yaml)",
                "所选部门不在部门名单中。",
            )
        )
    if role == "department" and not departments:
        problems.append(
            AccountProblem(
                "a department account needs at least one --department",
                "部门账号至少需要选择一个部门。",
            )
        )
    if role in ("office", "viewer") and departments:
        problems.append(
            AccountProblem(
                f"a {role} account sees every department: give no --department",
                "办公室和查看账号可以看到全部部门，不需要选择部门。",
            )
        )
    if len(display_name) > MAX_DISPLAY_NAME or any(c in display_name for c in "\r\n\t"):
        problems.append(
            AccountProblem(
                f"display name: at most {MAX_DISPLAY_NAME} characters on one line",
                f"姓名或说明最多 {MAX_DISPLAY_NAME} 个字，且只能一行。",
            )
        )
    return problems


def add_account(
    stores: StaffStores,
    *,
    actor: str,
    now: datetime,
    username: str,
    role: str,
    departments: Sequence[str],
    known_departments: Collection[str],
    display_name: str = "",
    password: str | None = None,
    cost: ScryptCost = DEFAULT_COST,
) -> tuple[Account, str | None]:
    """The new account and its one-time initial password (None when `password` was given).

    Either way the password must be changed at the first login.
    """
    username = username.strip().lower()
    display_name = display_name.strip()
    departments = list(dict.fromkeys(d.strip() for d in departments if d.strip()))
    problems = check_new_account(username, role, departments, display_name, known_departments)
    if password is not None:
        problems += [
            AccountProblem(f"password: {p}", p) for p in password_problems(password, username)
        ]
    if problems:
        raise problems[0]
    given = password if password is not None else initial_password()
    checked_role = cast(Role, role)  # checked against ROLES above
    account = Account(
        username=username,
        role=checked_role,
        departments=tuple(departments),
        password_hash=hash_password(given, cost),
        display_name=display_name,
        created_at=utc_timestamp(now),
    )
    try:
        stores.accounts.add(account)
    except AccountExists:
        raise AccountProblem(
            f"an account {username!r} exists already", "已有同名账号，请换一个用户名。"
        ) from None
    record(
        stores.audit,
        now,
        actor,
        "account.add",
        account_target(username),
        after=account.audit_view(),
        departments=account.departments,
    )
    return account, None if password is not None else given


def set_disabled(
    stores: StaffStores, *, actor: str, now: datetime, username: str, disabled: bool
) -> Account:
    def change(account: Account) -> Account:
        return replace(
            account,
            disabled=disabled,
            session_generation=account.session_generation + (1 if disabled else 0),
        )

    action = "account.disable" if disabled else "account.enable"
    return _change(stores, actor, now, username, action, change)


def reset_password(
    stores: StaffStores,
    *,
    actor: str,
    now: datetime,
    username: str,
    cost: ScryptCost = DEFAULT_COST,
) -> tuple[Account, str]:
    """A new one-time password, to be changed at the next login; every session ends."""
    password = initial_password()
    change = _new_password(hash_password(password, cost), must_change=True)
    account = _change(stores, actor, now, username, "account.reset", change)
    stores.sessions.clear_failures(failures_key(username))
    return account, password


def change_password(
    stores: StaffStores,
    *,
    now: datetime,
    account: Account,
    new_password: str,
    cost: ScryptCost = DEFAULT_COST,
) -> Account:
    """The account with its new password; every session of it ends (the caller makes a new
    one for the person who changed it). AccountProblem if the password is not good enough."""
    problems = password_problems(new_password, account.username)
    if problems:
        raise AccountProblem("password: " + " ".join(problems), " ".join(problems))
    change = _new_password(hash_password(new_password, cost), must_change=False)
    return _change(stores, account.username, now, account.username, "password.change", change)


def _new_password(hashed: str, *, must_change: bool) -> Callable[[Account], Account]:
    """The change a new password makes: the hash, the first-login flag, every session ended."""

    def change(account: Account) -> Account:
        return replace(
            account,
            password_hash=hashed,
            must_change_password=must_change,
            session_generation=account.session_generation + 1,
        )

    return change


def _change(
    stores: StaffStores,
    actor: str,
    now: datetime,
    username: str,
    action: str,
    change: Callable[[Account], Account],
) -> Account:
    for _ in range(ATTEMPTS):
        stored = stores.accounts.get(username)
        if stored is None:
            raise AccountProblem(f"no account {username!r}", "没有这个账号。")
        changed = replace(change(stored), version=stored.version + 1)
        try:
            stores.accounts.replace(changed)
        except AccountConflict:
            continue
        record(
            stores.audit,
            now,
            actor,
            action,
            account_target(username),
            before=stored.audit_view(),
            after=changed.audit_view(),
            departments=changed.departments,
        )
        return changed
    raise AccountProblem(
        f"account {username!r} kept changing; try again", "账号正在被其他人修改，请稍后再试。"
    )
