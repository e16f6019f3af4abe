"""The follow-up's settings and its short form, from questionnaire.yaml's `followup` section.

Operational settings (sampling shares, days, attempts) and a second, short form made of the
same `Question`s as the survey. The form has its own version (a hash of its content); none of
this section changes the survey's version, so a new share or a reworded follow-up question
never makes a citizen's page stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from manyi.model import Question, Section, _section_from_dict, _section_to_dict, content_version

FORM_SECTION = "followup"


@dataclass(frozen=True)
class FollowupConfig:
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
            version=data.get("version") or form_version(form),
        )


def form_version(form: Mapping[str, Any]) -> str:
    return content_version(form)
