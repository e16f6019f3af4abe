"""The maths of results: hand-computed fixtures, and the merge law for any split of responses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.aggregate import (
    EMPTY,
    Counts,
    MonthlyResult,
    Tally,
    count,
    segment_parts,
    without_segments,
    without_traits,
)
from manyi.answers import check_answers
from manyi.figures import city_summary, department_figures, rank
from manyi.model import Questionnaire
from manyi.submission import StoredSubmission
from manyi.traits import NO_TRAITS, TraitCounter
from tests.responses import stored
from tests.results_data import with_min_sample
from tests.unit.test_answers import QUESTIONNAIRE, valid_answers

SAT = [f"q{n}" for n in range(9, 17)]
MOMENT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def _answers(base: dict[str, str | tuple[str, ...]], satisfaction: list[str]) -> dict[str, object]:
    return {**base, **dict(zip(SAT, satisfaction, strict=True))}


FOUR = [
    _answers(
        {"respondent": "person", "q1": ("unlawful_procedure", "not_handled"), "q2": "yes",
         "q3": ("rough",), "q4": "yes", "q5": "no", "q6": "yes", "q7": "no", "q8": "no"},
        ["satisfied"] * 8,
    ),
    _answers(
        {"respondent": "private", "q1": ("none",), "q2": "no", "q4": "no", "q5": "yes",
         "q6": "yes", "q7": "yes", "q8": "no", "p1": "yes", "p2": "no", "p3": "no", "p4": "no",
         "p5": "no"},
        ["basically_satisfied"] * 8,
    ),
    _answers(
        {"respondent": "person", "q1": ("none",), "q2": "no", "q4": "yes", "q5": "no",
         "q6": "no", "q7": "yes", "q8": "yes"},
        ["dissatisfied"] + ["unknown"] * 7,
    ),
    _answers(
        {"respondent": "other_org", "q1": ("not_disclosed",), "q2": "yes", "q3": ("none",),
         "q4": "yes", "q5": "no", "q6": "yes", "q7": "yes", "q8": "no"},
        ["satisfied"] * 8,
    ),
]  # fmt: skip


def four_submissions() -> list[StoredSubmission]:
    out = []
    for i, raw in enumerate(FOUR):
        checked = check_answers(QUESTIONNAIRE, raw)
        assert checked.ok, checked.errors
        channel = "phone" if i == 2 else "leaflet"
        out.append(stored(f"sub-{i:04d}", MOMENT + timedelta(minutes=i), checked.answers,
                          channel=channel, version="v2" if i == 3 else "v1"))  # fmt: skip
    return out


def test_counts_of_four_hand_computed_responses() -> None:
    counts = count(four_submissions())
    assert counts.responses == 4
    assert counts.channels == {"leaflet": 3, "phone": 1}
    assert counts.versions == {"v1": 3, "v2": 1}
    assert counts.respondent_types == {"other_org": 1, "person": 2, "private": 1}
    assert counts.options["q1"] == {
        "none": 2, "not_disclosed": 1, "not_handled": 1, "unlawful_procedure": 1
    }  # fmt: skip
    assert counts.answered["q1"] == 4
    assert counts.answered["q3"] == 2
    assert counts.options["q3"] == {"none": 1, "rough": 1}
    assert counts.answered["p1"] == 1


def test_figures_of_four_hand_computed_responses(questionnaire: Questionnaire) -> None:
    result = MonthlyResult("sifaju", "2026-11", count(four_submissions()))
    figures = department_figures(questionnaire, result, served=5)
    assert figures.coverage == pytest.approx(0.8)
    assert figures.below_target is True
    # Points: q9 2×100 + 80 + 0 over 4 answers; q10–q16 each 2×100 + 80 over 3 (不了解 out).
    assert figures.satisfaction_index == pytest.approx(2240 / 25)
    assert figures.satisfaction_rate == pytest.approx(24 / 25)
    by_id = {q.id: q for q in figures.questions}
    assert by_id["q9"].satisfaction_rate == pytest.approx(3 / 4)
    assert by_id["q9"].awareness_gap == 0
    assert by_id["q10"].satisfaction_rate == 1
    assert by_id["q10"].awareness_gap == pytest.approx(1 / 4)
    problems = {(q.id, o.id): o.share for q in figures.questions for o in q.problem_rates}
    assert problems[("q1", "unlawful_procedure")] == pytest.approx(1 / 4)
    assert problems[("q1", "not_disclosed")] == pytest.approx(1 / 4)
    assert problems[("q3", "rough")] == pytest.approx(1 / 2)
    assert problems[("q4", "no")] == pytest.approx(1 / 4)  # 有 is the good answer in Q4
    assert problems[("q5", "yes")] == pytest.approx(1 / 4)
    assert problems[("q8", "yes")] == pytest.approx(1 / 4)
    assert problems[("p1", "yes")] == 1
    assert ("q1", "none") not in problems
    assert not by_id["q9"].problem_rates  # satisfaction scales have rates, not problems
    shares = {o.id: o.share for o in by_id["q1"].options}
    assert shares["none"] == pytest.approx(1 / 2)


def test_no_data_is_none_not_zero(questionnaire: Questionnaire) -> None:
    figures = department_figures(questionnaire, MonthlyResult("sifaju", "2026-11"), served=None)
    assert figures.coverage is None
    assert figures.below_target is None
    assert figures.satisfaction_index is None
    assert all(q.satisfaction_rate is None for q in figures.questions)


def test_retired_questions_and_options_are_still_counted(questionnaire: Questionnaire) -> None:
    old = stored("old-0001", MOMENT, {"q9": "great", "q99": "x"}, version="v0")
    figures = department_figures(
        questionnaire, MonthlyResult("sifaju", "2026-11", count([old])), None
    )
    by_id = {q.id: q for q in figures.questions}
    assert by_id["q99"].options[0].count == 1
    assert {o.id: o.count for o in by_id["q9"].options}["great"] == 1
    assert by_id["q9"].satisfaction_rate is None  # an unknown option has no valence


def test_city_summary_and_rankings(questionnaire: Questionnaire) -> None:
    questionnaire = with_min_sample(questionnaire, 1)  # the ranks of a few answers each
    subs = four_submissions()
    results = [
        MonthlyResult("sifaju", "2026-11", count(subs[:2])),  # index (800 + 640) / 16 = 90
        MonthlyResult("gonganju", "2026-11", count(subs[3:])),  # index 100
        MonthlyResult("yexian", "2026-11", count(subs[1:2])),  # index 80
        MonthlyResult("jiaxian", "2026-11", count(subs[3:])),  # index 100 (tie)
    ]
    served = {"sifaju": 2, "gonganju": 10, "yexian": 1}
    city = city_summary(questionnaire, "2026-11", results, served)
    assert len(city.departments) == len(questionnaire.departments)
    assert city.total.responses == 5
    assert city.served == 13
    assert city.coverage == pytest.approx(4 / 13)
    top = [(r.rank, r.figures.department.id) for r in city.by_index[:4]]
    assert top == [(1, "gonganju"), (1, "jiaxian"), (3, "sifaju"), (4, "yexian")]
    assert city.by_index[4].rank is None
    coverage = [(r.rank, r.figures.department.id, r.value) for r in city.by_coverage[:3]]
    assert coverage == [(1, "sifaju", 1.0), (1, "yexian", 1.0), (3, "gonganju", 0.1)]
    assert {d.department.id for d in city.below_target} == {"gonganju"}
    assert len(city.without_served) == len(questionnaire.departments) - 3
    assert rank([], "coverage") == ()


@st.composite
def submissions(draw: st.DrawFn, max_size: int = 12) -> list[StoredSubmission]:
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        answers = check_answers(QUESTIONNAIRE, draw(valid_answers())).answers
        out.append(
            stored(
                f"s-{i:06d}",
                MOMENT + timedelta(seconds=draw(st.integers(0, 10_000))),
                answers,
                channel=draw(st.sampled_from(["leaflet", "wechat", "phone"])),
                version=draw(st.sampled_from(["v1", "v2"])),
            )
        )
    return out


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions(), st.data())
def test_merge_law(subs: list[StoredSubmission], data: st.DataObject) -> None:
    """count(A ∪ B) == count(A) + count(B), for every split, and merging is associative."""
    cut = data.draw(st.integers(0, len(subs)))
    a, b = subs[:cut], subs[cut:]
    assert count(subs) == count(a) + count(b)
    assert count(a) + count(b) == count(b) + count(a)
    assert count(a) + Counts() == count(a)
    result = MonthlyResult("sifaju", "2026-11", count(a), count(b))
    assert MonthlyResult.from_dict(result.to_dict()) == result
    assert result.merge(MonthlyResult("sifaju", "2026-11")) == result


def test_merging_other_department_months_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot merge"):
        MonthlyResult("sifaju", "2026-11").merge(MonthlyResult("sifaju", "2026-10"))


def test_add_until_stops_at_the_first_item_that_reaches_the_bound() -> None:
    subs = four_submissions()
    items = iter([(f"R#{i}", s) for i, s in enumerate(subs)])
    report = Tally()
    assert report.add_until(items, "R#2") == ("R#2", subs[2])  # reaching is enough: not added
    assert report.counts() == count(subs[:2])
    rest = Tally()
    assert rest.add_until(items, "R#9") is None  # ran out below the bound
    assert rest.counts() == count(subs[3:])


def _whole(counts: Counts) -> Counts:
    """The counts without the parts they are kept in: what a segment, or an old release, holds."""
    return replace(counts, segments={}, traits=NO_TRAITS)


def test_segments_are_kept_by_channel_and_respondent_type_and_read_alone() -> None:
    subs = four_submissions()  # phone: subs[2]; persons: subs[0] and subs[2]
    counts = count(subs)
    assert {key: c.responses for key, c in counts.segments.items()} == {
        "leaflet/other_org": 1, "leaflet/person": 1, "leaflet/private": 1, "phone/person": 1
    }  # fmt: skip
    assert counts.segments["phone/person"] == _whole(count(subs[2:3]))
    assert counts.only(lambda channel, respondent: channel == "phone") == _whole(count(subs[2:3]))
    persons = counts.only(lambda channel, respondent: respondent == "person")
    assert persons == _whole(count([subs[0], subs[2]]))
    assert counts.only(lambda channel, respondent: True) == _whole(counts)
    assert counts.only(lambda channel, respondent: False) == EMPTY
    # A response without a respondent type is kept under the empty one.
    anonymous = stored("anon-0001", MOMENT, {"q9": "satisfied"}, channel="wechat")
    assert list(count([anonymous]).segments) == ["wechat/"]
    # So is one whose respondent answer is not a single option (no version ever sent that).
    listed = anonymous._replace(answers={"respondent": ("person",), "q9": "satisfied"})
    assert list(count([listed]).segments) == ["wechat/"]
    assert segment_parts("wechat/") == ("wechat", "")
    assert segment_parts("leaflet/other_org") == ("leaflet", "other_org")


def test_an_older_releases_month_is_read_without_what_it_did_not_keep(
    questionnaire: Questionnaire,
) -> None:
    subs = four_submissions()
    counter = TraitCounter(questionnaire)
    report, late = (Tally(counter).add_all(part).counts() for part in (subs[:3], subs[3:]))
    assert all(c.segments and c.traits for c in (report, late))  # what is to be left out
    result = MonthlyResult("sifaju", "2026-11", report, late)
    assert without_segments(result) == MonthlyResult(
        "sifaju", "2026-11", _whole(report), _whole(late)
    )
    assert without_traits(result) == MonthlyResult(
        "sifaju", "2026-11", replace(report, traits=NO_TRAITS), replace(late, traits=NO_TRAITS)
    )


def test_counts_without_segments_or_traits_are_stored_as_older_releases_stored_them() -> None:
    plain = Counts(responses=1, channels={"leaflet": 1}, versions={"v1": 1})
    assert plain.to_dict() == {
        "responses": 1, "channels": {"leaflet": 1}, "versions": {"v1": 1}, "answered": {},
        "options": {},
    }  # fmt: skip
    assert Counts.from_dict(plain.to_dict()) == plain
