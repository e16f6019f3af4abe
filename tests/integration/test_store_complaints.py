"""The complaints store's contract: the SQLite and the DynamoDB adapter (moto, the table from
the template) pass the same tests."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from manyi.complaints.model import (
    Complaint,
    ConductHandlers,
    Status,
    Step,
    code_hash,
    key_hash,
    receipt_code,
)
from manyi.sealing import SealedRecord
from manyi.store.complaints.base import (
    ComplaintConflict,
    ComplaintStore,
    HandlersConflict,
    WrongCodes,
)
from manyi.store.complaints.dynamodb import DynamoDBComplaintStore
from manyi.store.complaints.sqlite import SQLiteComplaintStore
from tests.aws import REGION
from tests.cfn import create_tables, over_both_adapters


def draft(complaint_id: str = "complaint-id-000000001", **changes: object) -> Complaint:
    given = Complaint(
        number="",
        key_hash=key_hash(complaint_id),
        code_hash=code_hash(key_hash(complaint_id), receipt_code(complaint_id)),
        department="sifaju",
        category="abuse",
        about="conduct",
        subject="窗口 3 号 <b>",
        account="办事时被辱骂。<script>alert(1)</script>",
        happened_on="2026-11-20",
        received_at="2026-11-21T02:00:00.000000Z",
        received_on="2026-11-21",
        contact=SealedRecord("d3JhcHBlZA", {"name": "s1.AAAA", "phone": "s1.BBBB"}),
    )
    return replace(given, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ComplaintStore]:
    yield from over_both_adapters(
        request.param,
        lambda: SQLiteComplaintStore.in_folder(tmp_path),
        lambda client, names: DynamoDBComplaintStore(names["ComplaintsTable"], client),
    )


def test_a_complaint_is_numbered_by_year_department_and_sequence(store: ComplaintStore) -> None:
    first, new = store.add(draft())
    assert new
    assert (first.number, first.version) == ("2026-sifaju-0001", 1)
    second, _ = store.add(draft("complaint-id-000000002"))
    other, _ = store.add(draft("complaint-id-000000003", department="xinfangju"))
    next_year, _ = store.add(
        draft(
            "complaint-id-000000004", received_on="2027-01-04", received_at="2027-01-04T01:00:00Z"
        )
    )
    assert (second.number, other.number) == ("2026-sifaju-0002", "2026-xinfangju-0001")
    assert next_year.number == "2027-sifaju-0001"
    assert store.get("2026-sifaju-0001") == first
    assert [c.number for c in store.year(2026)] == [
        "2026-sifaju-0001",
        "2026-sifaju-0002",
        "2026-xinfangju-0001",
    ]
    assert [c.number for c in store.recent(2027)][-1] == "2027-sifaju-0001"


def test_the_same_complaint_sent_again_is_stored_once(store: ComplaintStore) -> None:
    first, new = store.add(draft())
    again, new_again = store.add(draft(account="a retry of the same request"))
    assert new
    assert not new_again
    assert again == first
    assert len(store.year(2026)) == 1


def test_concurrent_copies_of_one_complaint_store_one(store: ComplaintStore) -> None:
    results: list[tuple[Complaint, bool]] = []
    threads = [
        threading.Thread(target=lambda: results.append(store.add(draft()))) for _ in range(4)
    ]
    if isinstance(store, DynamoDBComplaintStore):
        threads = threads[:1]  # moto's client is not thread-safe; the condition is tested below
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(new for _, new in results) == 1
    assert len(store.year(2026)) == 1


def test_unknown_numbers_are_none(store: ComplaintStore) -> None:
    assert store.get("2026-sifaju-0009") is None
    assert store.get("not-a-number") is None


def test_a_replace_names_the_version_it_read(store: ComplaintStore) -> None:
    stored, _ = store.add(draft())
    step = Step("2026-11-23T01:00:00.000000Z", "2026-11-23", "accepted", "office-1")
    accepted = replace(stored.moved(step), handler="office-1")
    store.replace(accepted)
    assert store.get(stored.number) == accepted
    with pytest.raises(ComplaintConflict):
        store.replace(accepted)  # version 2 again: someone else's write came first
    assert store.get(stored.number) == accepted


def test_wrong_codes_count_up_and_clear(store: ComplaintStore) -> None:
    assert store.wrong_codes("2026-sifaju-0001") == WrongCodes()
    for n in range(1, 4):
        assert store.add_wrong_code("2026-sifaju-0001", 100.0 + n).count == n
    assert store.wrong_codes("2026-sifaju-0001") == WrongCodes(3, 103.0)
    store.clear_wrong_codes("2026-sifaju-0001")
    assert store.wrong_codes("2026-sifaju-0001") == WrongCodes()


def _closed(store: ComplaintStore, complaint_id: str, day: str, status: Status) -> Complaint:
    stored, _ = store.add(draft(complaint_id))
    accepted = stored.moved(Step(f"{day}T01:00:00.000000Z", day, "accepted", "office-1"))
    store.replace(accepted)
    final = accepted.moved(Step(f"{day}T02:00:00.000000Z", day, status, "office-1", "答复"))
    store.replace(final)
    return final


def test_final_complaints_holding_personal_fields_are_found_by_the_day_they_closed(
    store: ComplaintStore,
) -> None:
    open_one, _ = store.add(draft("complaint-id-open-000"))
    early = _closed(store, "complaint-id-early-00", "2026-11-23", "concluded")
    late = _closed(store, "complaint-id-late-000", "2026-12-01", "concluded")
    assert store.closed_with_personal("2026-11-22") == []
    assert store.closed_with_personal("2026-11-23") == [early]
    assert store.closed_with_personal("2026-12-31") == [early, late]
    # Purged: out of the index, still in its year with every count.
    purged = early.purged("2028-11-24T00:00:00.000000Z")
    store.replace(purged)
    assert store.closed_with_personal("2026-12-31") == [late]
    assert store.get(early.number) == purged
    assert [c.number for c in store.year(2026)] == [open_one.number, early.number, late.number]


def test_the_conduct_handlers_are_one_setting_changed_under_its_version(
    store: ComplaintStore,
) -> None:
    assert store.handlers() == ConductHandlers()
    first = ConductHandlers({"sifaju": "clerk-a"}, 1)
    store.set_handlers(first)
    assert store.handlers() == first
    with pytest.raises(HandlersConflict):
        store.set_handlers(ConductHandlers({"sifaju": "clerk-z"}, 1))  # also read version 0
    second = ConductHandlers({"sifaju": "clerk-b", "xinfangju": "clerk-c"}, 2)
    store.set_handlers(second)
    with pytest.raises(HandlersConflict):
        store.set_handlers(ConductHandlers({}, 2))
    assert store.handlers() == second
    assert store.handlers().of("xinfangju") == "clerk-c"
    assert store.handlers().of("gonganju") == ""


def test_a_dynamodb_replay_under_a_race_answers_with_the_first() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(client)
        store = DynamoDBComplaintStore(names["ComplaintsTable"], client)
        first, _ = store.add(draft())
        # The other request passed its first look before this one wrote: it takes a number,
        # and its transaction is refused by the key item; it answers with the first.
        racing = DynamoDBComplaintStore(names["ComplaintsTable"], client)
        looks = iter([None])
        real_first = racing._first

        def first_look_misses(key_hash: str) -> Complaint | None:
            return next(looks, None) or real_first(key_hash)

        racing._first = first_look_misses  # type: ignore[method-assign]
        assert racing.add(draft()) == (first, False)
        assert len(store.year(2026)) == 1


def test_the_table_item_holds_no_clear_contact() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(client)
        store = DynamoDBComplaintStore(names["ComplaintsTable"], client)
        store.add(draft())
        items = client.scan(TableName=names["ComplaintsTable"])["Items"]
        assert {item["pk"]["S"][:2] for item in items} == {"Y#", "K#", "N#"}
        text = str(items)
        assert "complaint-id-000000001" not in text  # only its hash
        assert receipt_code("complaint-id-000000001") not in text


def test_a_first_release_file_is_migrated_and_its_closed_complaints_indexed(
    tmp_path: Path,
) -> None:
    from manyi.store.complaints.sqlite import SCHEMA
    from manyi.store.records import dumps
    from manyi.store.sqlite_schema import statements

    stored = replace(draft(), number="2026-sifaju-0001")
    step = Step("2026-11-23T01:00:00Z", "2026-11-23", "refused", "office-1", "不属于受理范围")
    refused = stored.moved(step)
    path = tmp_path / "complaints.sqlite3"
    with sqlite3.connect(path) as db:
        first_release = SCHEMA.steps[0]
        assert isinstance(first_release, str)  # schema/001.sql
        for statement in statements(first_release):
            db.execute(statement)
        db.execute(
            "INSERT INTO complaints VALUES (?, 2026, ?, ?, ?)",
            (refused.number, refused.key_hash, refused.version, dumps(refused.to_dict())),
        )
        db.execute("PRAGMA user_version = 1")
    store = SQLiteComplaintStore(path)
    try:
        assert store.closed_with_personal("2026-11-23") == [refused]
        assert store.handlers() == ConductHandlers()
    finally:
        store.close()
