"""The results store contract: SQLite and DynamoDB (moto, the template's table) pass one suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.aggregate import Counts, MonthlyResult
from manyi.store.results.base import (
    CloseAction,
    CloseEvent,
    DepartmentMonthState,
    MonthClose,
    ResultsStore,
    ServedTooLarge,
    StateConflict,
)
from manyi.store.results.dynamodb import DynamoDBResultsStore
from manyi.store.results.sqlite import SqliteResultsStore
from tests.aws import REGION
from tests.cfn import create_tables
from tests.results_aws import FakeAws

MONTH = "2026-11"


@pytest.fixture(params=["dynamodb", "sqlite"])
def store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ResultsStore]:
    if request.param == "sqlite":
        yield SqliteResultsStore(":memory:")
        return
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        tables = create_tables(client, {"ResultsTable": "results"})
        yield DynamoDBResultsStore(tables["ResultsTable"], client)


def _state(version: int, watermark: str, responses: int) -> DepartmentMonthState:
    counts = Counts(responses, {"leaflet": responses}, {"v1": responses}, {}, {})
    return DepartmentMonthState(MonthlyResult("sifaju", MONTH, counts), version, watermark)


def test_a_write_must_name_the_version_it_read(store: ResultsStore) -> None:
    assert store.state("sifaju", MONTH) == DepartmentMonthState.empty("sifaju", MONTH)
    store.put_state(_state(1, "R#a", 1), 0)
    with pytest.raises(StateConflict):
        store.put_state(_state(1, "R#b", 2), 0)  # another run wrote first
    store.put_state(_state(2, "R#b", 2), 1)
    with pytest.raises(StateConflict):
        store.put_state(_state(2, "R#c", 3), 1)  # a stale read: version 2 is there already
    assert store.state("sifaju", MONTH) == _state(2, "R#b", 2)
    assert store.month_states(MONTH) == [_state(2, "R#b", 2)]
    assert store.month_states("2026-10") == []


def _event(action: CloseAction, at: str, reason: str = "") -> CloseEvent:
    return CloseEvent(MONTH, action, at, "王科长", reason, early=bool(reason))


def test_a_month_is_closed_once(store: ResultsStore) -> None:
    assert store.month_close(MONTH) is None
    first = store.add_month_close(
        MonthClose(MONTH, "R#1", "2026-11-26T16:02:00Z", {"sifaju": 9}),
        _event("close", "2026-11-26T16:02:00Z"),
    )
    second = store.add_month_close(
        MonthClose(MONTH, "R#2", "2026-11-27T16:02:00Z", {}),
        _event("close", "2026-11-27T16:02:00Z"),
    )
    assert first == second
    assert first.horizon == "R#1"
    assert first.served == {"sifaju": 9}
    assert not first.published
    store.mark_published(MONTH)
    recorded = store.month_close(MONTH)
    assert recorded is not None
    assert recorded.published
    # Only the close that took effect is on record.
    assert store.close_events(MONTH) == [_event("close", "2026-11-26T16:02:00Z")]


def test_a_reopen_removes_the_close_and_both_stay_on_record(store: ResultsStore) -> None:
    assert store.reopen_month(_event("reopen", "2026-11-20T01:00:00Z", "无")) is None
    assert store.close_events(MONTH) == []
    close = MonthClose(MONTH, "R#1", "2026-11-26T16:02:00Z", {"sifaju": 9})
    store.add_month_close(close, _event("close", "2026-11-26T16:02:00Z"))
    reopen = _event("reopen", "2026-11-28T02:00:00Z", "司法局补录座谈会问卷")
    assert store.reopen_month(reopen) == close
    assert store.month_close(MONTH) is None
    again = MonthClose(MONTH, "R#3", "2026-11-29T08:00:00Z", {})
    assert store.add_month_close(again, _event("close", "2026-11-29T08:00:00Z")) == again
    assert store.close_events(MONTH) == [
        _event("close", "2026-11-26T16:02:00Z"),
        reopen,
        _event("close", "2026-11-29T08:00:00Z"),
    ]
    assert store.close_events("2026-10") == []


def test_served_counts_many_at_once(store: ResultsStore) -> None:
    counts = {(MONTH, f"d{i:03d}"): i + 1 for i in range(150)}  # more than one transaction
    counts[("2026-10", "sifaju")] = 5
    store.set_served(counts)
    store.set_served({(MONTH, "d000"): 42})
    served = store.served(MONTH)
    assert len(served) == 150
    assert served["d000"] == 42
    assert served["d149"] == 150
    assert store.served("2026-10") == {"sifaju": 5}


def test_served_counts_remember_when_each_last_changed(store: ResultsStore) -> None:
    store.set_served({(MONTH, "a"): 10, (MONTH, "b"): 20}, at="2026-11-03T01:00:00Z")
    store.set_served({(MONTH, "a"): 10, (MONTH, "b"): 25}, at="2026-11-22T01:00:00Z")
    assert store.served(MONTH) == {"a": 10, "b": 25}
    assert store.served_changes(MONTH) == {
        "a": "2026-11-03T01:00:00Z",  # set again to the same count: not a change
        "b": "2026-11-22T01:00:00Z",
    }


def test_the_departments_ever_counted_are_remembered(store: ResultsStore) -> None:
    assert store.known_departments() == set()
    store.add_known_departments(["sifaju", "yexian"])
    store.add_known_departments(["yexian", "gonganju"])
    store.add_known_departments([])
    assert store.known_departments() == {"sifaju", "yexian", "gonganju"}


class _Client:
    """The moto client, with a transaction that fails or is raced by another write."""

    def __init__(self, client: Any, on_transaction: Any) -> None:
        self._client = client
        self._on_transaction = on_transaction
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **request: Any) -> Any:
        self.transactions += 1
        self._on_transaction(self.transactions, request)
        return self._client.transact_write_items(**request)


@pytest.fixture
def dynamodb(fake_aws: FakeAws) -> Any:
    return fake_aws.dynamodb


def test_an_import_of_any_size_is_one_transaction_all_or_nothing(dynamodb: Any) -> None:
    counts = {(m, f"d{i:03d}"): i for m in ("2026-10", MONTH) for i in range(150)}

    def fail_at_the_last_department(n: int, request: Any) -> None:
        if "d149" in str(request):  # the connection drops as the last rows go out
            raise ConnectionError("connection reset")

    failing = _Client(dynamodb, fail_at_the_last_department)
    with pytest.raises(ConnectionError):
        DynamoDBResultsStore("results", failing).set_served(counts)
    store = DynamoDBResultsStore("results", dynamodb)
    assert store.served(MONTH) == store.served("2026-10") == {}
    counting = _Client(dynamodb, lambda n, request: None)
    DynamoDBResultsStore("results", counting).set_served(counts)
    assert counting.transactions == 1
    assert len(store.served(MONTH)) == len(store.served("2026-10")) == 150


def test_a_concurrent_set_is_merged_not_lost(dynamodb: Any) -> None:
    store = DynamoDBResultsStore("results", dynamodb)
    store.set_served({(MONTH, "sifaju"): 1})

    def race(n: int, request: Any) -> None:
        if n == 1:  # someone else sets another department between our read and our write
            store.set_served({(MONTH, "yexian"): 7})

    DynamoDBResultsStore("results", _Client(dynamodb, race)).set_served({(MONTH, "gonganju"): 3})
    assert store.served(MONTH) == {"sifaju": 1, "yexian": 7, "gonganju": 3}


def test_more_months_than_one_transaction_are_refused_whole(dynamodb: Any) -> None:
    store = DynamoDBResultsStore("results", dynamodb)
    months = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(101)]
    with pytest.raises(ServedTooLarge, match="最多导入 100 个月"):
        store.set_served({(m, "sifaju"): 1 for m in months})
    assert all(store.served(m) == {} for m in months[:3])


def test_counts_set_one_item_per_department_are_still_read(dynamodb: Any) -> None:
    """The first releases kept `SERVED#<department>` items: they count until set again."""
    for department, count in (("sifaju", 4), ("yexian", 9)):
        dynamodb.put_item(
            TableName="results",
            Item={"pk": {"S": f"M#{MONTH}"}, "sk": {"S": f"SERVED#{department}"},
                  "count": {"N": str(count)}},
        )  # fmt: skip
    store = DynamoDBResultsStore("results", dynamodb)
    assert store.served(MONTH) == {"sifaju": 4, "yexian": 9}
    store.set_served({(MONTH, "yexian"): 10})
    assert store.served(MONTH) == {"sifaju": 4, "yexian": 10}
