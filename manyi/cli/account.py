"""`manyi account add|list|disable|enable|reset`: the workspace's staff accounts, audited."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, CommandError, add_questionnaire_option, questionnaire_of
from manyi.cli.results_options import add_folder_or_aws_options
from manyi.store.staff.base import ROLES, StaffStores

ROLE_HELP = "office (全部部门，管理账号，关账), viewer (只读), department (本部门)"


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "account",
        help="add, list, disable or reset the staff accounts of the workspace (/workspace/)",
        description=(
            "Staff accounts of the workspace. Every change is written to the audit log with "
            "the operating-system user as its actor (cli:<user>)."
        ),
    )
    actions = parser.add_subparsers(dest="account_action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add",
        help="add an account; prints a one-time initial password",
        description=(
            "Add an account and print its initial password once (or read one with "
            "--password-stdin). Either way it must be changed at the first login."
        ),
    )
    add.add_argument("username", help="3 to 32 of a-z 0-9 . _ - (e.g. pinyin or a staff number)")
    add.add_argument("--role", required=True, choices=ROLES, help=ROLE_HELP)
    add.add_argument(
        "--department",
        action="append",
        default=[],
        metavar="ID",
        help="department ID or full name, repeatable (department role only)",
    )
    add.add_argument("--name", default="", metavar="TEXT", help="the person's name or a note")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the initial password from standard input instead of making one",
    )

    list_ = actions.add_parser("list", help="list the accounts")
    disable = actions.add_parser("disable", help="disable an account; its sessions end")
    enable = actions.add_parser("enable", help="enable a disabled account again")
    reset = actions.add_parser(
        "reset", help="give an account a new one-time password; its sessions end"
    )
    for sub in (disable, enable, reset):
        sub.add_argument("username")
    for sub in (add, list_, disable, enable, reset):
        add_staff_options(sub)
        add_questionnaire_option(sub)
        sub.set_defaults(run=run)


def add_staff_options(parser: argparse.ArgumentParser) -> None:
    add_folder_or_aws_options(
        parser,
        "use the DynamoDB tables",
        (
            ("--accounts-table", "ACCOUNTS_TABLE"),
            ("--sessions-table", "SESSIONS_TABLE"),
            ("--audit-table", "AUDIT_TABLE"),
        ),
    )


def open_staff(args: argparse.Namespace) -> StaffStores:
    if not args.aws:
        from manyi.store.staff.sqlite import local_staff_stores

        return local_staff_stores(Path(args.data))
    from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores

    missing = [
        option
        for option, value in (
            ("--accounts-table (or $ACCOUNTS_TABLE)", args.accounts_table),
            ("--sessions-table (or $SESSIONS_TABLE)", args.sessions_table),
            ("--audit-table (or $AUDIT_TABLE)", args.audit_table),
        )
        if not value
    ]
    if missing:
        raise CommandError(f"--aws needs {' and '.join(missing)}")
    tables = StaffTables(args.accounts_table, args.sessions_table, args.audit_table, args.region)
    return aws_staff_stores(tables)


def run(args: argparse.Namespace) -> int:
    from manyi.workspace.accounts import AccountProblem

    questionnaire = questionnaire_of(args)
    stores = open_staff(args)
    actor = f"cli:{_os_user()}"
    now = datetime.now(UTC)
    try:
        if args.account_action == "add":
            return _add(
                args,
                stores,
                actor,
                now,
                [d.id for d in questionnaire.departments],
                {d.name: d.id for d in questionnaire.departments},
            )
        if args.account_action == "list":
            return _list(stores)
        return _change(args, stores, actor, now)
    except AccountProblem as problem:
        print(
            f"manyi account {args.account_action}: {problem}; nothing was changed", file=sys.stderr
        )
        return EXIT_PROBLEMS
    finally:
        stores.close()


def _add(
    args: argparse.Namespace,
    stores: StaffStores,
    actor: str,
    now: datetime,
    known: list[str],
    by_name: dict[str, str],
) -> int:
    from manyi.workspace.accounts import add_account

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    departments = [by_name.get(d, d) for d in args.department]
    account, initial = add_account(
        stores,
        actor=actor,
        now=now,
        username=args.username,
        role=args.role,
        departments=departments,
        known_departments=known,
        display_name=args.name,
        password=password,
    )
    scope = f": {', '.join(account.departments)}" if account.departments else ""
    print(f"added {account.username} ({account.role}{scope}) in {stores.where}")
    if initial is not None:
        print(f"initial password (shown once; changed at the first login): {initial}")
    return 0


def _list(stores: StaffStores) -> int:
    accounts = stores.accounts.all()
    for a in accounts:
        state = (
            "disabled"
            if a.disabled
            else ("must change password" if a.must_change_password else "active")
        )
        last = a.last_login_at or "never"
        scope = ",".join(a.departments) or "-"
        print(f"{a.username}\t{a.role}\t{scope}\t{state}\tlast login {last}\t{a.display_name}")
    print(f"{len(accounts)} account(s) in {stores.where}")
    return 0


def _change(args: argparse.Namespace, stores: StaffStores, actor: str, now: datetime) -> int:
    from manyi.workspace.accounts import reset_password, set_disabled

    username = args.username.strip().lower()
    if args.account_action == "reset":
        account, password = reset_password(stores, actor=actor, now=now, username=username)
        print(f"reset {account.username}; its sessions ended")
        print(f"new password (shown once; changed at the next login): {password}")
        return 0
    disabled = args.account_action == "disable"
    account = set_disabled(stores, actor=actor, now=now, username=username, disabled=disabled)
    print(
        f"{args.account_action}d {account.username}" + ("; its sessions ended" if disabled else "")
    )
    return 0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"
