"""The follow-up case store's contract: the SQLite and the DynamoDB adapter (moto, the table
from the template) pass the same tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from manyi.sealing import SealedRecord
from manyi.store.cases.base import Attempt, Case, CaseConflict, CaseStore, Draw, Visitor
from manyi.store.cases.dynamodb import DynamoDBCaseStore
from manyi.store.cases.sqlite import SQLiteCaseStore
from tests.cfn import over_both_adapters

SEALED = SealedRecord("d3JhcHBlZA", {"party_name": "s1.bmFtZQ", "party_phone": "s1.cGhvbmU"})


def case(number: str = "平市监罚〔2026〕1号", **changes: object) -> Case:
    given = Case(
        department="shichangjianguanju",
        case_number=number,
        kind="penalty",
        procedure="general",
        closed_on="2026-11-03",
        handler_id="41040001",
        handler_name="张执法",
        party=SEALED,
        imported_at="2026-11-10T01:00:00.000000Z",
    )
    return replace(given, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    yield from over_both_adapters(
        request.param,
        lambda: SQLiteCaseStore.in_folder(tmp_path),
        lambda client, names: DynamoDBCaseStore(names["CasesTable"], client),
    )


def test_cases_are_added_once_and_a_reimport_changes_nothing(store: CaseStore) -> None:
    first = [case("A-1"), case("A-2")]
    assert sorted(store.add_cases(first)) == sorted(c.case_id for c in first)
    stored = store.get("shichangjianguanju", "2026-11", first[0].case_id)
    assert stored == first[0]
    changed = stored.next_version(visitor="clerk-a")
    store.replace(changed)
    again = [case("A-1", handler_name="别人"), case("A-3")]
    assert store.add_cases(again) == [again[1].case_id]
    assert store.get("shichangjianguanju", "2026-11", first[0].case_id) == changed
    assert [c.case_number for c in store.month("shichangjianguanju", "2026-11")] == sorted(
        ["A-1", "A-2", "A-3"], key=lambda n: case(n).case_id
    )
    assert store.month("shichangjianguanju", "2026-10") == []


def test_a_write_names_the_version_it_read(store: CaseStore) -> None:
    original = case()
    store.add_cases([original])
    store.replace(original.next_version(visitor="clerk-a"))
    with pytest.raises(CaseConflict):
        store.replace(original.next_version(visitor="clerk-b"))
    with pytest.raises(CaseConflict):
        store.replace(case("never-stored").next_version())


def test_cases_round_trip_with_attempts_answers_and_problem(store: CaseStore) -> None:
    from manyi.store.cases.base import Problem

    full = case(
        attempts=(Attempt("2026-11-12T01:00:00.000000Z", "clerk-a", "no_answer", SEALED),),
        answers={"fu_result": "satisfied", "fu_improper": ("bribes",)},
        answered_via="call",
        form_version="abc",
        done_at="2026-11-12T02:00:00.000000Z",
        problem=Problem("2026-11-12T02:00:00.000000Z", "2026-11-26", ("fu_improper",)),
    )
    store.add_cases([full])
    assert store.get(full.department, full.month, full.case_id) == full


def test_a_visitors_cases_and_the_purge_index(store: CaseStore) -> None:
    mine = case("B-1", visitor="clerk-a")
    done = case("B-2", visitor="clerk-b", done_at="2026-05-01T00:00:00.000000Z")
    purged = case("B-3", done_at="2026-04-01T00:00:00.000000Z", party=None)
    recent = case("B-4", done_at="2026-11-01T00:00:00.000000Z")
    store.add_cases([mine, done, purged, recent])
    assert [c.case_number for c in store.assigned_to("clerk-a")] == ["B-1"]
    old = store.done_with_personal("2026-06-01T00:00:00.000000Z")
    assert [c.case_number for c in old] == ["B-2"]
    store.replace(old[0].next_version(party=None))
    assert store.done_with_personal("2026-06-01T00:00:00.000000Z") == []


def test_draws_and_visitors(store: CaseStore) -> None:
    draw = Draw("d1", "sifaju", "2026-11", "2026-11-20T00:00:00.000000Z", "office-1", 42,
                {"penalty_general": 1.0}, 30, "2026-11-20", ("a", "b"), ("a",))  # fmt: skip
    store.add_draw(draw)
    assert store.draws("sifaju", "2026-11") == [draw]
    assert store.draws("sifaju", "2026-10") == []
    store.put_visitor(Visitor("clerk-a", "41040002"))
    store.put_visitor(Visitor("clerk-a", "41040003"))
    store.put_visitor(Visitor("clerk-b", "41040004"))
    assert store.visitor("clerk-a") == Visitor("clerk-a", "41040003")
    assert [v.username for v in store.visitors()] == ["clerk-a", "clerk-b"]
