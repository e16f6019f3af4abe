"""The entry store in one local SQLite file (`<data>/entry.sqlite3`), for `manyi serve`."""

from __future__ import annotations

from typing import Any

from manyi.store.entry.base import BatchConflict, EntryStore
from manyi.store.sqlite_schema import Schema, SQLiteStore

FILE_NAME = "entry.sqlite3"
SCHEMA = Schema.of("entry", "manyi.store.entry")


# WAL, synchronous=FULL (sqlite_schema.connect): a saved paper survives a crash.
class SQLiteEntryStore(SQLiteStore, EntryStore, file_name=FILE_NAME, schema=SCHEMA):
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

    def _one(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self._file.documents(dict, "SELECT item FROM items WHERE pk = ? AND sk = ?", pk, sk)
        return found[0] if found else None

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        return self._file.documents(dict, "SELECT item FROM items WHERE pk = ?", pk)

    def _last(self, pk: str, limit: int) -> list[dict[str, Any]]:
        return self._file.documents(
            dict, "SELECT item FROM items WHERE pk = ? ORDER BY sk DESC LIMIT ?", pk, limit
        )
