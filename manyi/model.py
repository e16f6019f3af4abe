"""The questionnaire and its departments as frozen values, built from the normalized form.

The normalized form is plain JSON data (what `Questionnaire.to_dict` returns). The YAML loader
produces it after checking the file; the site build ships it as JSON so that the collector can
rebuild the very same model in a few milliseconds, without YAML, on a Lambda cold start.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from manyi.complaints.settings import ComplaintSettings

Valence = Literal["favourable", "unfavourable", "neutral"]
QuestionKind = Literal["single", "multiple"]
DepartmentKind = Literal["city_department", "county"]

VALENCES: tuple[Valence, ...] = ("favourable", "unfavourable", "neutral")
# Who fills in a channel's questionnaires: the respondent on their own phone ("self"), or staff
# keying in a phone call, a meeting, a visit or a paper form ("staff"). Results keep the two
# apart: phone respondents rate markedly more positively than self-completing ones.
Entry = Literal["self", "staff"]
ENTRIES: tuple[Entry, ...] = ("self", "staff")
QUESTION_KINDS: tuple[QuestionKind, ...] = ("single", "multiple")
DEPARTMENT_KINDS: dict[DepartmentKind, str] = {
    "city_department": "市直部门",
    "county": "县（市、区）",
}
# A channel's page is /d/<department>/<channel>/, beside the department's own pages of these
# names (the thank-you page, the printable leaflet), so no channel may take one. The other
# files there (qr.svg, index.html) cannot be IDs anyway.
RESERVED_CHANNEL_IDS = frozenset({"thanks", "print"})

# An answer as stored: one option ID for a single choice, option IDs in questionnaire order for
# a multiple choice.
AnswerValue = str | tuple[str, ...]
Answers = Mapping[str, AnswerValue]

# The value types are NamedTuples, not frozen dataclasses: equally immutable and comparable,
# but a dataclass costs ~0.6 ms to create at import, and this module is on the collector's
# Lambda cold path (measured by bench/bench_collector.py cold).


class Option(NamedTuple):
    id: str
    text: str
    valence: Valence
    score: float | None = None
    exclusive: bool = False


class Condition(NamedTuple):
    """The question applies only when `question` was answered with one of `any_of`."""

    question: str
    any_of: tuple[str, ...]

    def holds(self, answers: Answers) -> bool:
        given = answers.get(self.question)
        if given is None:
            return False
        chosen = (given,) if isinstance(given, str) else given
        return any(option in self.any_of for option in chosen)


class Question(NamedTuple):
    id: str
    section: str
    number: int | None
    text: str
    kind: QuestionKind
    options: tuple[Option, ...]
    required: bool = True
    added: bool = False
    when: Condition | None = None
    # The condition of the question's section, which must hold too.
    section_when: Condition | None = None

    def option(self, option_id: str) -> Option | None:
        for option in self.options:
            if option.id == option_id:
                return option
        return None

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(c for c in (self.section_when, self.when) if c is not None)

    def applies(self, answers: Answers) -> bool:
        # Called for every question of every response: no tuple of conditions built here.
        section, own = self.section_when, self.when
        return (section is None or section.holds(answers)) and (own is None or own.holds(answers))

    @property
    def is_satisfaction_scale(self) -> bool:
        return any(option.score is not None for option in self.options)


class Section(NamedTuple):
    id: str
    title: str
    questions: tuple[Question, ...]
    added: bool = False
    when: Condition | None = None


class Channel(NamedTuple):
    id: str
    name: str
    # Versions published before channels said who fills them in were all self-completed.
    entry: Entry = "self"


class Department(NamedTuple):
    id: str
    name: str
    kind: DepartmentKind
    complaint_phone: str


class Office(NamedTuple):
    name: str
    phone: str
    email: str


class Reporting(NamedTuple):
    coverage_target: float
    close_day: int
    timezone: str
    # Operational settings (out of the version hash, see `OPERATIONAL_REPORTING`): a department
    # with fewer responses than `min_sample` is listed unranked (样本不足); warnings are
    # computed on each of `alert_days`.
    min_sample: int = 30
    alert_days: tuple[int, ...] = (10, 20)


# The reporting settings that change how results are read, not what a response means: kept out
# of the content version, like `departments`, so changing them publishes no new version.
OPERATIONAL_REPORTING = ("min_sample", "alert_days")


@dataclass(frozen=True)
class Questionnaire:
    version: str
    title: str
    source: str
    office: Office
    department_slots: tuple[str, ...]
    channels: tuple[Channel, ...]
    reporting: Reporting
    sections: tuple[Section, ...]
    departments: tuple[Department, ...]
    # Operational, like departments: not part of the version hash (see to_dict).
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)
    # The follow-up (回访) settings and form: operational, outside the survey's version.
    followup: FollowupConfig | None = None
    questions: tuple[Question, ...] = field(init=False)
    _questions_by_id: dict[str, Question] = field(init=False, repr=False)
    _departments_by_id: dict[str, Department] = field(init=False, repr=False)
    _slot_pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        questions = tuple(q for section in self.sections for q in section.questions)
        object.__setattr__(self, "questions", questions)
        object.__setattr__(self, "_questions_by_id", {q.id: q for q in questions})
        object.__setattr__(self, "_departments_by_id", {d.id: d for d in self.departments})
        # A slot swallows the blank before it: the paper's "你到______(地区/部门)办理".
        slots = "|".join(re.escape(slot) for slot in self.department_slots) or r"(?!)"
        object.__setattr__(self, "_slot_pattern", re.compile(rf"[ \u3000]*(?:{slots})"))

    def question(self, question_id: str) -> Question | None:
        return self._questions_by_id.get(question_id)

    def department(self, department_id: str) -> Department | None:
        return self._departments_by_id.get(department_id)

    def channel(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def text_for(self, text: str, department: Department) -> str:
        """A printed text with every department slot filled with the department's name."""
        return self._slot_pattern.sub(lambda _: department.name, text)

    # -- the normalized form -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            **_content_dict(self),
            "reporting": {
                **_content_dict(self)["reporting"],
                "min_sample": self.reporting.min_sample,
                "alert_days": list(self.reporting.alert_days),
            },
            "departments": [
                {
                    "id": d.id,
                    "name": d.name,
                    "kind": d.kind,
                    "complaint_phone": d.complaint_phone,
                }
                for d in self.departments
            ],
            "complaints": self.complaints.to_dict(),
            **({"followup": self.followup.to_dict()} if self.followup is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Questionnaire:
        """Rebuild from `to_dict` output (trusted: it was checked when it was made)."""
        sections = tuple(_section_from_dict(s) for s in data["sections"])
        return cls(
            version=data["version"],
            title=data["title"],
            source=data["source"],
            office=Office(**data["office"]),
            department_slots=tuple(data["department_slots"]),
            channels=tuple(Channel(**c) for c in data["channels"]),
            reporting=_reporting_from_dict(data["reporting"]),
            sections=sections,
            departments=tuple(Department(**d) for d in data["departments"]),
            # Version files written before complaints existed take the defaults.
            complaints=ComplaintSettings.from_dict(data.get("complaints")),
            followup=_followup_from_dict(data.get("followup")),
        )


@dataclass(frozen=True)
class FollowupConfig:
    """questionnaire.yaml's `followup` section (manyi/followup/): operational settings and
    a second, short form with its own version, outside the survey's version hash."""

    # Share drawn per stratum ("penalty_general", ...), and departments' own shares.
    rates: Mapping[str, float]
    department_rates: Mapping[str, Mapping[str, float]]
    max_age_days: int  # cases closed longer ago than this when drawing are not drawn
    max_attempts: int  # call attempts before a case is given up as not reached
    link_days: int  # how long a self-service link stays valid
    problem_days: int  # working days a department has to record what it did about a problem
    retention_days: int  # personal fields are removed so long after the follow-up is done
    script: str  # what the visitor says first
    section: Section  # the short form: choice questions with options and valences
    text_id: str  # the free-text question "what improper happened"
    text_question: str
    version: str  # the form's own version

    @property
    def questions(self) -> tuple[Question, ...]:
        return self.section.questions

    def rates_for(self, department: str) -> dict[str, float]:
        return {**self.rates, **self.department_rates.get(department, {})}

    def form_dict(self) -> dict[str, Any]:
        return {
            "section": _section_to_dict(self.section),
            "text_id": self.text_id,
            "text_question": self.text_question,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rates": dict(self.rates),
            "department_rates": {d: dict(r) for d, r in self.department_rates.items()},
            "max_age_days": self.max_age_days,
            "max_attempts": self.max_attempts,
            "link_days": self.link_days,
            "problem_days": self.problem_days,
            "retention_days": self.retention_days,
            "script": self.script,
            "form": self.form_dict(),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FollowupConfig:
        form = data["form"]
        return cls(
            rates={k: float(v) for k, v in data["rates"].items()},
            department_rates={
                d: {k: float(v) for k, v in r.items()} for d, r in data["department_rates"].items()
            },
            max_age_days=int(data["max_age_days"]),
            max_attempts=int(data["max_attempts"]),
            link_days=int(data["link_days"]),
            problem_days=int(data["problem_days"]),
            retention_days=int(data["retention_days"]),
            script=data["script"],
            section=_section_from_dict(form["section"]),
            text_id=form["text_id"],
            text_question=form["text_question"],
            version=data.get("version") or content_version(form),
        )


def _followup_from_dict(data: Mapping[str, Any] | None) -> FollowupConfig | None:
    """Version files made before the follow-up existed have none."""
    if data is None:
        return None
    return FollowupConfig.from_dict(data)


def _reporting_from_dict(data: Mapping[str, Any]) -> Reporting:
    """Version files written before the operational settings existed get their defaults."""
    return Reporting(
        coverage_target=data["coverage_target"],
        close_day=data["close_day"],
        timezone=data["timezone"],
        min_sample=data.get("min_sample", Reporting._field_defaults["min_sample"]),
        alert_days=tuple(data.get("alert_days", Reporting._field_defaults["alert_days"])),
    )


def content_version(content: Mapping[str, Any]) -> str:
    """A short hash of the questionnaire's content (everything but version and departments).

    Departments come and go without changing what a response means, so they stay out.
    """
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _content_dict(q: Questionnaire) -> dict[str, Any]:
    return {
        "title": q.title,
        "source": q.source,
        "office": {"name": q.office.name, "phone": q.office.phone, "email": q.office.email},
        "department_slots": list(q.department_slots),
        "channels": [{"id": c.id, "name": c.name, "entry": c.entry} for c in q.channels],
        "reporting": {
            "coverage_target": q.reporting.coverage_target,
            "close_day": q.reporting.close_day,
            "timezone": q.reporting.timezone,
        },
        "sections": [_section_to_dict(s) for s in q.sections],
    }


def _condition_to_dict(c: Condition | None) -> dict[str, Any] | None:
    return None if c is None else {"question": c.question, "any_of": list(c.any_of)}


def _condition_from_dict(d: Mapping[str, Any] | None) -> Condition | None:
    return None if d is None else Condition(d["question"], tuple(d["any_of"]))


def _section_to_dict(s: Section) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "added": s.added,
        "when": _condition_to_dict(s.when),
        "questions": [
            {
                "id": q.id,
                "number": q.number,
                "text": q.text,
                "kind": q.kind,
                "required": q.required,
                "added": q.added,
                "when": _condition_to_dict(q.when),
                "options": [
                    {
                        "id": o.id,
                        "text": o.text,
                        "valence": o.valence,
                        "score": o.score,
                        "exclusive": o.exclusive,
                    }
                    for o in q.options
                ],
            }
            for q in s.questions
        ],
    }


def _section_from_dict(d: Mapping[str, Any]) -> Section:
    section_when = _condition_from_dict(d["when"])
    questions = [
        Question(
            id=q["id"],
            section=d["id"],
            number=q["number"],
            text=q["text"],
            kind=q["kind"],
            options=tuple(Option(**o) for o in q["options"]),
            required=q["required"],
            added=q["added"],
            when=_condition_from_dict(q["when"]),
            section_when=section_when,
        )
        for q in d["questions"]
    ]
    return Section(
        id=d["id"],
        title=d["title"],
        questions=tuple(questions),
        added=d["added"],
        when=section_when,
    )


# Sections that change how manyi works, not what a response means: outside the version hash.
OPERATIONAL = ("departments", "complaints", "followup")


def normalized_with_version(data: Mapping[str, Any]) -> dict[str, Any]:
    """Stamp a normalized dict (without `version`) with its content version."""
    content = {k: v for k, v in data.items() if k not in ("version", *OPERATIONAL)}
    if "reporting" in content:
        content["reporting"] = {
            k: v for k, v in content["reporting"].items() if k not in OPERATIONAL_REPORTING
        }
    return {"version": content_version(content), **data}
