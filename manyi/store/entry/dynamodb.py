"""The entry store in one DynamoDB table (infra/template.yaml: EntryTable), for the workspace
function. Every write is conditional: a new item may not exist yet, a changed one names the
version (batch, policy) or revision (entry) it read. Nothing is ever deleted."""

from __future__ import annotations

import json
import os
from typing import Any

from manyi.store.dynamodb_table import Item, Table, follows, is_new, primary_key
from manyi.store.entry.base import (
    Batch,
    BatchConflict,
    Entry,
    EntryPolicy,
    EntryStore,
    batches_pk,
    dumps,
    entries_pk,
    in_order,
)

POLICY = ("POLICY", "ENTRY")


class DynamoDBEntryStore(EntryStore):
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table = Table(table_name or os.environ["ENTRY_TABLE"], client)

    def _insert(self, pk: str, sk: str, version: int, item: str) -> bool:
        return self.table.put(_item(pk, sk, version, item), is_new())

    def _update(self, pk: str, sk: str, version: int, item: str) -> None:
        if not self.table.put(_item(pk, sk, version, item), follows(version)):
            raise BatchConflict(f"{pk} {sk}")

    def _one(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.table.get(pk, sk)
        return None if found is None else dict(json.loads(found["item"]["S"]))

    def add_batch(self, batch: Batch) -> None:
        if batch.version != 1 or not self._insert(
            batches_pk(batch.department), batch.batch_id, 1, dumps(batch.to_dict())
        ):
            raise BatchConflict(batch.batch_id)

    def batch(self, department: str, batch_id: str) -> Batch | None:
        found = self._one(batches_pk(department), batch_id)
        return None if found is None else Batch.from_dict(found)

    def batches(self, department: str, limit: int = 50) -> list[Batch]:
        page = self.table.call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": batches_pk(department)}},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [Batch.from_dict(json.loads(i["item"]["S"])) for i in page.get("Items", [])]

    def replace_batch(self, batch: Batch) -> None:
        self._update(
            batches_pk(batch.department), batch.batch_id, batch.version, dumps(batch.to_dict())
        )

    def add_entry(self, entry: Entry) -> tuple[Entry, bool]:
        pk = entries_pk(entry.batch_id, entry.pass_no)
        if self._insert(pk, entry.entry_id, entry.revision, dumps(entry.to_dict())):
            return entry, True
        found = self._one(pk, entry.entry_id)
        if found is None:  # gone between the two calls: nothing deletes entries
            raise BatchConflict(entry.entry_id)
        return Entry.from_dict(found), False

    def replace_entry(self, entry: Entry) -> None:
        pk = entries_pk(entry.batch_id, entry.pass_no)
        self._update(pk, entry.entry_id, entry.revision, dumps(entry.to_dict()))

    def entries(self, batch_id: str, pass_no: int) -> list[Entry]:
        items = self.table.partition(entries_pk(batch_id, pass_no))
        return in_order([Entry.from_dict(json.loads(i["item"]["S"])) for i in items])

    def policy(self) -> EntryPolicy:
        found = self._one(*POLICY)
        return EntryPolicy() if found is None else EntryPolicy(**found)

    def set_policy(self, policy: EntryPolicy) -> None:
        item = dumps(policy.__dict__)
        if policy.version == 1:
            if not self._insert(*POLICY, 1, item):
                raise BatchConflict("policy")
            return
        self._update(*POLICY, policy.version, item)


def _item(pk: str, sk: str, version: int, item: str) -> Item:
    return {**primary_key(pk, sk), "version": {"N": str(version)}, "item": {"S": item}}
