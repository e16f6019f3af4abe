"""The entry store's contract: the SQLite and the DynamoDB adapter (moto, the table from the
template) pass the same tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from manyi.store.entry.base import Batch, BatchConflict, Entry, EntryPolicy, EntryStore
from manyi.store.entry.dynamodb import DynamoDBEntryStore
from manyi.store.entry.sqlite import SQLiteEntryStore
from tests.cfn import over_both_adapters


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EntryStore]:
    yield from over_both_adapters(
        request.param,
        lambda: SQLiteEntryStore.in_folder(tmp_path),
        lambda client, names: DynamoDBEntryStore(names["EntryTable"], client),
    )


def batch(n: int = 1, department: str = "sifaju") -> Batch:
    return Batch(
        f"2026111410000{n}-abcdef", department, "meeting", "clerk-a",
        "2026-11-14T02:00:00.000000Z", meeting_date="2026-11-12", meeting_place="三楼会议室",
    )  # fmt: skip


def entry(entry_id: str, saved_at: str, pass_no: int = 1) -> Entry:
    return Entry(
        "20261114100001-abcdef", pass_no, entry_id, saved_at, "e4a123e5a491",
        {"respondent": "person", "q1": ("none",)},
    )  # fmt: skip


def test_batches_are_kept_listed_newest_first_and_per_department(store: EntryStore) -> None:
    for n in (1, 2, 3):
        store.add_batch(batch(n))
    store.add_batch(batch(4, "xinfangju"))
    assert [b.batch_id for b in store.batches("sifaju")] == [batch(n).batch_id for n in (3, 2, 1)]
    assert store.batch("sifaju", batch(1).batch_id) == batch(1)
    assert store.batch("xinfangju", batch(1).batch_id) is None
    with pytest.raises(BatchConflict):
        store.add_batch(batch(1))


def test_a_batch_changes_only_over_the_version_it_read(store: EntryStore) -> None:
    store.add_batch(batch())
    done = replace(batch(), status="done", stored=3, version=2)
    store.replace_batch(done)
    assert store.batch("sifaju", done.batch_id) == done
    with pytest.raises(BatchConflict):
        store.replace_batch(replace(batch(), status="second", version=2))


def test_an_entry_is_kept_once_per_id_in_the_order_keyed_and_never_deleted(
    store: EntryStore,
) -> None:
    second = entry("entry-0002", "2026-11-14T02:00:02.000000Z")
    first = entry("entry-0001", "2026-11-14T02:00:01.000000Z")
    assert store.add_entry(second) == (second, True)
    assert store.add_entry(first) == (first, True)
    again, new = store.add_entry(replace(first, answers={"respondent": "private"}))
    assert (again, new) == (first, False)
    assert [e.entry_id for e in store.entries(first.batch_id, 1)] == ["entry-0001", "entry-0002"]
    assert store.entries(first.batch_id, 2) == []
    voided = replace(second, void=True, revision=2)
    store.replace_entry(voided)
    with pytest.raises(BatchConflict):
        store.replace_entry(replace(second, answers={}, revision=2))
    assert store.entries(first.batch_id, 1)[1] == voided


def test_the_policy_starts_optional_and_changes_over_its_version(store: EntryStore) -> None:
    assert store.policy() == EntryPolicy(False, 0)
    store.set_policy(EntryPolicy(True, 1))
    assert store.policy() == EntryPolicy(True, 1)
    with pytest.raises(BatchConflict):
        store.set_policy(EntryPolicy(False, 1))
    store.set_policy(EntryPolicy(False, 2))
    assert store.policy() == EntryPolicy(False, 2)
