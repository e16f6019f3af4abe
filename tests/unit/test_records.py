"""Records as stored (manyi.store.records): every record's JSON is exactly what earlier
versions wrote, it reads back to the same record, and what earlier versions wrote without a
later field still reads, with that field's default."""

from __future__ import annotations

import json
from dataclasses import Field, dataclass, fields, replace
from pathlib import Path
from typing import Any

import pytest

from manyi.complaints.model import Complaint, ComplaintSettings, Step
from manyi.sealing import SealedRecord
from manyi.store.cases.base import Attempt, Case, Draw, Problem, Visitor
from manyi.store.entry.base import Batch, Entry
from manyi.store.records import dumps, optional, reader, record_dict, record_from, tuple_of
from manyi.store.staff.base import Account, AuditEvent

# Written by the hand-written to_dict methods these replaced (commit b70f354): the keys, their
# order (a questionnaire version file writes the complaint settings unsorted) and the values.
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "stored_records.json"
SEALED = SealedRecord("wk", {"name": "s1.n", "phone": "s1.p"})
SAMPLES: dict[str, Any] = {
    "complaint": Complaint(
        "2026-sifaju-0001",
        "kh",
        "ch",
        "sifaju",
        "abuse",
        "conduct",
        "某窗口",
        "经过",
        "2026-01-01",
        "2026-01-02T00:00:00Z",
        "2026-01-02",
        SEALED,
        "extended",
        "bob",
        (Step("t1", "d1", "accepted", "x"), Step("t2", "d2", "extended", "y", "理由")),
        3,
    ),
    "anonymous complaint": Complaint(
        "", "kh", "ch", "sifaju", "other", "action", "", "经过", "", "t", "2026-01-02"
    ),
    "case": Case(
        "sifaju",
        "(2026)1号",
        "penalty",
        "general",
        "2026-01-01",
        "h1",
        "王",
        SEALED,
        "t",
        "f",
        "dr",
        "v",
        "at",
        (Attempt("t", "v", "busy", SEALED), Attempt("t", "v", "completed")),
        "lh",
        "le",
        "lu",
        {"q1": "a", "q2": ("x", "y")},
        "fv",
        "call",
        SEALED,
        "done",
        Problem("o", "2026-02-01", ("q1", "text"), "act", "c", "cb"),
        "",
        4,
    ),
    "new case": Case("sifaju", "n1", "licensing", "summary", "2026-01-01", "h", "hn", None, "t"),
    "draw": Draw(
        "id",
        "sifaju",
        "2026-01",
        "at",
        "actor",
        42,
        {"penalty_general": 0.5},
        90,
        "2026-02-01",
        ("a", "b"),
        ("a",),
    ),
    "visitor": Visitor("u", "s", "r", "b"),
    "account": Account("alice", "office", ("a", "b"), "ph", False, True, "爱丽丝", "c", "l", 3, 7),
    "event": AuditEvent(
        "2026-01-01T00:00:00Z",
        "e",
        "alice",
        "account.add",
        "account/bob",
        {"role": "viewer"},
        {"role": "office", "departments": ["a"]},
        ("a",),
    ),
    "bare event": AuditEvent("2026-01-01T00:00:00Z", "e", "system", "month.close", "month/x"),
    "settings": ComplaintSettings(1, 2, 3, 4, ("abuse", "bribe"), 5),
    "batch": Batch("20260101000000-abcdef", "sifaju", "paper", "u", "t", "m", "p", True, "second"),
    "entry": Entry("b", 2, "e1234567", "t", "q", {"q1": "a", "q2": ("x",)}, True, 2),
}


def test_every_record_is_stored_exactly_as_before() -> None:
    written = {name: record.to_dict() for name, record in SAMPLES.items()}
    text = json.dumps(written, ensure_ascii=False, indent=1) + "\n"
    assert text == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_stored_record_reads_back_the_same(name: str) -> None:
    record = SAMPLES[name]
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))[name]
    assert type(record).from_dict(stored) == record
    assert type(record).from_dict(json.loads(dumps(record.to_dict()))) == record


# What each record gained after its first release: an item written before lacks the key.
LATER_FIELDS = {
    "complaint": ("handler", "steps", "purged_at"),
    "case": ("import_file", "attempts", "link_hash", "reported", "problem", "purged_at"),
    "account": ("display_name", "created_at", "last_login_at", "session_generation"),
    "event": ("before", "after", "departments"),
    "settings": ("retention_years",),
    "batch": ("meeting_date", "meeting_place", "stored"),
}


def _default(field: Field[Any]) -> Any:
    return field.default_factory() if callable(field.default_factory) else field.default


@pytest.mark.parametrize("name", sorted(LATER_FIELDS))
def test_an_older_record_without_later_fields_takes_their_defaults(name: str) -> None:
    record = SAMPLES[name]
    stored = record.to_dict()
    for key in LATER_FIELDS[name]:
        del stored[key]
    defaults = {f.name: _default(f) for f in fields(record) if f.name in LATER_FIELDS[name]}
    assert type(record).from_dict(stored) == replace(record, **defaults)


def test_null_departments_of_an_event_read_as_none() -> None:
    stored = {**SAMPLES["bare event"].to_dict(), "departments": None}
    assert AuditEvent.from_dict(stored).departments == ()


def test_settings_missing_from_an_old_version_file_are_the_defaults() -> None:
    assert ComplaintSettings.from_dict(None) == ComplaintSettings()
    assert ComplaintSettings.from_dict({}) == ComplaintSettings()


@dataclass(frozen=True)
class _Inner:
    tags: tuple[str, ...]


@dataclass(frozen=True)
class _Outer:
    name: str
    inner: _Inner | None = None
    items: tuple[_Inner, ...] = ()


def test_nested_records_round_trip_through_the_readers() -> None:
    outer = _Outer("x", _Inner(("a",)), (_Inner(()), _Inner(("b", "c"))))
    stored = record_dict(outer)
    assert stored == {
        "name": "x",
        "inner": {"tags": ["a"]},
        "items": [{"tags": []}, {"tags": ["b", "c"]}],
    }
    inner = reader(_Inner, tags=tuple)
    assert record_from(_Outer, stored, inner=optional(inner), items=tuple_of(inner)) == outer
    assert record_from(_Outer, {"name": "y", "inner": None}, inner=optional(inner)) == _Outer("y")


def test_a_required_field_must_be_there_and_a_reader_must_name_a_field() -> None:
    with pytest.raises(KeyError, match="name"):
        record_from(_Outer, {})
    with pytest.raises(TypeError, match="no field nmae"):
        record_from(_Outer, {"name": "x"}, nmae=str)
