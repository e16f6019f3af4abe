"""The entry store in one local SQLite file (`<data>/entry.sqlite3`), for `manyi serve`."""

from __future__ import annotations

import json

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
from manyi.store.sqlite_schema import Schema, SQLiteStore

FILE_NAME = "entry.sqlite3"
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    version INTEGER NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
"""
SCHEMA = Schema("entry", (SCHEMA_V1,))
POLICY = ("POLICY", "ENTRY")


# WAL, synchronous=FULL (sqlite_schema.connect): a saved paper survives a crash.
class SQLiteEntryStore(SQLiteStore, EntryStore, file_name=FILE_NAME, schema=SCHEMA):
    def _read(self, sql: str, *values: object) -> list[tuple[str]]:
        with self._reading() as db:
            return db.execute(sql, values).fetchall()

    def _insert(self, pk: str, sk: str, version: int, item: str) -> bool:
        with self._writing() as db:
            done = db.execute(
                "INSERT INTO items (pk, sk, version, item) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (pk, sk) DO NOTHING",
                (pk, sk, version, item),
            ).rowcount
        return bool(done)

    def _update(self, pk: str, sk: str, version: int, item: str) -> None:
        with self._writing() as db:
            changed = db.execute(
                "UPDATE items SET version = ?, item = ? WHERE pk = ? AND sk = ? AND version = ?",
                (version, item, pk, sk, version - 1),
            ).rowcount
        if changed != 1:
            raise BatchConflict(f"{pk} {sk}")

    def add_batch(self, batch: Batch) -> None:
        if batch.version != 1 or not self._insert(
            batches_pk(batch.department), batch.batch_id, 1, dumps(batch.to_dict())
        ):
            raise BatchConflict(batch.batch_id)

    def batch(self, department: str, batch_id: str) -> Batch | None:
        rows = self._read(
            "SELECT item FROM items WHERE pk = ? AND sk = ?", batches_pk(department), batch_id
        )
        return Batch.from_dict(json.loads(rows[0][0])) if rows else None

    def batches(self, department: str, limit: int = 50) -> list[Batch]:
        rows = self._read(
            "SELECT item FROM items WHERE pk = ? ORDER BY sk DESC LIMIT ?",
            batches_pk(department),
            limit,
        )
        return [Batch.from_dict(json.loads(row[0])) for row in rows]

    def replace_batch(self, batch: Batch) -> None:
        self._update(
            batches_pk(batch.department), batch.batch_id, batch.version, dumps(batch.to_dict())
        )

    def add_entry(self, entry: Entry) -> tuple[Entry, bool]:
        pk = entries_pk(entry.batch_id, entry.pass_no)
        if self._insert(pk, entry.entry_id, entry.revision, dumps(entry.to_dict())):
            return entry, True
        rows = self._read("SELECT item FROM items WHERE pk = ? AND sk = ?", pk, entry.entry_id)
        return Entry.from_dict(json.loads(rows[0][0])), False

    def replace_entry(self, entry: Entry) -> None:
        pk = entries_pk(entry.batch_id, entry.pass_no)
        self._update(pk, entry.entry_id, entry.revision, dumps(entry.to_dict()))

    def entries(self, batch_id: str, pass_no: int) -> list[Entry]:
        rows = self._read("SELECT item FROM items WHERE pk = ?", entries_pk(batch_id, pass_no))
        return in_order([Entry.from_dict(json.loads(row[0])) for row in rows])

    def policy(self) -> EntryPolicy:
        rows = self._read("SELECT item FROM items WHERE pk = ? AND sk = ?", *POLICY)
        return EntryPolicy(**json.loads(rows[0][0])) if rows else EntryPolicy()

    def set_policy(self, policy: EntryPolicy) -> None:
        item = dumps(policy.__dict__)
        if policy.version == 1:
            if not self._insert(*POLICY, 1, item):
                raise BatchConflict("policy")
            return
        self._update(*POLICY, policy.version, item)
