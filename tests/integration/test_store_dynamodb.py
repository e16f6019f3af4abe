"""What only the DynamoDB adapter does: the fixed item layout, one transaction, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.store.errors import StoreMisconfigured, StoreUnavailable
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore, item_bytes
from tests.aws import REGION, create_submissions_table
from tests.integration.test_store_contract import submission
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
    # The submission-ID item holds the whole record, so a retry can complete the response.
    marker = next(i for i in items(client) if i["pk"]["S"].startswith("SUB#"))
    assert {k: v for k, v in marker.items() if k not in ("pk", "sk")} == {
        k: v for k, v in response.items() if k not in ("pk", "sk")
    }
    assert "expires_at" not in marker  # kept for good unless the deployment says otherwise


class CountingClient:
    """Records every call the store makes, and the size of each item it writes."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []
        self.sizes: list[int] = []

    def put_item(self, **kwargs: Any) -> Any:
        self.calls.append("PutItem")
        self.sizes.append(item_bytes(kwargs["Item"]))
        return self._client.put_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self._client, name)


def test_a_new_submission_costs_two_write_units(client: Any) -> None:
    counting = CountingClient(client)
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=counting)
    # The largest response the questionnaire allows: section 二 answered, Q1 and Q3 in full.
    answers: dict[str, Any] = {f"q{i}": "basically_satisfied" for i in range(1, 30)}
    answers |= {"q1": ("seizure", "fees", "fines", "inspection", "permits")}
    store.put(submission(**answers))
    # Two plain puts, no transaction (which would bill each item twice), each under 1 KB.
    assert counting.calls == ["PutItem", "PutItem"]
    assert all(size < 1024 for size in counting.sizes), counting.sizes


def test_a_failure_between_the_two_puts_is_completed_by_the_retry(client: Any) -> None:
    # The submission-ID item is written, then the response item's put is throttled.
    throttled = ThrottledClient(client, failures=1, response=THROTTLED_TABLE, skip=1)
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=throttled)
    with pytest.raises(StoreUnavailable):
        store.put(submission())
    assert store.get("sub-0001") is None  # not stored until its response item is
    assert list(store.department_month("sifaju", "2026-11")) == []
    # The page retries seconds later: the first record is completed, not a second one stored.
    retry = submission(received_at="2026-11-27T07:33:05.000000Z", q2="yes")
    stored, new = store.put(retry)
    assert (stored, new) == (submission(), False)
    assert [s.submission for s in store.department_month("sifaju", "2026-11")] == [submission()]
    assert store.put(retry) == (submission(), False)
    assert len(items(client)) == 2


def test_a_late_retry_restamps_what_was_never_completed(client: Any) -> None:
    throttled = ThrottledClient(client, failures=1, response=THROTTLED_TABLE, skip=1)
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=throttled)
    first = submission(received_at="2026-11-30T15:59:59.000000Z", month="2026-11")
    with pytest.raises(StoreUnavailable):
        store.put(first)
    # The phone was offline until the next morning: an aggregator's watermark has long passed
    # the first attempt's time, so the record takes the time (and month) it is completed at.
    later = submission(received_at="2026-12-01T02:00:00.000000Z", month="2026-12")
    stored, new = store.put(later)
    assert not new
    assert (stored.received_at, stored.month) == (later.received_at, "2026-12")
    assert stored.answers == first.answers
    assert list(store.department_month("sifaju", "2026-11")) == []
    assert [s.submission for s in store.department_month("sifaju", "2026-12")] == [stored]
    assert store.get("sub-0001") == stored
    # Replays from now on answer with the completed record.
    again = submission(received_at="2026-12-02T00:00:00.000000Z", month="2026-12")
    assert store.put(again) == (stored, False)
    assert len(items(client)) == 2


def test_a_stored_record_is_never_restamped(client: Any) -> None:
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=client)
    store.put(submission())
    late = submission(received_at="2026-12-05T00:00:00.000000Z", month="2026-12")
    assert store.put(late) == (submission(), False)
    assert len(items(client)) == 2


def test_retention_writes_the_ttl_attribute_on_both_items(client: Any) -> None:
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=client, retention_days=1095)
    store.put(submission(received_at="2026-11-27T00:00:00.000000Z"))
    received = 1795737600  # 2026-11-27T00:00:00Z
    assert [int(i["expires_at"]["N"]) for i in items(client)] == [received + 1095 * 86400] * 2


def test_retention_comes_from_the_environment(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_RESPONSE_RETENTION_DAYS", "30")
    assert DynamoDBSubmissionStore("t", client=client).retention_days == 30
    monkeypatch.setenv("MANYI_RESPONSE_RETENTION_DAYS", "0")
    assert DynamoDBSubmissionStore("t", client=client).retention_days == 0


def test_a_replay_of_a_submission_stored_by_the_earlier_transaction(client: Any) -> None:
    # Items as the earlier layout wrote them: the submission-ID item held only the key fields.
    client.put_item(
        TableName="manyi-submissions-test",
        Item={
            "pk": {"S": "SUB#sub-0001"},
            "sk": {"S": "SUB"},
            "department": {"S": "sifaju"},
            "month": {"S": "2026-11"},
            "received_at": {"S": "2026-11-27T07:33:01.123456Z"},
        },
    )
    store = DynamoDBSubmissionStore("manyi-submissions-test", client=client)
    store._put_response(submission())
    retry = submission(received_at="2026-11-27T09:00:00.000000Z", q2="yes")
    assert store.put(retry) == (submission(), False)
    assert len(items(client)) == 2


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
