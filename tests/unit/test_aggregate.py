"""The maths of results: hand-computed fixtures, and the merge law for any split of responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.aggregate import Counts, MonthlyResult, Tally, count
from manyi.answers import check_answers
from manyi.figures import city_summary, department_figures, rank
from manyi.model import Questionnaire
from manyi.submission import StoredSubmission
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
