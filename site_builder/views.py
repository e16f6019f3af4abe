"""What a template shows, worked out in Python: texts filled in, hints, errors, checked options.

Templates only lay these values out, so the rules (which hint, which label, what is checked)
are plain code that the tests can read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from manyi.model import Condition, Department, Question, Questionnaire, Section

# The meta fields of a submission, named for a citizen when the collector rejects one.
META_FIELD_LABELS = {
    "submission_id": "提交编号",
    "department": "单位",
    "version": "问卷版本",
    "channel": "填写渠道",
    "website": "表单",
    "answers": "答卷",
}


class FieldProblem(Protocol):
    """What the collector reports about one field (`manyi.submission.FieldError` fits)."""

    @property
    def field(self) -> str: ...

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OptionView:
    id: str
    text: str
    exclusive: bool
    checked: bool


@dataclass(frozen=True, slots=True)
class QuestionView:
    id: str
    label: str  # "1." or "" for the added, unnumbered question
    reference: str  # "第一部分第1题": how the list of problems names it
    text: str
    kind: str
    required: bool
    # `required` on the radios only where the browser can enforce it with JavaScript off: an
    # unconditional single choice (a conditional one may not apply; checkboxes cannot say
    # "at least one").
    required_attribute: bool
    condition: Condition | None
    condition_hint: str
    options: tuple[OptionView, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class SectionView:
    id: str
    title: str
    condition: Condition | None
    condition_hint: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True, slots=True)
class ProblemView:
    href: str | None  # the question's anchor, if the problem belongs to a question
    label: str
    message: str


def section_views(
    questionnaire: Questionnaire,
    department: Department,
    answers: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> tuple[SectionView, ...]:
    answers = answers or {}
    errors = errors or {}
    return tuple(
        SectionView(
            id=section.id,
            title=questionnaire.text_for(section.title, department),
            condition=section.when,
            condition_hint=_condition_hint(questionnaire, section.when, "回答本部分"),
            questions=tuple(
                _question_view(questionnaire, department, q, answers.get(q.id), errors.get(q.id))
                for q in section.questions
            ),
        )
        for section in questionnaire.sections
    )


def problem_views(
    questionnaire: Questionnaire, problems: Iterable[FieldProblem]
) -> tuple[ProblemView, ...]:
    views = []
    for problem in problems:
        question = questionnaire.question(problem.field)
        if question is None:
            label = META_FIELD_LABELS.get(problem.field, "答卷")
            views.append(ProblemView(None, label, problem.message))
        else:
            views.append(
                ProblemView(
                    f"#q-{question.id}", question_label(questionnaire, question), problem.message
                )
            )
    return tuple(views)


def question_label(questionnaire: Questionnaire, question: Question) -> str:
    """How a citizen finds a question: 第一部分第3题, or the section's title if unnumbered."""
    section = _section_of(questionnaire, question)
    if question.number is None:
        return section.title
    numeral, sep, _ = section.title.partition("、")
    return f"第{numeral}部分第{question.number}题" if sep else f"第{question.number}题"


def chosen_values(given: object) -> frozenset[str]:
    """The option IDs a raw answer names (a plain form sends lists, a script strings)."""
    if isinstance(given, str):
        return frozenset((given,))
    if isinstance(given, Sequence):
        return frozenset(v for v in given if isinstance(v, str))
    return frozenset()


def _question_view(
    questionnaire: Questionnaire,
    department: Department,
    question: Question,
    given: object,
    error: str | None,
) -> QuestionView:
    chosen = chosen_values(given)
    return QuestionView(
        id=question.id,
        label=f"{question.number}." if question.number is not None else "",
        reference=question_label(questionnaire, question),
        text=questionnaire.text_for(question.text, department),
        kind=question.kind,
        required=question.required,
        required_attribute=(
            question.required and question.kind == "single" and not question.conditions
        ),
        condition=question.when,
        condition_hint=_condition_hint(questionnaire, question.when, "回答"),
        options=tuple(
            OptionView(
                o.id, questionnaire.text_for(o.text, department), o.exclusive, o.id in chosen
            )
            for o in question.options
        ),
        error=error,
    )


def _condition_hint(questionnaire: Questionnaire, condition: Condition | None, verb: str) -> str:
    """ "（第2题选“是”时回答）": what a reader with JavaScript off needs to skip a question."""
    if condition is None:
        return ""
    source = questionnaire.question(condition.question)
    if source is None:
        return ""
    texts = "或".join(f"“{o.text}”" for o in source.options if o.id in condition.any_of)
    reference = f"第{source.number}题" if source.number is not None else f"“{source.text}”"
    return f"（{reference}选{texts}时{verb}）"


def _section_of(questionnaire: Questionnaire, question: Question) -> Section:
    return next(s for s in questionnaire.sections if s.id == question.section)
