"""`manyi account`: add (one-time password, or from stdin), list, disable, enable, reset; every
change audited with the command line's actor; locally and with --aws (moto)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from manyi.cli import main
from manyi.store.staff.sqlite import local_staff_stores
from manyi.workspace.passwords import verify_password
from tests.aws import REGION
from tests.cfn import create_tables


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["account", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_prints_a_one_time_password_that_works_and_must_be_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "add", "Sifaju-Clerk", "--role", "department", "--department", "sifaju",
        "--department", "平顶山市信访局", "--name", "张三", "--data", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    password = re.search(r"initial password .*: (\S+)$", out, re.MULTILINE)
    assert password is not None
    stores = local_staff_stores(tmp_path)
    account = stores.accounts.get("sifaju-clerk")
    assert account is not None
    assert account.departments == ("sifaju", "xinfangju")
    assert account.must_change_password
    assert verify_password(password.group(1), account.password_hash)
    assert password.group(1) not in account.password_hash
    [event] = stores.audit.history("account/sifaju-clerk")
    assert event.action == "account.add"
    assert event.actor.startswith("cli:")
    assert "password_hash" not in repr(event)
    stores.close()


def test_password_stdin_is_checked_like_any_new_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1234567890\n"))
    code, _, err = run(
        capsys, "add", "viewer-1", "--role", "viewer", "--password-stdin", "--data", str(tmp_path)
    )
    assert code == 2
    assert "nothing was changed" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long own passphrase\n"))
    code, out, _ = run(
        capsys, "add", "viewer-1", "--role", "viewer", "--password-stdin", "--data", str(tmp_path)
    )
    assert code == 0
    assert "initial password" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "x", "--role", "office"], "username 'x'"),
        (["add", "clerk-9", "--role", "department"], "needs at least one --department"),
        (
            ["add", "clerk-9", "--role", "department", "--department", "nowhere"],
            "unknown department",
        ),
        (["add", "office-9", "--role", "office", "--department", "sifaju"], "give no --department"),
        (["disable", "nobody"], "no account 'nobody'"),
        (["reset", "nobody"], "no account 'nobody'"),
    ],
)
def test_bad_commands_say_why_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv, "--data", str(tmp_path))
    assert code == 2
    assert message in err
    stores = local_staff_stores(tmp_path)
    assert stores.accounts.all() == []
    assert stores.audit.month("2026-11") == []
    stores.close()


def test_list_disable_enable_and_reset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(tmp_path)]
    run(capsys, "add", "office-1", "--role", "office", *data)
    run(capsys, "add", "viewer-1", "--role", "viewer", *data)
    assert run(capsys, "disable", "viewer-1", *data)[0] == 0
    _, listing, _ = run(capsys, "list", *data)
    assert re.search(r"^viewer-1\tviewer\t-\tdisabled", listing, re.MULTILINE)
    assert "2 account(s)" in listing
    run(capsys, "enable", "viewer-1", *data)
    code, out, _ = run(capsys, "reset", "viewer-1", *data)
    assert code == 0
    new = re.search(r"new password .*: (\S+)$", out, re.MULTILINE)
    assert new is not None
    stores = local_staff_stores(tmp_path)
    account = stores.accounts.get("viewer-1")
    assert account is not None
    assert not account.disabled
    assert account.session_generation == 2  # the disable and the reset each ended its sessions
    assert verify_password(new.group(1), account.password_hash)
    actions = [e.action for e in stores.audit.history("account/viewer-1")]
    assert actions == ["account.add", "account.disable", "account.enable", "account.reset"]
    stores.close()


def test_aws_needs_the_table_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("ACCOUNTS_TABLE", "SESSIONS_TABLE", "AUDIT_TABLE"):
        monkeypatch.delenv(variable, raising=False)
    code = main(["account", "list", "--aws", "--accounts-table", "a"])
    assert code == 2
    assert "--sessions-table" in capsys.readouterr().err


def test_the_same_commands_work_on_dynamodb(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name=REGION))
        tables = [
            *("--accounts-table", names["AccountsTable"]),
            *("--sessions-table", names["SessionsTable"]),
            *("--audit-table", names["AuditTable"]),
            *("--region", REGION),
        ]
        code, out, _ = run(capsys, "add", "office-1", "--role", "office", "--aws", *tables)
        assert code == 0
        assert "DynamoDB" in out
        code, out, _ = run(capsys, "list", "--aws", *tables)
        assert "office-1\toffice" in out
