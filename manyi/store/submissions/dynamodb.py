"""The AWS store: one DynamoDB table, each response and its submission-ID item, two plain puts.

Exactly once without a transaction, which would cost twice the write units (4 WRU a
submission instead of 2, the largest item of the collector's bill):
1. the submission-ID item (`SUB#<id>`) is put only if absent, and holds the whole record;
2. then the response item, whose key that record decides.
A replay finds the first record in step 1 (DynamoDB returns it with the refusal) and puts the
response item again only if absent, so a retry after a failure between the two steps completes
the submission instead of storing it twice. If that retry comes so late that the request which
began it must be over (`RESTAMP_AFTER`, well above the function's timeout), the record is first
re-stamped with the retry's time: an aggregator's watermark may already have passed the old one.

The low-level client and hand-written attribute values keep the import light (no resource
layer). A throttled or failing call becomes `StoreUnavailable`, a retry always safe; a missing
table or denied access becomes `StoreMisconfigured` (see `manyi.store.aws_errors`). Where
the deployment keeps raw responses for a limited time, both items carry `expires_at`, the
table's TTL attribute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manyi.model import AnswerValue
from manyi.store.aws_errors import store_error
from manyi.store.errors import StoreUnavailable
from manyi.store.submissions.base import (
    IDEMPOTENCY_SORT_KEY,
    SortedSubmission,
    SubmissionStore,
    idempotency_key,
    partition_key,
    response_sort_key,
    sort_key,
)
from manyi.submission import StoredSubmission

Item = dict[str, Any]
# Seconds after which the request that wrote a submission-ID item cannot still be writing its
# response (the collector's timeout is 10 s): a retry may then re-stamp the record.
RESTAMP_AFTER = 60
DAY_SECONDS = 86_400


class DynamoDBSubmissionStore(SubmissionStore):
    def __init__(
        self,
        table_name: str | None = None,
        client: Any | None = None,
        retention_days: int | None = None,
    ) -> None:
        self.table_name = table_name or os.environ["SUBMISSIONS_TABLE"]
        self._client = client if client is not None else default_client()
        self.resource = f"DynamoDB table {self.table_name!r}"
        if retention_days is None:
            retention_days = int(os.environ.get("MANYI_RESPONSE_RETENTION_DAYS") or 0)
        self.retention_days = retention_days  # 0: kept for good

    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        first = self._claim(submission)
        if first is None:
            self._put_response(submission)
            return submission, True
        late = _seconds_between(first.received_at, submission.received_at) > RESTAMP_AFTER
        if late and self._get_item(*_response_key(first)) is None:
            first = self._restamp(first, submission)
        self._put_response(first)
        return first, False

    def get(self, submission_id: str) -> StoredSubmission | None:
        marker = self._get_item(idempotency_key(submission_id), IDEMPOTENCY_SORT_KEY)
        if marker is None:
            return None
        # Only a record whose response item exists is stored (step 2 may not have happened).
        item = self._get_item(
            partition_key(marker["department"]["S"], marker["month"]["S"]),
            response_sort_key(marker["received_at"]["S"], submission_id),
        )
        return None if item is None else _submission(item)

    def _claim(self, submission: StoredSubmission) -> StoredSubmission | None:
        """Put the submission-ID item if absent; None if put, else the record already there."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=self._idempotency_item(submission),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise store_error(error, self.resource) from error
            item = error.response.get("Item") or self._get_item(
                idempotency_key(submission.submission_id), IDEMPOTENCY_SORT_KEY
            )
            if item is None:  # deleted in between (its TTL): nothing to answer from
                raise StoreUnavailable("submission ID item vanished; retry") from error
            if "answers" not in item:
                # Written by the transaction of earlier versions: the response item is there.
                found = self.get(submission.submission_id)
                if found is None:
                    raise StoreUnavailable("response item missing; retry") from error
                return found
            return _submission(item)
        except BotoCoreError as error:
            raise store_error(error, self.resource) from error
        return None

    def _put_response(self, record: StoredSubmission) -> None:
        """Put the response item unless it is there: the same key always holds the same record."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=self._response_item(record),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise store_error(error, self.resource) from error
        except BotoCoreError as error:
            raise store_error(error, self.resource) from error

    def _restamp(self, first: StoredSubmission, retry: StoredSubmission) -> StoredSubmission:
        """Give a half-written record the retry's time (and month), unless another retry did."""
        restamped = first._replace(received_at=retry.received_at, month=retry.month)
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=self._idempotency_item(restamped),
                ConditionExpression="received_at = :first",
                ExpressionAttributeValues={":first": {"S": first.received_at}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise store_error(error, self.resource) from error
            item = error.response.get("Item")
            if item is None:
                raise StoreUnavailable("submission ID item vanished; retry") from error
            return _submission(item)  # another retry re-stamped it first: use its time
        except BotoCoreError as error:
            raise store_error(error, self.resource) from error
        return restamped

    def _idempotency_item(self, s: StoredSubmission) -> Item:
        item = {"pk": {"S": idempotency_key(s.submission_id)}, "sk": {"S": IDEMPOTENCY_SORT_KEY}}
        return item | self._record(s)

    def _response_item(self, s: StoredSubmission) -> Item:
        pk, sk = _response_key(s)
        return {"pk": {"S": pk}, "sk": {"S": sk}} | self._record(s)

    def _record(self, s: StoredSubmission) -> Item:
        record: Item = {
            "submission_id": {"S": s.submission_id},
            "department": {"S": s.department},
            "month": {"S": s.month},
            "received_at": {"S": s.received_at},
            "version": {"S": s.version},
            "channel": {"S": s.channel},
            "answers": {"M": {k: _answer_value(v) for k, v in s.answers.items()}},
        }
        if s.network:
            record["network"] = {"S": s.network}
        if s.seconds is not None:
            record["seconds"] = {"N": str(s.seconds)}
        if self.retention_days:
            expires = _epoch(s.received_at) + self.retention_days * DAY_SECONDS
            record["expires_at"] = {"N": str(expires)}
        return record

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition_key(department, month)}},
            # A reader moving a watermark must not skip a write that is not yet visible.
            "ConsistentRead": True,
        }
        if after_sk is not None:
            query["KeyConditionExpression"] = "pk = :pk AND sk > :after"
            query["ExpressionAttributeValues"][":after"] = {"S": after_sk}
        while True:
            try:
                page = self._client.query(**query)
            except (ClientError, BotoCoreError) as error:
                raise store_error(error, self.resource) from error
            for item in page.get("Items", []):
                yield SortedSubmission(item["sk"]["S"], _submission(item))
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _get_item(self, pk: str, sk: str) -> Item | None:
        try:
            found = self._client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise store_error(error, self.resource) from error
        item: Item | None = found.get("Item")
        return item


def default_client() -> Any:
    """A DynamoDB client that gives up fast: API Gateway waits 30 s at most, a person less."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.client("dynamodb", config=config)


def item_bytes(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values (a write unit covers
    1 KB, a read unit 4 KB)."""

    def value(v: Mapping[str, Any]) -> int:
        ((kind, data),) = v.items()
        if kind in ("S", "N"):
            return len(str(data).encode("utf-8"))
        if kind == "L":
            return 3 + sum(1 + value(x) for x in data)
        return 3 + sum(len(str(k).encode("utf-8")) + 1 + value(x) for k, x in data.items())

    return sum(len(name.encode("utf-8")) + value(v) for name, v in item.items())


def _response_key(s: StoredSubmission) -> tuple[str, str]:
    return partition_key(s.department, s.month), sort_key(s)


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())


def _seconds_between(earlier: str, later: str) -> float:
    return _epoch(later) - _epoch(earlier)


def _answer_value(value: AnswerValue) -> Item:
    if isinstance(value, str):
        return {"S": value}
    return {"L": [{"S": option} for option in value]}


def _submission(item: Mapping[str, Any]) -> StoredSubmission:
    answers: dict[str, AnswerValue] = {}
    for question, value in item["answers"]["M"].items():
        answers[question] = value["S"] if "S" in value else tuple(v["S"] for v in value["L"])
    return StoredSubmission(
        submission_id=item["submission_id"]["S"],
        department=item["department"]["S"],
        month=item["month"]["S"],
        received_at=item["received_at"]["S"],
        version=item["version"]["S"],
        channel=item["channel"]["S"],
        answers=answers,
        network=item.get("network", {}).get("S", ""),
        seconds=int(item["seconds"]["N"]) if "seconds" in item else None,
    )
