"""The entry store in one DynamoDB table (infra/template.yaml: EntryTable), for the workspace
function. Every write is conditional: a new item may not exist yet, a changed one names the
version (batch, policy) or revision (entry) it read. Nothing is ever deleted."""

from __future__ import annotations

import json
from typing import Any

from manyi.store.dynamodb_table import Item, TableStore, follows, is_new, primary_key
from manyi.store.entry.base import BatchConflict, EntryStore


class DynamoDBEntryStore(TableStore, EntryStore, table_variable="ENTRY_TABLE"):
    def _insert(self, pk: str, sk: str, version: int, item: str) -> bool:
        return self.table.put(_item(pk, sk, version, item), is_new())

    def _update(self, pk: str, sk: str, version: int, item: str) -> None:
        if not self.table.put(_item(pk, sk, version, item), follows(version)):
            raise BatchConflict(f"{pk} {sk}")

    def _one(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.table.get(pk, sk)
        return None if found is None else _document(found)

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        return [_document(found) for found in self.table.partition(pk)]

    def _last(self, pk: str, limit: int) -> list[dict[str, Any]]:
        page = self.table.call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [_document(found) for found in page.get("Items", [])]


def _item(pk: str, sk: str, version: int, item: str) -> Item:
    return {**primary_key(pk, sk), "version": {"N": str(version)}, "item": {"S": item}}


def _document(found: Item) -> dict[str, Any]:
    return dict(json.loads(found["item"]["S"]))
