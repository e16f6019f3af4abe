"""What only the DynamoDB adapter does: the fixed item layout, one transaction, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.store.base import StoreMisconfigured, StoreUnavailable
from manyi.store.dynamodb import DynamoDBSubmissionStore
from tests.aws import REGION, create_submissions_table
from tests.test_store_contract import submission
from tests.throttling import THROTTLED_TABLE, THROTTLED_TRANSACTION, ThrottledClient


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_submissions_table(client)
        yield client


def items(client: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.scan(TableName="manyi-submissions-test")["Items"]
    return found


def test_one_put_writes_the_response_and_its_submission_id_item(client: Any) -> None:
    DynamoDBSubmissionStore("manyi-submissions-test", client=client).put(submission())
    keys = sorted((i["pk"]["S"], i["sk"]["S"]) for i in items(client))
    assert keys == [
        ("DM#sifaju#2026-11", "R#2026-11-27T07:33:01.123456Z#sub-0001"),
        ("SUB#sub-0001", "SUB"),
    ]
    response = next(i for i in items(client) if i["pk"]["S"].startswith("DM#"))
    assert response["answers"]["M"]["q1"] == {"L": [{"S": "seizure"}, {"S": "fees"}]}
    assert response["answers"]["M"]["q2"] == {"S": "no"}


@pytest.mark.parametrize("response", [THROTTLED_TRANSACTION, THROTTLED_TABLE])
def test_throttling_is_store_unavailable_with_nothing_written(
    client: Any, response: dict[str, Any]
) -> None:
    throttled = ThrottledClient(client, failures=1, response=response)
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=throttled)
    with pytest.raises(StoreUnavailable) as raised:
        store.put(submission())
    assert raised.value.retry_after > 0
    assert items(client) == []
    stored, new = store.put(submission())
    assert new
    assert store.get(stored.submission_id) == submission()


def test_a_missing_table_is_a_misconfiguration_not_busy(client: Any) -> None:
    store = DynamoDBSubmissionStore("no-such-table", client=client)
    with pytest.raises(StoreMisconfigured, match="'no-such-table' does not exist"):
        store.put(submission())
    with pytest.raises(StoreMisconfigured):
        store.get("sub-0001")
    with pytest.raises(StoreMisconfigured):
        list(store.department_month("sifaju", "2026-11"))


def test_the_table_name_comes_from_the_environment(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUBMISSIONS_TABLE", "manyi-submissions-test")
    assert DynamoDBSubmissionStore(client=client).table_name == "manyi-submissions-test"
