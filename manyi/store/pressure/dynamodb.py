"""The pressure question's counts in a DynamoDB table of their own (`PRESSURE_TABLE`).

One atomic `ADD` per answer (the collector may only UpdateItem); the aggregator and the
workspace read a month with one Query.
"""

from __future__ import annotations

from manyi.store.dynamodb_table import TableStore, primary_key
from manyi.store.pressure.base import (
    MonthCounts,
    PressureAnswer,
    PressureStore,
    answer_key,
    month_key,
)


class DynamoDBPressureStore(TableStore, PressureStore, table_variable="PRESSURE_TABLE"):
    def add(self, month: str, department: str, answer: PressureAnswer) -> None:
        self.table.call(
            "update_item",
            Key=primary_key(month_key(month), answer_key(department, answer)),
            UpdateExpression="ADD #count :one",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    def month_counts(self, month: str) -> MonthCounts:
        counts: MonthCounts = {}
        items = self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": month_key(month)}},
        )
        for item in items:
            department, _, answer = item["sk"]["S"].rpartition("#")
            counts.setdefault(department, {})[answer] = int(item["count"]["N"])
        return counts
