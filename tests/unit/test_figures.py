"""The office's figures from hand-built counts: zero counts, unknown IDs, empty months, ties.

`test_aggregate.py` checks the figures of real responses end to end; here each edge the office
ranks departments by is pinned on its own, so that a changed default, a flipped condition or a
dropped field fails a test (the mutation run, docs/testing.md, checks that it does).
"""

from __future__ import annotations

import pytest

from manyi.aggregate import Counts, MonthlyResult
from manyi.figures import (
    OptionFigure,
    QuestionFigures,
    city_summary,
    department_figures,
    question_figures,
    question_label,
    rank,
    satisfaction_index,
    satisfaction_rate,
)
from manyi.model import Department, Questionnaire
from tests.results_data import with_min_sample

MONTH = "2026-11"


def counts(
    responses: int, options: dict[str, dict[str, int]], answered: dict[str, int] | None = None
) -> Counts:
    """Counts as the aggregator stores them; `answered` defaults to one choice per respondent."""
    if answered is None:
        answered = {q: sum(chosen.values()) for q, chosen in options.items()}
    return Counts(responses=responses, answered=answered, options=options) + Counts()


def by_id(figures: tuple[QuestionFigures, ...]) -> dict[str, QuestionFigures]:
    return {q.id: q for q in figures}


def listed_options(questionnaire: Questionnaire, question_id: str) -> list[tuple[str, str, str]]:
    question = questionnaire.question(question_id)
    assert question is not None
    return [(o.id, o.text, o.valence) for o in question.options]


# -- one question ---------------------------------------------------------------------------


def test_labels_name_questions_as_the_paper_numbers_them(questionnaire: Questionnaire) -> None:
    labels = {q.id: question_label(q) for q in questionnaire.questions}
    assert labels["respondent"] == "答题人身份"
    assert labels["q1"] == "第1题"
    assert labels["q16"] == "第16题"
    assert labels["p1"] == "二、第1题"  # section 二 numbers its questions from 1 again
    assert labels["p5"] == "二、第5题"
    figures = question_figures(questionnaire, Counts())
    assert [q.label for q in figures] == [labels[q.id] for q in questionnaire.questions]


def test_an_option_nobody_chose_has_a_share_of_zero(questionnaire: Questionnaire) -> None:
    q4 = by_id(question_figures(questionnaire, counts(2, {"q4": {"yes": 2}})))["q4"]
    question = questionnaire.question("q4")
    assert question is not None
    assert (q4.id, q4.label, q4.text, q4.section) == ("q4", "第4题", question.text, "required")
    assert q4.answered == 2
    assert [(o.id, o.text, o.valence, o.count, o.share) for o in q4.options] == [
        ("yes", "有", "favourable", 2, 1.0),
        ("no", "没有", "unfavourable", 0, 0.0),
    ]
    # Nobody said 没有: its problem rate is a real 0 %, not "no data".
    assert q4.problem_rates == (OptionFigure("no", "没有", "unfavourable", 0, 0.0),)


def test_a_question_nobody_answered_has_no_data_not_zero(questionnaire: Questionnaire) -> None:
    figures = by_id(question_figures(questionnaire, counts(1, {"q4": {"yes": 1}})))
    for question_id in ("q5", "q9"):
        unanswered = figures[question_id]
        assert unanswered.answered == 0
        assert [(o.id, o.text, o.valence) for o in unanswered.options] == listed_options(
            questionnaire, question_id
        )
        assert {(o.count, o.share) for o in unanswered.options} == {(0, None)}
    assert figures["q9"].satisfaction_rate is None
    assert figures["q9"].awareness_gap is None
    assert [(o.id, o.share) for o in figures["q5"].problem_rates] == [("yes", None)]


def test_rates_belong_to_scales_and_problems_to_the_other_questions(
    questionnaire: Questionnaire,
) -> None:
    given = counts(4, {"q9": {"satisfied": 1, "dissatisfied": 1, "unknown": 2}, "q5": {"yes": 4}})
    figures = by_id(question_figures(questionnaire, given))
    q9, q5 = figures["q9"], figures["q5"]
    assert q9.satisfaction_scale is True
    assert q9.satisfaction_rate == 0.5  # 满意 over 满意 + 不满意; 不了解 stays out
    assert q9.awareness_gap == 0.5
    assert q9.problem_rates == ()
    assert q5.satisfaction_scale is False
    assert q5.satisfaction_rate is None  # answered, but not a satisfaction scale
    assert q5.awareness_gap is None
    assert [(o.id, o.share) for o in q5.problem_rates] == [("yes", 1.0)]


def test_an_option_the_file_no_longer_lists_is_shown_but_left_out_of_every_rate(
    questionnaire: Questionnaire,
) -> None:
    # Responses of an older version: q9 once had a 很满意 ("great"), q1 a "fees" problem.
    given = counts(
        4,
        {"q9": {"satisfied": 1, "great": 3}, "q1": {"fees": 2, "none": 2}},
        answered={"q9": 4, "q1": 4},
    )
    figures = by_id(question_figures(questionnaire, given))
    q9 = figures["q9"]
    assert q9.options[-1] == OptionFigure("great", "great", "neutral", 3, 0.75)
    assert [o.id for o in q9.options[:-1]] == [o[0] for o in listed_options(questionnaire, "q9")]
    assert q9.satisfaction_rate == 1.0
    # "great" is not 不了解: it has no valence at all, so it must not widen the awareness gap.
    assert q9.awareness_gap == 0.0
    q1 = figures["q1"]
    assert q1.options[-1] == OptionFigure("fees", "fees", "neutral", 2, 0.5)
    problems = ["unlawful_procedure", "not_handled", "not_disclosed"]
    assert [o.id for o in q1.problem_rates] == problems
    assert satisfaction_index(questionnaire, given) == 100.0
    assert satisfaction_rate(questionnaire, given) == 1.0


def test_a_question_the_file_no_longer_lists_follows_the_others_by_id(
    questionnaire: Questionnaire,
) -> None:
    given = Counts(
        responses=3,
        answered={"q4": 3, "zz_old": 3, "aa_old": 2},
        # aa_old was answered with an empty choice: counted as answered, no option chosen.
        options={"q4": {"yes": 3}, "zz_old": {"a": 2, "b": 1}},
    )
    figures = question_figures(questionnaire, given)
    assert [q.id for q in figures[: len(questionnaire.questions)]] == [
        q.id for q in questionnaire.questions
    ]
    aa_old, zz_old = figures[len(questionnaire.questions) :]
    assert aa_old == QuestionFigures("aa_old", "aa_old", "", "", 2, (), False, None, None, ())
    assert zz_old == QuestionFigures(
        id="zz_old",
        label="zz_old",
        text="",
        section="",
        answered=3,
        options=(
            OptionFigure("a", "a", "neutral", 2, 2 / 3),
            OptionFigure("b", "b", "neutral", 1, 1 / 3),
        ),
        satisfaction_scale=False,
        satisfaction_rate=None,
        awareness_gap=None,
        problem_rates=(),
    )


# -- one department -------------------------------------------------------------------------


def test_a_listed_department_is_named_as_the_file_names_it(questionnaire: Questionnaire) -> None:
    report = counts(9, {"q9": {"satisfied": 5, "basically_satisfied": 4}})
    late = counts(1, {"q9": {"dissatisfied": 1}})
    figures = department_figures(questionnaire, MonthlyResult("sifaju", MONTH, report, late), 10)
    assert figures.department == questionnaire.department("sifaju")
    assert figures.department.name == "平顶山市司法局"
    assert (figures.month, figures.counts, figures.late) == (MONTH, report, late)
    assert (figures.served, figures.responses, figures.coverage) == (10, 9, 0.9)
    assert figures.coverage_target == questionnaire.reporting.coverage_target == 0.9
    assert figures.below_target is False  # exactly on target is not below it
    assert figures.satisfaction_index == pytest.approx((5 * 100 + 4 * 80) / 9)
    assert figures.satisfaction_rate == 1.0  # the late 不满意 is not in the report
    assert figures.questions == question_figures(questionnaire, report)


def test_a_department_the_file_no_longer_lists_is_shown_by_its_id(
    questionnaire: Questionnaire,
) -> None:
    result = MonthlyResult("old_bureau", MONTH, counts(1, {"q4": {"yes": 1}}))
    figures = department_figures(questionnaire, result, None)
    assert figures.department == Department("old_bureau", "old_bureau", "city_department", "")
    named = Department("old_bureau", "原某局", "city_department", "0375-0000000")
    assert department_figures(questionnaire, result, None, named).department == named


@pytest.mark.parametrize(
    ("responses", "served", "coverage", "below"),
    [
        (8, 10, 0.8, True),
        (9, 10, 0.9, False),
        (12, 10, 1.2, False),
        (0, 10, 0.0, True),
        (3, None, None, None),  # served count not set: no coverage, not flagged
        (3, 0, None, None),  # no subjects served this month: nothing to cover
    ],
)
def test_coverage_and_its_target(
    questionnaire: Questionnaire,
    responses: int,
    served: int | None,
    coverage: float | None,
    below: bool | None,
) -> None:
    result = MonthlyResult("sifaju", MONTH, Counts(responses=responses))
    figures = department_figures(questionnaire, result, served)
    assert figures.coverage == coverage
    assert figures.below_target is below


# -- the city -------------------------------------------------------------------------------


def test_ranks_share_ties_skip_after_them_and_list_departments_without_a_value_last(
    questionnaire: Questionnaire,
) -> None:
    questionnaire = with_min_sample(questionnaire, 1)
    coverage = {"a": (1, 2), "b": (0, None), "c": (2, 2), "d": (3, 6), "e": (4, 0), "f": (1, 5)}
    departments = [
        department_figures(
            questionnaire,
            MonthlyResult(d, MONTH, Counts(responses=responses)),
            served,
        )
        for d, (responses, served) in coverage.items()
    ]
    named = {d.department.id: d for d in departments}
    ranked = rank(departments, "coverage")
    assert [(r.rank, r.figures, r.value) for r in ranked] == [
        (1, named["c"], 1.0),
        (2, named["a"], 0.5),
        (2, named["d"], 0.5),
        (4, named["f"], 0.2),
        (None, named["b"], None),
        (None, named["e"], None),
    ]


def test_an_empty_month_lists_every_department_without_data(
    questionnaire: Questionnaire,
) -> None:
    other_month = MonthlyResult("sifaju", "2026-10", counts(2, {"q4": {"yes": 2}}))
    city = city_summary(questionnaire, MONTH, [other_month], {})
    assert city.month == MONTH
    assert [d.department for d in city.departments] == list(questionnaire.departments)
    assert {d.month for d in city.departments} == {MONTH}
    assert city.total == Counts()
    assert city.late == Counts()
    assert (city.served, city.coverage) == (0, None)
    assert (city.satisfaction_index, city.satisfaction_rate) == (None, None)
    assert city.questions == question_figures(questionnaire, Counts())
    for ranking in (city.by_index, city.by_coverage):
        assert [(r.rank, r.figures, r.value) for r in ranking] == [
            (None, d, None) for d in city.departments
        ]
    assert city.below_target == ()
    assert city.without_served == city.departments


def test_the_city_adds_up_every_department_found_listed_or_not(
    questionnaire: Questionnaire,
) -> None:
    questionnaire = with_min_sample(questionnaire, 0)  # rank every department
    sifaju = counts(4, {"q9": {"satisfied": 3, "dissatisfied": 1}})
    gonganju = counts(2, {"q9": {"basically_satisfied": 1, "unknown": 1}})
    old_bureau = counts(1, {"q9": {"satisfied": 1}})
    late = counts(1, {"q9": {"unknown": 1}})
    results = [
        MonthlyResult("sifaju", MONTH, sifaju, late),
        MonthlyResult("gonganju", MONTH, gonganju),
        MonthlyResult("old_bureau", MONTH, old_bureau, late),
        MonthlyResult("gonganju", "2026-10", sifaju),  # another month: not in this one
    ]
    served = {"sifaju": 5, "gonganju": 0, "xinfangju": 5}
    city = city_summary(questionnaire, MONTH, results, served, served_changed_late={"sifaju"})

    ids = [d.department.id for d in city.departments]
    assert ids == [*(d.id for d in questionnaire.departments), "old_bureau"]
    figures = {d.department.id: d for d in city.departments}
    assert figures["gonganju"].counts == gonganju
    assert figures["old_bureau"].department.name == "old_bureau"
    assert city.total == sifaju + gonganju + old_bureau
    assert city.late == late + late
    # Served counts set for sifaju (4 of 5) and xinfangju (0 of 5); gonganju served none.
    assert city.served == 10
    assert city.coverage == 0.4
    # (3×100 + 0 + 80 + 100) / 6 scored answers; 不了解 has no score.
    assert city.satisfaction_index == pytest.approx(480 / 6)
    assert city.satisfaction_rate == pytest.approx(5 / 6)
    assert city.questions == question_figures(questionnaire, city.total)
    assert [(r.rank, r.figures.department.id) for r in city.by_index[:3]] == [
        (1, "old_bureau"),
        (2, "gonganju"),
        (3, "sifaju"),
    ]
    assert [(r.rank, r.figures.department.id) for r in city.by_coverage[:2]] == [
        (1, "sifaju"),
        (2, "xinfangju"),
    ]
    assert {d.department.id for d in city.below_target} == {"sifaju", "xinfangju"}
    assert "gonganju" not in {d.department.id for d in city.without_served}
    late_served = {d.department.id for d in city.departments if d.served_changed_late}
    assert late_served == {"sifaju"}


def test_a_department_below_the_minimum_sample_is_listed_unranked_after_the_ranked_ones(
    questionnaire: Questionnaire,
) -> None:
    questionnaire = with_min_sample(questionnaire, 30)
    coverage = {"jiaxian": (1, 1), "a": (30, 40), "b": (45, 50), "c": (0, None)}
    departments = [
        department_figures(questionnaire, MonthlyResult(d, MONTH, Counts(responses=n)), served)
        for d, (n, served) in coverage.items()
    ]
    ranked = rank(departments, "coverage")
    assert [(r.rank, r.figures.department.id, r.small_sample) for r in ranked] == [
        (1, "b", False),
        (2, "a", False),
        (None, "jiaxian", True),  # 100% of 1 served: above both, yet 样本不足
        (None, "c", False),
    ]
    assert departments[0].flags == ("small_sample",)


def test_figures_that_deserve_doubt_are_flagged(questionnaire: Questionnaire) -> None:
    questionnaire = with_min_sample(questionnaire, 30)
    over = department_figures(questionnaire, MonthlyResult("a", MONTH, Counts(responses=43)), 40)
    moved = department_figures(
        questionnaire,
        MonthlyResult("a", MONTH, Counts(responses=36)),
        40,
        served_changed_late=True,
    )
    plain = department_figures(questionnaire, MonthlyResult("a", MONTH, Counts(responses=36)), 40)
    assert over.flags == ("coverage_above_100",)
    assert moved.flags == ("served_changed_late",)
    assert plain.flags == ()


def test_entry_shares_split_the_responses_by_who_filled_them_in(
    questionnaire: Questionnaire,
) -> None:
    leaflets_and_a_call = Counts(responses=4, channels={"leaflet": 3, "phone": 1})
    figures = department_figures(questionnaire, MonthlyResult("a", MONTH, leaflets_and_a_call), 8)
    assert figures.entries == {"self": 3, "staff": 1}
    assert (figures.entry_share("self"), figures.entry_share("staff")) == (0.75, 0.25)
    only_leaflets = Counts(responses=2, channels={"leaflet": 2})
    figures = department_figures(questionnaire, MonthlyResult("a", MONTH, only_leaflets), 8)
    assert (figures.entry_share("self"), figures.entry_share("staff")) == (1, 0)
    nothing = department_figures(questionnaire, MonthlyResult("a", MONTH), 8)
    assert nothing.entry_share("self") is None  # no responses: no share, not 0
