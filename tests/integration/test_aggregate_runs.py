"""The aggregator's runs: incremental == full, re-runs, crashes, the month close, verify."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.aggregate import MonthlyResult, Tally
from manyi.answers import check_answers
from manyi.results.run import DEFAULT_LAG, Aggregator, default_months
from manyi.store.results.base import CloseEvent, DepartmentMonthState, MonthClose, StateConflict
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.submissions.base import SortedSubmission, sort_key, sort_key_bound
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.submission import StoredSubmission, utc_timestamp
from manyi.traits import TraitCounter
from tests.responses import OFFICE, stored
from tests.unit.test_answers import QUESTIONNAIRE, valid_answers

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 08:00 on 1 November in Beijing
MONTH = "2026-11"
DEPARTMENTS = ("sifaju", "gonganju", "yexian")


def fresh_store() -> SqliteResultsStore:
    return SqliteResultsStore(":memory:")


def results(store: SqliteResultsStore) -> dict[str, MonthlyResult]:
    return {s.department: s.result for s in store.month_states(MONTH)}


def aggregator(source: MemorySubmissionStore, store: object) -> Aggregator:
    return Aggregator(QUESTIONNAIRE, source, store)  # type: ignore[arg-type]


@st.composite
def timeline(draw: st.DrawFn) -> list[tuple[StoredSubmission, datetime]]:
    """Submissions with the moment each becomes visible (a commit up to 90 s after its stamp)."""
    out = []
    for i in range(draw(st.integers(0, 25))):
        received = START + timedelta(seconds=draw(st.integers(0, 3 * 3600)))
        answers = check_answers(QUESTIONNAIRE, draw(valid_answers())).answers
        submission = stored(
            f"s-{i:06d}", received, answers, department=draw(st.sampled_from(DEPARTMENTS))
        )
        out.append((submission, received + timedelta(seconds=draw(st.integers(0, 90)))))
    return out


def replay(
    events: list[tuple[StoredSubmission, datetime]],
    run_times: list[datetime],
    close_at: datetime | None = None,
) -> SqliteResultsStore:
    """Run the aggregator at each time, with what is visible then; close the month at close_at."""
    source = MemorySubmissionStore()
    store = fresh_store()
    pending = sorted(events, key=lambda e: e[1])
    for moment in sorted({*run_times, *([close_at] if close_at else [])}):
        while pending and pending[0][1] <= moment:
            source.put(pending.pop(0)[0])
        close = [MONTH] if moment == close_at else []
        aggregator(source, store).run(moment, [MONTH], close=close)
    return store


END = START + timedelta(hours=4)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(timeline(), st.lists(st.integers(0, 4 * 3600), max_size=8), st.integers(0, 4 * 3600))
def test_incremental_equals_full_and_verify_agrees(
    events: list[tuple[StoredSubmission, datetime]], offsets: list[int], close_offset: int
) -> None:
    runs = [START + timedelta(seconds=s) for s in offsets]
    for close_at in (None, START + timedelta(seconds=close_offset)):
        incremental = replay(events, [*runs, END], close_at)
        full = replay(events, [END], close_at)
        assert results(incremental) == results(full)
        source = MemorySubmissionStore(e[0] for e in events)
        assert aggregator(source, incremental).verify(MONTH) == []
        everything = Tally(TraitCounter(QUESTIONNAIRE)).add_all(e[0] for e in events).counts()
        counted = [r.counts + r.late for r in results(incremental).values()]
        assert sum(counted, type(everything)()) == everything


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(timeline(), st.integers(0, 4 * 3600))
def test_a_rerun_changes_nothing(
    events: list[tuple[StoredSubmission, datetime]], offset: int
) -> None:
    moment = START + timedelta(seconds=offset)
    source = MemorySubmissionStore(e[0] for e in events if e[1] <= moment)
    store = fresh_store()
    aggregator(source, store).run(moment, [MONTH])
    first = store.month_states(MONTH)
    report = aggregator(source, store).run(moment, [MONTH])
    assert store.month_states(MONTH) == first
    assert report.read == report.written == 0


class CrashingStore:
    """A results store whose machine dies before its n-th department-month write."""

    def __init__(self, store: SqliteResultsStore, writes_before_crash: int) -> None:
        self.store = store
        self.left = writes_before_crash

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def put_state(self, state: DepartmentMonthState, expected_version: int) -> None:
        if self.left == 0:
            raise KeyboardInterrupt("the machine stops")
        self.left -= 1
        self.store.put_state(state, expected_version)


class CrashingSource(MemorySubmissionStore):
    """A submission store whose connection drops after n items."""

    def __init__(self, items: list[StoredSubmission], items_before_crash: int) -> None:
        super().__init__(items)
        self.left = items_before_crash

    def department_month(
        self, department: str, month: str, after_sk: str | None = None
    ) -> Iterator[SortedSubmission]:
        for item in super().department_month(department, month, after_sk):
            if self.left == 0:
                raise ConnectionError("connection reset")
            self.left -= 1
            yield item


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(timeline(), st.integers(0, 3), st.integers(0, 30), st.booleans())
def test_a_crash_half_way_then_a_rerun_gives_the_clean_result(
    events: list[tuple[StoredSubmission, datetime]], writes: int, items: int, close: bool
) -> None:
    subs = [e[0] for e in events]
    clean = fresh_store()
    aggregator(MemorySubmissionStore(subs), clean).run(END, [MONTH], close=[MONTH] if close else [])

    store = fresh_store()
    for broken in (CrashingStore(store, writes), None):
        source = CrashingSource(subs, items) if broken else MemorySubmissionStore(subs)
        with contextlib.suppress(KeyboardInterrupt, ConnectionError):
            aggregator(source, broken or store).run(END, [MONTH], close=[MONTH] if close else [])
    assert results(store) == results(clean)
    assert aggregator(MemorySubmissionStore(subs), store).verify(MONTH) == []


def _one(i: int, received: datetime, department: str = "sifaju") -> StoredSubmission:
    return stored(f"m-{i:06d}", received, {"respondent": "person", "q9": "satisfied"},
                  department=department)  # fmt: skip


def test_the_month_close_freezes_the_report_and_counts_late_arrivals_apart() -> None:
    close_time = datetime(2026, 11, 26, 16, 5, tzinfo=UTC)  # 00:05 on the 27th in Beijing
    before = [_one(i, close_time - timedelta(hours=5 - i)) for i in range(3)]
    # Received inside the safety lag before the close run: it goes to late, not the report.
    just_before = _one(10, close_time - timedelta(seconds=30))
    after = [_one(20 + i, close_time + timedelta(hours=1 + i)) for i in range(2)]
    source = MemorySubmissionStore(before)
    store = fresh_store()
    agg = aggregator(source, store)
    agg.run(close_time - timedelta(hours=1), [MONTH])
    source.put(just_before)
    report = agg.run(close_time, [MONTH], close=[MONTH])
    assert report.closed == [MONTH]
    close = store.month_close(MONTH)
    assert close is not None
    assert close.horizon == sort_key_bound(utc_timestamp(close_time - DEFAULT_LAG))
    frozen = store.state("sifaju", MONTH).result.counts
    assert frozen.responses == 3
    for submission in after:
        source.put(submission)
    agg.run(close_time + timedelta(days=1), [MONTH], close=[MONTH])  # closing again: no-op
    assert store.month_close(MONTH) == close
    state = store.state("sifaju", MONTH)
    assert state.result.counts == frozen
    assert state.result.late.responses == 3
    assert agg.verify(MONTH) == []


def test_a_response_older_than_the_watermark_is_caught_by_verify() -> None:
    """Beyond the safety lag a late commit would be missed; verify says so, loudly."""
    moment = START + timedelta(hours=1)
    source = MemorySubmissionStore([_one(1, START)])
    store = fresh_store()
    agg = aggregator(source, store)
    agg.run(moment, [MONTH])
    source.put(_one(2, START + timedelta(minutes=10)))  # committed 50 minutes late
    agg.run(moment + timedelta(minutes=5), [MONTH])
    [disagreement] = agg.verify(MONTH)
    assert disagreement.department == "sifaju"
    assert disagreement.stored.counts.responses == 1
    assert disagreement.recomputed.counts.responses == 2


def test_only_new_items_are_read() -> None:
    subs = [_one(i, START + timedelta(seconds=i)) for i in range(100)]
    source = MemorySubmissionStore(subs)
    store = fresh_store()
    aggregator(source, store).run(END, [MONTH])
    source.reads = 0
    source.put(_one(1000, END))
    report = aggregator(source, store).run(END + timedelta(minutes=5), [MONTH])
    assert report.read == 1
    assert source.reads == 1


def test_a_conflicting_write_is_retried_from_a_fresh_read() -> None:
    subs = [_one(i, START + timedelta(seconds=i)) for i in range(5)]
    store = fresh_store()

    class RacingStore(CrashingStore):
        raced = False

        def put_state(self, state: DepartmentMonthState, expected_version: int) -> None:
            if not self.raced:  # another run writes the same department-month first
                self.raced = True
                aggregator(MemorySubmissionStore(subs), self.store).run(END, [MONTH])
            self.store.put_state(state, expected_version)

    aggregator(MemorySubmissionStore(subs), RacingStore(store, 0)).run(END, [MONTH])
    assert store.state("sifaju", MONTH).result.counts.responses == 5
    stale = DepartmentMonthState(MonthlyResult("sifaju", MONTH), version=1, watermark="R#x")
    with pytest.raises(StateConflict):
        store.put_state(stale, 0)


def test_default_months_are_this_beijing_month_and_the_one_before() -> None:
    # 16:30 UTC on 31 December is already 1 January in Beijing.
    assert default_months(OFFICE, datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == [
        "2026-12",
        "2027-01",
    ]
    assert default_months(OFFICE, datetime(2026, 11, 15, tzinfo=UTC)) == ["2026-10", "2026-11"]


def test_served_counts_and_closes_round_trip() -> None:
    store = fresh_store()
    store.set_served({(MONTH, "sifaju"): 10, (MONTH, "yexian"): 3, ("2026-10", "sifaju"): 9})
    store.set_served({(MONTH, "sifaju"): 12})
    assert store.served(MONTH) == {"sifaju": 12, "yexian": 3}
    first = store.add_month_close(
        MonthClose(MONTH, "R#a", "t", {"sifaju": 12}), CloseEvent(MONTH, "close", "t", "office")
    )
    second = store.add_month_close(
        MonthClose(MONTH, "R#b", "u", {}), CloseEvent(MONTH, "close", "u", "office")
    )
    assert first == second
    store.mark_published(MONTH)
    recorded = store.month_close(MONTH)
    assert recorded is not None
    assert recorded.published
    assert sort_key(_one(1, START)) > sort_key_bound(
        utc_timestamp(START - timedelta(microseconds=1))
    )
