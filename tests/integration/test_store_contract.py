"""The store contract: each adapter (SQLite, DynamoDB through moto, memory) passes one suite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.store.errors import StoreUnavailable
from manyi.store.submissions.base import SubmissionStore, sort_key
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.submission import StoredSubmission
from tests.aws import REGION, create_submissions_table


def submission(
    submission_id: str = "sub-0001",
    department: str = "sifaju",
    received_at: str = "2026-11-27T07:33:01.123456Z",
    month: str = "2026-11",
    **answers: Any,
) -> StoredSubmission:
    return StoredSubmission(
        submission_id=submission_id,
        department=department,
        month=month,
        received_at=received_at,
        version="abc123def456",
        channel="leaflet",
        answers=answers or {"respondent": "person", "q1": ("seizure", "fees"), "q2": "no"},
    )


@pytest.fixture(params=["sqlite", "dynamodb", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SubmissionStore]:
    if request.param == "memory":
        yield MemorySubmissionStore()
        return
    if request.param == "sqlite":
        sqlite = SQLiteSubmissionStore(tmp_path / "submissions.sqlite3")
        yield sqlite
        sqlite.close()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        table = create_submissions_table(client)
        yield DynamoDBSubmissionStore(table, client=client)


def test_a_new_submission_is_stored_and_read_back(store: SubmissionStore) -> None:
    given = submission()
    stored, new = store.put(given)
    assert new
    assert stored == given
    assert store.get("sub-0001") == given


def test_a_replay_returns_the_first_record_and_stores_nothing(store: SubmissionStore) -> None:
    first = submission()
    # The retry arrives after midnight at the month's end: a later time and another month.
    retry = submission(received_at="2026-11-30T16:00:00.000001Z", month="2026-12", q2="yes")
    store.put(first)
    stored, new = store.put(retry)
    assert not new
    assert stored == first
    assert [s.submission for s in store.department_month("sifaju", "2026-11")] == [first]
    assert list(store.department_month("sifaju", "2026-12")) == []


def test_many_at_once_are_each_stored_once(store: SubmissionStore) -> None:
    """Staff entry and imports: a batch of responses, then the same batch again (a re-upload)
    with one more: only the new one is stored."""
    batch = [
        submission(f"imp-{n:04d}", received_at=f"2026-11-27T07:33:01.{n:06d}Z") for n in range(30)
    ]
    assert store.put_many(batch) == 30
    more = submission("imp-0030", received_at="2026-11-27T07:33:02.000000Z")
    assert store.put_many([*batch, more]) == 1
    stored = [s.submission for s in store.department_month("sifaju", "2026-11")]
    assert stored == [*batch, more]


def test_unknown_submission_id_reads_as_none(store: SubmissionStore) -> None:
    assert store.get("never-stored") is None


def test_a_department_month_reads_in_sort_key_order_after_a_watermark(
    store: SubmissionStore,
) -> None:
    times = ["2026-11-03T01:00:00.000000Z", "2026-11-01T01:00:00.000000Z"]
    times += ["2026-11-02T01:00:00.000000Z", "2026-11-02T01:00:00.000000Z"]
    given = [submission(f"sub-{i:04d}", received_at=t) for i, t in enumerate(times)]
    for s in given:
        store.put(s)
    store.put(submission("other-dept", department="xinfangju"))
    store.put(submission("other-month", month="2026-10", received_at="2026-10-31T01:00:00.0Z"))

    read = list(store.department_month("sifaju", "2026-11"))
    expected = sorted(given, key=sort_key)
    assert [r.submission for r in read] == expected
    assert [r.sort_key for r in read] == [sort_key(s) for s in expected]
    assert read[0].sort_key == "R#2026-11-01T01:00:00.000000Z#sub-0001"

    after = list(store.department_month("sifaju", "2026-11", after_sk=read[1].sort_key))
    assert [r.submission for r in after] == expected[2:]
    assert list(store.department_month("sifaju", "2026-11", after_sk=read[-1].sort_key)) == []


def test_answers_keep_single_and_multiple_choices_apart(store: SubmissionStore) -> None:
    given = submission(respondent="private_enterprise", q1=("none",), q2="no")
    store.put(given)
    got = store.get(given.submission_id)
    assert got is not None
    assert got.answers == {"respondent": "private_enterprise", "q1": ("none",), "q2": "no"}


def test_chinese_and_long_pages_read_completely(store: SubmissionStore) -> None:
    # More than one SQLite batch; DynamoDB pages by size, tested by the same count.
    count = 520 if isinstance(store, SQLiteSubmissionStore) else 60
    for i in range(count):
        store.put(submission(f"page-{i:05d}", received_at=f"2026-11-05T00:00:00.{i:06d}Z"))
    read = list(store.department_month("sifaju", "2026-11"))
    assert len(read) == count
    assert [r.sort_key for r in read] == sorted(r.sort_key for r in read)


def test_concurrent_puts_of_one_id_store_it_once(store: SubmissionStore) -> None:
    if isinstance(store, DynamoDBSubmissionStore):
        pytest.skip("moto serializes calls; the transaction condition is tested above")
    results: list[bool] = []
    lock = threading.Lock()

    def put(i: int) -> None:
        _stored, new = store.put(submission(received_at=f"2026-11-27T07:33:01.{i:06d}Z"))
        with lock:
            results.append(new)

    threads = [threading.Thread(target=put, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert len(list(store.department_month("sifaju", "2026-11"))) == 1


def test_a_closed_sqlite_store_refuses_a_put_as_unavailable_and_stores_nothing(
    tmp_path: Path,
) -> None:
    # A request still in flight when `manyi serve` closes its store on shutdown must hear
    # "retry" (503), and its retry must find nothing half-written.
    path = tmp_path / "submissions.sqlite3"
    closed = SQLiteSubmissionStore(path)
    closed.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        closed.put(submission())
    reopened = SQLiteSubmissionStore(path)
    assert reopened.get("sub-0001") is None
    assert reopened.put(submission()) == (submission(), True)
    reopened.close()


def test_the_departments_of_a_month_where_the_store_can_tell_them(
    store: SubmissionStore,
) -> None:
    for i, (department, month) in enumerate(
        [("sifaju", "2026-11"), ("yexian", "2026-11"), ("yexian", "2026-10"), ("a-b_c", "2026-11")]
    ):
        for j in range(3):
            received = f"2026-11-0{j + 1}T00:00:00.000000Z"
            store.put(submission(f"sub-{i}-{j}", department, received, month))
    found = store.departments("2026-11")
    if isinstance(store, DynamoDBSubmissionStore):
        assert found is None  # only a scan could tell
    else:
        assert found == {"sifaju", "yexian", "a-b_c"}
        assert store.departments("2026-10") == {"yexian"}
        assert store.departments("2026-09") == set()
