"""The figures the office reads, derived from counts: shares, rates, the index, coverage, ranks.

Definitions (the README's "Results" section says the same in words):
- share of an option = respondents who chose it / respondents who answered the question;
- satisfaction rate of a question = favourable / (favourable + unfavourable) answers: 不了解
  (neutral) stays out and is reported as the awareness gap = neutral / answered;
- satisfaction index (满意度指数) of a department-month = the mean score, on 0–100, of all its
  scored answers to satisfaction-scale questions (满意 100, 基本满意 80, 不满意 0; 不了解 has
  no score and is left out), i.e. Σ score × count / Σ count over those answers;
- problem rate of an unfavourable option of a yes/no or checklist question = respondents who
  chose it / respondents who answered the question;
- coverage (测评率) = responses / served subjects that month, flagged below the target.
A rate whose denominator is zero is None ("no data"), never 0.

Figures that deserve doubt carry flags (`FigureFlag`): a coverage above 100% (more answers than
subjects served: the served count is probably wrong), a served count changed after the 20th
(the denominator moved once the month's pace was known), and fewer responses than
`reporting.min_sample` (样本不足: shown, but not ranked: one answer is not a department's rate).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from manyi.aggregate import Counts, MonthlyResult
from manyi.model import Department, Entry, Question, Questionnaire, Valence
from manyi.selection import entry_counts


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class OptionFigure:
    id: str
    text: str
    valence: Valence
    count: int
    share: float | None


@dataclass(frozen=True, slots=True)
class QuestionFigures:
    id: str
    label: str  # 第N题 / the screening question's text / the ID of a retired question
    text: str
    section: str
    answered: int
    options: tuple[OptionFigure, ...]
    satisfaction_scale: bool
    satisfaction_rate: float | None
    awareness_gap: float | None
    problem_rates: tuple[OptionFigure, ...]  # the unfavourable options, share = problem rate


FigureFlag = Literal["coverage_above_100", "served_changed_late", "small_sample"]
FIGURE_FLAGS: tuple[FigureFlag, ...] = get_args(FigureFlag)


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    department: Department
    month: str
    counts: Counts
    late: Counts
    served: int | None
    coverage: float | None
    coverage_target: float
    satisfaction_index: float | None
    satisfaction_rate: float | None
    questions: tuple[QuestionFigures, ...]
    min_sample: int
    # Responses by channel group (self-completed, staff-entered), from the channels' `entry`:
    # every group, 0 when it has none.
    entries: Mapping[Entry, int]
    # The served count was set or changed after the 20th of the month (see `served_changes`).
    served_changed_late: bool

    @property
    def responses(self) -> int:
        return self.counts.responses

    def entry_share(self, entry: Entry) -> float | None:
        return ratio(self.entries[entry], self.responses)

    @property
    def small_sample(self) -> bool:
        return self.responses < self.min_sample

    @property
    def flags(self) -> tuple[FigureFlag, ...]:
        raised = {
            "coverage_above_100": self.coverage is not None and self.coverage > 1,
            "served_changed_late": self.served_changed_late,
            "small_sample": self.small_sample,
        }
        return tuple(flag for flag in FIGURE_FLAGS if raised[flag])

    @property
    def below_target(self) -> bool | None:
        """True/False against the target; None when the served count was not set."""
        return None if self.coverage is None else self.coverage < self.coverage_target


def question_label(question: Question) -> str:
    if question.number is None:
        return "答题人身份"
    prefix = "二、" if question.section == "private_enterprise" else ""
    return f"{prefix}第{question.number}题"


def question_figures(questionnaire: Questionnaire, counts: Counts) -> tuple[QuestionFigures, ...]:
    """Every question of the questionnaire, then any retired question found in the counts."""
    out = [_known_question(q, counts) for q in questionnaire.questions]
    known = {q.id for q in questionnaire.questions}
    for question_id in sorted(set(counts.answered) - known):
        chosen = counts.options.get(question_id, {})
        answered = counts.answered[question_id]
        options = tuple(
            OptionFigure(o, o, "neutral", n, ratio(n, answered)) for o, n in chosen.items()
        )
        out.append(
            QuestionFigures(
                question_id, question_id, "", "", answered, options, False, None, None, ()
            )
        )
    return tuple(out)


def _known_question(question: Question, counts: Counts) -> QuestionFigures:
    answered = counts.answered.get(question.id, 0)
    chosen = counts.options.get(question.id, {})
    options = [
        OptionFigure(
            o.id, o.text, o.valence, chosen.get(o.id, 0), ratio(chosen.get(o.id, 0), answered)
        )
        for o in question.options
    ]
    # Before the options the file no longer lists join: they have no valence, so no rate.
    by_valence = {v: sum(o.count for o in options if o.valence == v) for v in _VALENCES}
    listed = {o.id for o in question.options}
    options += [
        OptionFigure(o, o, "neutral", n, ratio(n, answered))
        for o, n in chosen.items()
        if o not in listed
    ]
    scale = question.is_satisfaction_scale
    rated = by_valence["favourable"] + by_valence["unfavourable"]
    return QuestionFigures(
        id=question.id,
        label=question_label(question),
        text=question.text,
        section=question.section,
        answered=answered,
        options=tuple(options),
        satisfaction_scale=scale,
        satisfaction_rate=ratio(by_valence["favourable"], rated) if scale else None,
        awareness_gap=ratio(by_valence["neutral"], answered) if scale else None,
        problem_rates=() if scale else tuple(o for o in options if o.valence == "unfavourable"),
    )


_VALENCES: tuple[Valence, ...] = ("favourable", "unfavourable", "neutral")


def satisfaction_index(questionnaire: Questionnaire, counts: Counts) -> float | None:
    points = 0.0
    scored = 0
    for question in questionnaire.questions:
        chosen = counts.options.get(question.id, {})
        for option in question.options:
            if option.score is not None:
                n = chosen.get(option.id, 0)
                points += option.score * n
                scored += n
    return ratio(points, scored)


def satisfaction_rate(questionnaire: Questionnaire, counts: Counts) -> float | None:
    """Favourable over rated answers, pooled over every satisfaction-scale question."""
    favourable = rated = 0
    for question in questionnaire.questions:
        if not question.is_satisfaction_scale:
            continue
        chosen = counts.options.get(question.id, {})
        for option in question.options:
            n = chosen.get(option.id, 0)
            if option.valence != "neutral":
                rated += n
                favourable += n if option.valence == "favourable" else 0
    return ratio(favourable, rated)


def department_figures(
    questionnaire: Questionnaire,
    result: MonthlyResult,
    served: int | None,
    department: Department | None = None,
    *,
    served_changed_late: bool = False,
) -> DepartmentFigures:
    if department is None:
        department = questionnaire.department(result.department) or Department(
            result.department, result.department, "city_department", ""
        )
    counts = result.counts
    return DepartmentFigures(
        department=department,
        month=result.month,
        counts=counts,
        late=result.late,
        served=served,
        coverage=ratio(counts.responses, served or 0),
        coverage_target=questionnaire.reporting.coverage_target,
        satisfaction_index=satisfaction_index(questionnaire, counts),
        satisfaction_rate=satisfaction_rate(questionnaire, counts),
        questions=question_figures(questionnaire, counts),
        min_sample=questionnaire.reporting.min_sample,
        entries=entry_counts(questionnaire, counts),
        served_changed_late=served_changed_late,
    )


RankingKey = Literal["satisfaction_index", "coverage"]


@dataclass(frozen=True, slots=True)
class RankedDepartment:
    rank: int | None  # None: a sample below the minimum (listed after), or no value (last)
    figures: DepartmentFigures
    value: float | None

    @property
    def small_sample(self) -> bool:
        return self.value is not None and self.rank is None


@dataclass(frozen=True)
class CitySummary:
    month: str
    departments: tuple[DepartmentFigures, ...]
    total: Counts
    late: Counts
    served: int  # of the departments whose served count is set
    coverage: float | None  # their responses over their served subjects
    satisfaction_index: float | None
    satisfaction_rate: float | None
    questions: tuple[QuestionFigures, ...]
    by_index: tuple[RankedDepartment, ...]
    by_coverage: tuple[RankedDepartment, ...]

    @property
    def below_target(self) -> tuple[DepartmentFigures, ...]:
        return tuple(d for d in self.departments if d.below_target)

    @property
    def without_served(self) -> tuple[DepartmentFigures, ...]:
        return tuple(d for d in self.departments if d.served is None)


def rank(departments: Sequence[DepartmentFigures], key: RankingKey) -> tuple[RankedDepartment, ...]:
    """Highest first; equal values share a rank (1, 2, 2, 4); then, unranked, the departments
    whose sample is below the minimum (by value), then those without a value."""
    valued = [(d, getattr(d, key)) for d in departments]
    by_value = sorted(((d, v) for d, v in valued if v is not None), key=lambda dv: -dv[1])
    out: list[RankedDepartment] = []
    for figures, value in (dv for dv in by_value if not dv[0].small_sample):
        same = out and out[-1].value == value
        out.append(RankedDepartment(out[-1].rank if same else len(out) + 1, figures, value))
    out += [RankedDepartment(None, d, v) for d, v in by_value if d.small_sample]
    out += [RankedDepartment(None, d, None) for d, v in valued if v is None]
    return tuple(out)


def city_summary(
    questionnaire: Questionnaire,
    month: str,
    results: Iterable[MonthlyResult],
    served: Mapping[str, int],
    served_changed_late: Collection[str] = (),
) -> CitySummary:
    """Every department of the questionnaire, with or without responses, then the city's sums."""
    by_department = {r.department: r for r in results if r.month == month}
    listed = [d.id for d in questionnaire.departments]
    extra = sorted(set(by_department) - set(listed))  # a department since removed from the list
    departments = tuple(
        department_figures(
            questionnaire,
            by_department.get(d, MonthlyResult(d, month)),
            served.get(d),
            served_changed_late=d in served_changed_late,
        )
        for d in [*listed, *extra]
    )
    total = sum((d.counts for d in departments), Counts())
    late = sum((d.late for d in departments), Counts())
    with_served = [d for d in departments if d.served]
    served_total = sum(d.served or 0 for d in departments)
    return CitySummary(
        month=month,
        departments=departments,
        total=total,
        late=late,
        served=served_total,
        coverage=ratio(sum(d.responses for d in with_served), served_total),
        satisfaction_index=satisfaction_index(questionnaire, total),
        satisfaction_rate=satisfaction_rate(questionnaire, total),
        questions=question_figures(questionnaire, total),
        by_index=rank(departments, "satisfaction_index"),
        by_coverage=rank(departments, "coverage"),
    )
