"""The pressure question's counts in a DynamoDB table of their own (`PRESSURE_TABLE`).

One atomic `ADD` per answer (the collector may only UpdateItem); the aggregator and the
workspace read a month with one Query.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manyi.store.aws_errors import store_error
from manyi.store.pressure.base import (
    MonthCounts,
    PressureAnswer,
    PressureStore,
    answer_key,
    month_key,
)


class DynamoDBPressureStore(PressureStore):
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table_name = table_name or os.environ["PRESSURE_TABLE"]
        if client is None:
            from manyi.store.submissions.dynamodb import default_client

            client = default_client()
        self._client = client
        self.resource = f"DynamoDB table {self.table_name!r}"

    def add(self, month: str, department: str, answer: PressureAnswer) -> None:
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": month_key(month)}, "sk": {"S": answer_key(department, answer)}},
                UpdateExpression="ADD #count :one",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        except (ClientError, BotoCoreError) as error:
            raise store_error(error, self.resource) from error

    def month_counts(self, month: str) -> MonthCounts:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": month_key(month)}},
        }
        counts: MonthCounts = {}
        while True:
            try:
                page = self._client.query(**query)
            except (ClientError, BotoCoreError) as error:
                raise store_error(error, self.resource) from error
            for item in page.get("Items", []):
                department, _, answer = item["sk"]["S"].rpartition("#")
                counts.setdefault(department, {})[answer] = int(item["count"]["N"])
            if "LastEvaluatedKey" not in page:
                return counts
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
