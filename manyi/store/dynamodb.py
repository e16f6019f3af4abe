"""The AWS store: one DynamoDB table, each response and its submission-ID item in one transaction.

The low-level client and hand-written attribute values keep the import light (no resource
layer). A throttled or failing call becomes `StoreUnavailable`; since the two items are written
in one `TransactWriteItems`, either both exist or neither does, and a retry is safe. A missing
table or denied access becomes `StoreMisconfigured` (see `manyi.store.aws_errors`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manyi.model import AnswerValue
from manyi.store.aws_errors import store_error
from manyi.store.base import (
    IDEMPOTENCY_SORT_KEY,
    SortedSubmission,
    StoreUnavailable,
    SubmissionStore,
    idempotency_key,
    partition_key,
    sort_key,
)
from manyi.submission import StoredSubmission

Item = dict[str, Any]


class DynamoDBSubmissionStore(SubmissionStore):
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table_name = table_name or os.environ["SUBMISSIONS_TABLE"]
        self._client = client if client is not None else default_client()
        self.resource = f"DynamoDB table {self.table_name!r}"

    def put(self, submission: StoredSubmission) -> tuple[StoredSubmission, bool]:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": _idempotency_item(submission),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": _response_item(submission),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if not _already_stored(error):
                raise store_error(error, self.resource) from error
            first = self.get(submission.submission_id)
            if first is None:
                # A concurrent transaction with this ID was cancelled too: let the client retry.
                raise StoreUnavailable("submission ID is being written concurrently") from error
            return first, False
        except BotoCoreError as error:
            raise store_error(error, self.resource) from error
        return submission, True

    def get(self, submission_id: str) -> StoredSubmission | None:
        marker = self._get_item(idempotency_key(submission_id), IDEMPOTENCY_SORT_KEY)
        if marker is None:
            return None
        item = self._get_item(
            partition_key(marker["department"]["S"], marker["month"]["S"]),
            f"R#{marker['received_at']['S']}#{submission_id}",
        )
        return None if item is None else _submission(item)

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


def _already_stored(error: ClientError) -> bool:
    """True when the transaction was cancelled because the submission ID exists."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    codes = [reason.get("Code") for reason in reasons]
    if any(code not in (None, "None", "ConditionalCheckFailed") for code in codes):
        return False
    return "ConditionalCheckFailed" in codes


def _idempotency_item(s: StoredSubmission) -> Item:
    return {
        "pk": {"S": idempotency_key(s.submission_id)},
        "sk": {"S": IDEMPOTENCY_SORT_KEY},
        "department": {"S": s.department},
        "month": {"S": s.month},
        "received_at": {"S": s.received_at},
    }


def _response_item(s: StoredSubmission) -> Item:
    return {
        "pk": {"S": partition_key(s.department, s.month)},
        "sk": {"S": sort_key(s)},
        "submission_id": {"S": s.submission_id},
        "department": {"S": s.department},
        "month": {"S": s.month},
        "received_at": {"S": s.received_at},
        "version": {"S": s.version},
        "channel": {"S": s.channel},
        "answers": {"M": {k: _answer_value(v) for k, v in s.answers.items()}},
    }


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
    )
