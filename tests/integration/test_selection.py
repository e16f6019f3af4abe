"""Figures for one respondent type or one channel group, from the segments the aggregator keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from manyi.aggregate import Counts, MonthlyResult, count, without_segments
from manyi.model import Questionnaire
from manyi.reports.json_export import month_json
from manyi.reports.view import month_view
from manyi.results.run import Aggregator
from manyi.selection import BadSelection, Selection, parse_selection
from manyi.store.results.base import DepartmentMonthState
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.submission import StoredSubmission
from tests.responses import stored
from tests.results_data import NOW, counted_store

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def answers(respondent: str, q9: str) -> dict[str, str | tuple[str, ...]]:
    return {"respondent": respondent, "q9": q9}


# (channel, respondent, q9): leaflet and wechat are self-completed, phone and visit staff-entered.
RESPONSES = [
    ("leaflet", "private", "satisfied"),
    ("leaflet", "person", "dissatisfied"),
    ("wechat", "private", "dissatisfied"),
    ("phone", "private", "satisfied"),
    ("phone", "person", "satisfied"),
    ("visit", "person", "satisfied"),
]


def submissions() -> list[StoredSubmission]:
    return [
        stored(
            f"s-{i:03d}",
            START + timedelta(hours=i),
            answers(respondent, q9),
            channel=channel,
        )
        for i, (channel, respondent, q9) in enumerate(RESPONSES)
    ]


def test_segments_add_up_to_the_totals_and_survive_the_round_trip() -> None:
    counts = count(submissions())
    assert set(counts.segments) == {
        "leaflet/private", "leaflet/person", "wechat/private", "phone/private", "phone/person",
        "visit/person",
    }  # fmt: skip
    assert sum(c.responses for c in counts.segments.values()) == counts.responses == 6
    assert Counts.from_dict(counts.to_dict()) == counts
    # Merging two halves gives the counts of the whole, segments included.
    subs = submissions()
    assert count(subs[:2]) + count(subs[2:]) == counts


def test_counts_stored_before_segments_load_without_them() -> None:
    old = count(submissions()).to_dict()
    del old["segments"]
    assert Counts.from_dict(old).segments == {}


def test_a_selection_counts_only_its_responses(questionnaire: Questionnaire) -> None:
    result = MonthlyResult("sifaju", "2026-11", count(submissions()))
    staff = Selection(entry="staff").result(questionnaire, result).counts
    self_completed = Selection(entry="self").result(questionnaire, result).counts
    private = Selection(respondent="private").result(questionnaire, result).counts
    both = Selection(respondent="private", entry="self").result(questionnaire, result).counts
    assert staff.responses == 3
    assert staff.options["q9"] == {"satisfied": 3}
    assert self_completed.responses == 3
    assert self_completed.options["q9"] == {"dissatisfied": 2, "satisfied": 1}
    assert private.channels == {"leaflet": 1, "phone": 1, "wechat": 1}
    assert both.responses == 2
    assert staff + self_completed == Counts(
        result.counts.responses,
        result.counts.channels,
        result.counts.versions,
        result.counts.answered,
        result.counts.options,
    )


def test_a_filtered_view_and_its_export_show_the_split(questionnaire: Questionnaire) -> None:
    store = counted_store(questionnaire, submissions())
    everything = month_view(questionnaire, store, "2026-11")
    sifaju = everything.city.departments[0]
    assert sifaju.entries == {"self": 3, "staff": 3}
    assert sifaju.entry_share("self") == 0.5
    staff = month_view(questionnaire, store, "2026-11", selection=Selection(entry="staff"))
    figures = staff.city.departments[0]
    assert figures.responses == 3
    assert figures.satisfaction_index == 100.0  # phone and visit: every answer 满意
    assert everything.city.departments[0].satisfaction_index == pytest.approx(400 / 6)
    exported = month_json(staff)
    assert exported["departments"][0]["by_entry"] == {"self": 0, "staff": 3}
    assert staff.selection.label(questionnaire) == "工作人员代录"


def test_an_unknown_filter_value_is_refused_in_chinese(questionnaire: Questionnaire) -> None:
    assert parse_selection(questionnaire, " private ", "") == Selection(respondent="private")
    with pytest.raises(BadSelection, match="答题人身份“farmer”不存在"):
        parse_selection(questionnaire, "farmer", None)
    with pytest.raises(BadSelection, match="填写方式“clerk”不存在"):
        parse_selection(questionnaire, None, "clerk")


def test_a_month_counted_by_an_older_release_is_counted_again_once_and_verifies(
    questionnaire: Questionnaire,
) -> None:
    subs = submissions()
    source = MemorySubmissionStore(subs[:4])
    store = SqliteResultsStore(":memory:")
    aggregator = Aggregator(questionnaire, source, store)
    aggregator.run(NOW, ["2026-11"])
    state = store.state("sifaju", "2026-11")
    old = DepartmentMonthState(without_segments(state.result), state.version + 1, state.watermark)
    store.put_state(old, state.version)  # as a release before segments left it
    assert aggregator.verify("2026-11") == []  # a frozen older month is no disagreement
    for submission in subs[4:]:
        source.put(submission)
    aggregator.run(NOW + timedelta(hours=1), ["2026-11"])
    counts = store.state("sifaju", "2026-11").result.counts
    assert counts.responses == 6
    assert sum(c.responses for c in counts.segments.values()) == 6
    assert Selection(entry="staff").counts(questionnaire, counts).responses == 3
    assert aggregator.verify("2026-11") == []
