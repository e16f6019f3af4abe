"""The staff stores' contract: the SQLite and the DynamoDB adapter (moto, tables from the
template) pass the same tests."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from manyi.store.staff.base import (
    ABSOLUTE_SECONDS,
    FAILURES_KEPT_SECONDS,
    IDLE_SECONDS,
    Account,
    AccountConflict,
    AccountExists,
    AuditEvent,
    AuditEventExists,
    AuditLog,
    LoginFailures,
    Session,
    StaffStores,
)
from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores
from manyi.store.staff.sqlite import local_staff_stores
from tests.aws import REGION
from tests.cfn import create_tables, over_both_adapters

T0 = 1_790_000_000.0  # 2026-09-21, epoch seconds


def account(username: str = "sifaju-clerk", **changes: object) -> Account:
    given = Account(
        username=username,
        role="department",
        departments=("sifaju",),
        password_hash="scrypt$32768$8$1$c2FsdA$aGFzaA",
        created_at="2026-11-01T00:00:00.000000Z",
    )
    return replace(given, **changes)  # type: ignore[arg-type]


def event(n: int, at: str = "2026-11-05T02:00:00.000000Z", **changes: object) -> AuditEvent:
    given = AuditEvent(
        at=at,
        event_id=f"ev{n:04d}",
        actor="office-admin",
        action="served.set",
        target="served/2026-11/sifaju",
        before={"count": None},
        after={"count": n, "note": "按月报表（含<b>标记</b>）"},
        departments=("sifaju",),
    )
    return replace(given, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "dynamodb"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StaffStores]:
    def tables(names: dict[str, str]) -> StaffTables:
        return StaffTables(names["AccountsTable"], names["SessionsTable"], names["AuditTable"])

    yield from over_both_adapters(
        request.param,
        lambda: local_staff_stores(tmp_path),
        lambda client, names: aws_staff_stores(tables(names), client),
    )


# -- accounts -----------------------------------------------------------------------------


def test_an_account_is_added_once_and_read_back(stores: StaffStores) -> None:
    given = account(display_name="张三 <司法局>")
    stores.accounts.add(given)
    assert stores.accounts.get("sifaju-clerk") == given
    with pytest.raises(AccountExists):
        stores.accounts.add(account(role="office", departments=()))
    assert stores.accounts.get("sifaju-clerk") == given
    assert stores.accounts.get("nobody") is None


def test_accounts_are_listed_by_username(stores: StaffStores) -> None:
    for name in ("zz-viewer", "aa-office", "mm-clerk"):
        stores.accounts.add(account(name))
    assert [a.username for a in stores.accounts.all()] == ["aa-office", "mm-clerk", "zz-viewer"]


def test_a_replace_names_the_version_it_read(stores: StaffStores) -> None:
    first = account()
    stores.accounts.add(first)
    changed = replace(first, disabled=True, session_generation=1, version=2)
    stores.accounts.replace(changed)
    assert stores.accounts.get(first.username) == changed
    # A second writer that read version 1 loses, and nothing of it is kept.
    with pytest.raises(AccountConflict):
        stores.accounts.replace(replace(first, must_change_password=False, version=2))
    assert stores.accounts.get(first.username) == changed
    with pytest.raises(AccountConflict):
        stores.accounts.replace(account("never-added", version=2))
    assert stores.accounts.get("never-added") is None


# -- sessions -----------------------------------------------------------------------------


def test_only_the_hash_finds_a_session_and_touch_moves_its_idle_deadline(
    stores: StaffStores,
) -> None:
    session = Session("a" * 64, "sifaju-clerk", 0, "csrf-token", T0, T0)
    stores.sessions.create(session)
    assert stores.sessions.get("a" * 64) == session
    assert stores.sessions.get("b" * 64) is None
    assert session.expires_at == T0 + IDLE_SECONDS
    stores.sessions.touch("a" * 64, T0 + 600)
    touched = stores.sessions.get("a" * 64)
    assert touched is not None
    assert touched.last_seen == T0 + 600
    assert touched.expires_at == T0 + 600 + IDLE_SECONDS
    stores.sessions.touch("c" * 64, T0)  # gone or never there: nothing happens
    assert stores.sessions.get("c" * 64) is None
    stores.sessions.delete("a" * 64)
    assert stores.sessions.get("a" * 64) is None


def test_a_session_ends_idle_or_at_its_absolute_lifetime() -> None:
    session = Session("a" * 64, "u", 0, "t", T0, T0)
    assert not session.expired(T0 + IDLE_SECONDS - 1)
    assert session.expired(T0 + IDLE_SECONDS)
    busy = replace(session, last_seen=T0 + ABSOLUTE_SECONDS - 60)
    assert busy.expires_at == T0 + ABSOLUTE_SECONDS
    assert busy.expired(T0 + ABSOLUTE_SECONDS)


def test_the_dynamodb_session_item_carries_the_ttl_and_no_session_id() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(client)
        tables = StaffTables(names["AccountsTable"], names["SessionsTable"], names["AuditTable"])
        stores = aws_staff_stores(tables, client)
        stores.sessions.create(Session("f" * 64, "u", 0, "t", T0, T0))
        ttl = client.describe_time_to_live(TableName=names["SessionsTable"])
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
        [item] = client.scan(TableName=names["SessionsTable"])["Items"]
        assert int(item["expires_at"]["N"]) >= T0 + IDLE_SECONDS
        assert item["pk"]["S"] == "S#" + "f" * 64


# -- failed logins ------------------------------------------------------------------------


def test_failures_count_up_reset_and_expire(stores: StaffStores) -> None:
    key = "k" * 64
    assert stores.sessions.failures(key, T0) == LoginFailures()
    for n in range(1, 4):
        assert stores.sessions.add_failure(key, T0 + n) == LoginFailures(n, T0 + n)
    assert stores.sessions.failures(key, T0 + 10) == LoginFailures(3, T0 + 3)
    # A day after the last failure the counter is gone, and a new one starts from 1.
    later = T0 + 3 + FAILURES_KEPT_SECONDS
    assert stores.sessions.failures(key, later) == LoginFailures()
    assert stores.sessions.add_failure(key, later) == LoginFailures(1, later)
    stores.sessions.clear_failures(key)
    assert stores.sessions.failures(key, later) == LoginFailures()


def test_concurrent_failures_all_count(stores: StaffStores) -> None:
    if "DynamoDB" in stores.where:
        pytest.skip("moto is not thread-safe; DynamoDB's ADD is atomic by definition")
    key = "c" * 64
    threads = [
        threading.Thread(target=stores.sessions.add_failure, args=(key, T0 + i / 100))
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stores.sessions.failures(key, T0 + 1).count == 20


# -- the audit log ------------------------------------------------------------------------


def test_events_read_back_by_beijing_month_and_by_target(stores: StaffStores) -> None:
    # 2026-11-30T16:30Z is already December in Beijing.
    late = event(3, at="2026-11-30T16:30:00.000000Z", target="month/2026-11", action="month.close")
    given = [event(2, at="2026-11-06T00:00:00.000000Z"), event(1), late]
    for e in given:
        stores.audit.append(e)
    assert stores.audit.month("2026-11") == [given[1], given[0]]
    assert stores.audit.month("2026-12") == [late]
    assert stores.audit.history("served/2026-11/sifaju") == [given[1], given[0]]
    assert stores.audit.history("month/2026-11") == [late]
    assert stores.audit.history("nothing") == []


def test_an_event_is_never_overwritten(stores: StaffStores) -> None:
    first = event(1)
    stores.audit.append(first)
    with pytest.raises(AuditEventExists):
        stores.audit.append(replace(first, after={"count": 999}))
    assert stores.audit.month("2026-11") == [first]


def test_the_audit_log_has_no_update_or_delete() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "month", "history", "close"}


def test_the_local_audit_table_refuses_updates_and_deletes(tmp_path: Path) -> None:
    stores = local_staff_stores(tmp_path)
    stores.audit.append(event(1))
    stores.close()
    db = sqlite3.connect(tmp_path / "staff.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit SET event = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit")
    assert db.execute("SELECT count(*) FROM audit").fetchone() == (1,)
