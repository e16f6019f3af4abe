"""Read questionnaire.yaml, report every mistake in it at once, and build the model.

The stages, each a function: read YAML with lines (yaml_source) → check and normalize into the
plain-data form (this module) → stamp the content version → `Questionnaire.from_dict`.
Nothing here prints or exits: the CLI decides what to do with the problems.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeGuard

from manyi.complaints.settings import CATEGORIES, MAX_RETENTION_YEARS, ComplaintSettings
from manyi.errors import ManyiError
from manyi.messages import DefinitionCode, definition_message
from manyi.model import (
    DEPARTMENT_KINDS,
    ENTRIES,
    QUESTION_KINDS,
    RESERVED_CHANNEL_IDS,
    VALENCES,
    Questionnaire,
    Reporting,
    normalized_with_version,
)
from manyi.yaml_source import MAX_CHARACTERS, LineDict, LineList, Problem, line_of, read_yaml

# Question IDs become form field names next to these, so none may take one of them.
RESERVED_FIELDS = frozenset({"submission_id", "department", "version", "channel", "website"})

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Department IDs go into printed URLs and QR codes: lowercase words joined by hyphens.
DEPARTMENT_ID_PATTERN = re.compile(r"^(?=.{1,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$")
PHONE_PATTERN = re.compile(r"^[0-9][0-9 \-]{2,30}$")

TOP_KEYS = {
    "title": True,
    "source": True,
    "office": True,
    "department_slots": False,
    "channels": True,
    "reporting": True,
    "option_sets": False,
    "sections": True,
    "departments": True,
    "complaints": False,
    "followup": False,
}
OFFICE_KEYS = {"name": True, "phone": True, "email": True}
CHANNEL_KEYS = {"id": True, "name": True, "entry": False}
REPORTING_KEYS = {
    "coverage_target": True,
    "close_day": True,
    "timezone": True,
    "min_sample": False,
    "alert_days": False,
}
SECTION_KEYS = {"id": True, "title": True, "added": False, "when": False, "questions": True}
QUESTION_KEYS = {
    "id": True,
    "number": False,
    "text": True,
    "kind": False,
    "required": False,
    "added": False,
    "when": False,
    "options": True,
}
OPTION_KEYS = {"id": True, "text": True, "valence": True, "score": False, "exclusive": False}
CONDITION_KEYS = {"question": True, "any_of": True}
COMPLAINT_KEYS = {
    "accept_days": False,
    "conclude_days": False,
    "extension_days": False,
    "near_due_days": False,
    "conduct_categories": False,
    "retention_years": False,
}
DEPARTMENT_KEYS = {"id": True, "name": True, "kind": True, "complaint_phone": False}


class DefinitionError(ManyiError):
    """questionnaire.yaml has problems; all of them are in `problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_questionnaire(path: Path | str) -> Questionnaire:
    questionnaire, problems = check_file(path)
    if questionnaire is None:
        raise DefinitionError(problems)
    return questionnaire


def check_file(path: Path | str) -> tuple[Questionnaire | None, list[Problem]]:
    path = Path(path)
    try:
        with path.open("rb") as stream:
            # Enough bytes for the longest text read_yaml takes, and one more to tell it is longer.
            data = stream.read(4 * MAX_CHARACTERS + 1)
        # A cut may split a character: the text is too long either way, as read_yaml will say.
        cut = len(data) > 4 * MAX_CHARACTERS
        text = data.decode("utf-8", errors="replace" if cut else "strict")
    except (OSError, UnicodeDecodeError) as error:
        message = definition_message("unreadable", detail=error)
        return None, [Problem(str(path), 0, "unreadable", message)]
    return check_text(text, str(path))


def check_text(
    text: str, file: str = "questionnaire.yaml"
) -> tuple[Questionnaire | None, list[Problem]]:
    """Everything wrong with the text, in line order; the model only when nothing is."""
    data, problems = read_yaml(text, file)
    checker = _Checker(file, problems)
    normalized = checker.document(data) if not problems or data is not None else None
    problems = sorted(checker.problems, key=lambda p: p.line)
    if problems or normalized is None:
        return None, problems
    return Questionnaire.from_dict(normalized_with_version(normalized)), []


class _Checker:
    """Walks the parsed file once, collecting problems and the normalized data."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = list(problems)

    def report(self, line: int, code: DefinitionCode, **values: Any) -> None:
        self.problems.append(Problem(self.file, line, code, definition_message(code, **values)))

    # -- the document ------------------------------------------------------------------

    def document(self, data: Any) -> dict[str, Any] | None:
        top = self.mapping(data, 1, "the file", TOP_KEYS)
        if top is None:
            return None
        office = self.office(top.get("office"), top.line_of("office"))
        option_sets = self.option_sets(top.get("option_sets"), top.line_of("option_sets"))
        default_phone = office["phone"] if office else ""
        departments = self.departments(
            top.get("departments"), top.line_of("departments"), default_phone
        )
        normalized = {
            "title": self.text(top, "title", "the file"),
            "source": self.text(top, "source", "the file"),
            "office": office,
            "department_slots": self.slots(top.get("department_slots", []), top),
            "channels": self.channels(top.get("channels"), top.line_of("channels")),
            "reporting": self.reporting(top.get("reporting"), top.line_of("reporting")),
            "sections": self.sections(top.get("sections"), top.line_of("sections"), option_sets),
            "departments": departments,
            "complaints": self.complaints(top.get("complaints"), top.line_of("complaints")),
        }
        if "followup" in top:
            from manyi.followup.definition import check_followup

            normalized["followup"] = check_followup(
                self,
                top["followup"],
                top.line_of("followup"),
                option_sets,
                {d["id"] for d in departments},
            )
        return normalized

    def office(self, value: Any, line: int) -> dict[str, Any] | None:
        office = self.mapping(value, line, "office", OFFICE_KEYS)
        if office is None:
            return None
        phone = self.text(office, "phone", "office")
        self.check_phone(phone, office.line_of("phone"))
        return {
            "name": self.text(office, "name", "office"),
            "phone": phone,
            "email": self.text(office, "email", "office"),
        }

    def slots(self, value: Any, top: LineDict) -> list[str]:
        items = self.items(value, top.line_of("department_slots"), "department_slots")
        slots = []
        for item, item_line in items:
            if not isinstance(item, str) or not item.strip():
                self.report(item_line, "empty_text", what="a department slot", key="text")
            else:
                slots.append(item.strip())
        return slots

    def channels(self, value: Any, line: int) -> list[dict[str, Any]]:
        channels = []
        for channel, channel_id in self.keyed(
            value, line, "channels", "a channel", CHANNEL_KEYS, "channel", non_empty=True
        ):
            if channel_id in RESERVED_CHANNEL_IDS:
                reserved = ", ".join(sorted(RESERVED_CHANNEL_IDS))
                line = channel.line_of("id")
                self.report(line, "reserved_channel_id", value=channel_id, reserved=reserved)
            name = self.text(channel, "name", "a channel")
            entry = self.one_of(
                channel, "entry", ENTRIES, "bad_entry", default="self", channel=channel_id
            )
            channels.append({"id": channel_id, "name": name, "entry": entry})
        return channels

    def reporting(self, value: Any, line: int) -> dict[str, Any] | None:
        reporting = self.mapping(value, line, "reporting", REPORTING_KEYS)
        if reporting is None:
            return None
        target = reporting.get("coverage_target")
        if not (_is_number(target) and 0 < target <= 1):
            self.report(reporting.line_of("coverage_target"), "bad_coverage_target", value=target)
        close_day = reporting.get("close_day")
        if not _is_whole(close_day) or not 1 <= close_day <= 27:
            self.report(reporting.line_of("close_day"), "bad_close_day", value=close_day)
        timezone = reporting.get("timezone")
        if not _is_timezone(timezone):
            self.report(reporting.line_of("timezone"), "bad_timezone", value=timezone)
        min_sample = reporting.get("min_sample", Reporting._field_defaults["min_sample"])
        if not _is_whole(min_sample) or min_sample < 1:
            self.report(reporting.line_of("min_sample"), "bad_min_sample", value=min_sample)
        alert_days = reporting.get("alert_days", list(Reporting._field_defaults["alert_days"]))
        if not isinstance(alert_days, list) or not all(
            _is_whole(day) and 1 <= day <= 27 for day in alert_days
        ):
            self.report(reporting.line_of("alert_days"), "bad_alert_days", value=alert_days)
            alert_days = []
        return {
            "coverage_target": target,
            "close_day": close_day,
            "timezone": timezone,
            "min_sample": min_sample,
            "alert_days": sorted(set(alert_days)),
        }

    def complaints(self, value: Any, line: int) -> dict[str, Any]:
        """Deadlines in working days and the routing of complaints; every key has a default."""
        defaults = ComplaintSettings()
        if value is None:
            return defaults.to_dict()
        complaints = self.mapping(value, line, "complaints", COMPLAINT_KEYS)
        if complaints is None:
            return defaults.to_dict()
        settings = defaults.to_dict()
        for key in ("accept_days", "conclude_days", "extension_days", "near_due_days"):
            days = complaints.get(key, settings[key])
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
                self.report(complaints.line_of(key), "bad_working_days", key=key, value=days)
            else:
                settings[key] = days
        categories = []
        for item, item_line in self.items(
            complaints.get("conduct_categories", list(defaults.conduct_categories)),
            complaints.line_of("conduct_categories"),
            "complaints.conduct_categories",
        ):
            if item not in CATEGORIES:
                known = ", ".join(CATEGORIES)
                self.report(item_line, "unknown_complaint_category", value=item, known=known)
            else:
                categories.append(item)
        settings["conduct_categories"] = categories
        years = complaints.get("retention_years", settings["retention_years"])
        if not _is_whole(years) or not 1 <= years <= MAX_RETENTION_YEARS:
            line = complaints.line_of("retention_years")
            self.report(line, "bad_retention_years", value=years, most=MAX_RETENTION_YEARS)
        else:
            settings["retention_years"] = years
        return settings

    # -- options ------------------------------------------------------------------------

    def option_sets(self, value: Any, line: int) -> dict[str, list[dict[str, Any]]]:
        if value is None:
            return {}
        sets = self.mapping(value, line, "option_sets", None)
        if sets is None:
            return {}
        return {
            str(name): self.options(options, sets.line_of(name), f"option set {name!r}")
            for name, options in sets.items()
        }

    def options(self, value: Any, line: int, where: str) -> list[dict[str, Any]]:
        options = []
        for option, option_id in self.keyed(
            value, line, f"options of {where}", "an option", OPTION_KEYS, "option"
        ):
            valence = self.one_of(option, "valence", VALENCES, "bad_valence", option=option_id)
            score = option.get("score")
            if score is not None:
                if not (_is_number(score) and 0 <= score <= 100):
                    self.report(option.line_of("score"), "bad_score", option=option_id, value=score)
                elif valence == "neutral":
                    self.report(option.line_of("score"), "score_on_neutral", option=option_id)
            options.append(
                {
                    "id": option_id,
                    "text": self.text(option, "text", f"option {option_id!r}"),
                    "valence": valence,
                    "score": float(score) if _is_number(score) else None,
                    "exclusive": self.flag(option, "exclusive", default=False),
                    "_line": option.line_of("exclusive"),
                }
            )
        return options

    # -- sections and questions ---------------------------------------------------------

    def sections(
        self, value: Any, line: int, option_sets: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        items = list(self.items(value, line, "sections", non_empty=True))
        every_question = _all_question_ids(items)
        answered_above: dict[str, set[str]] = {}  # question ID → its option IDs
        question_lines: dict[str, int] = {}
        section_lines: dict[str, int] = {}
        sections = []
        for item, item_line in items:
            section = self.mapping(item, item_line, "a section", SECTION_KEYS)
            if section is None:
                continue
            section_id = self.ident(section, "section", section_lines)
            where = f"section {section_id!r}"
            when = self.condition(section, where, every_question, answered_above)
            questions = []
            numbers: dict[int, int] = {}
            for q_item, q_line in self.items(section.get("questions"), section.line, "questions"):
                question = self.question(
                    q_item, q_line, option_sets, every_question, answered_above, question_lines
                )
                if question is None:
                    continue
                self.unique_number(question, numbers)
                question.pop("_number_line")
                questions.append(question)
            sections.append(
                {
                    "id": section_id,
                    "title": self.text(section, "title", where),
                    "added": self.flag(section, "added", default=False),
                    "when": when,
                    "questions": questions,
                }
            )
        return sections

    def question(
        self,
        value: Any,
        line: int,
        option_sets: dict[str, list[dict[str, Any]]],
        every_question: set[str],
        answered_above: dict[str, set[str]],
        question_lines: dict[str, int],
    ) -> dict[str, Any] | None:
        question = self.mapping(value, line, "a question", QUESTION_KEYS)
        if question is None:
            return None
        question_id = self.ident(question, "question", question_lines)
        if question_id in RESERVED_FIELDS:
            self.report(question.line_of("id"), "reserved_id", value=question_id)
        kind = self.one_of(
            question, "kind", QUESTION_KINDS, "unknown_kind", question=question_id, default="single"
        )
        number = question.get("number")
        if number is not None and (
            not isinstance(number, int) or isinstance(number, bool) or number < 1
        ):
            self.report(
                question.line_of("number"), "bad_number", question=question_id, value=number
            )
            number = None
        when = self.condition(question, f"question {question_id!r}", every_question, answered_above)
        options = self.question_options(question, question_id, kind, option_sets)
        answered_above[question_id] = {o["id"] for o in options}
        return {
            "id": question_id,
            "number": number,
            "text": self.text(question, "text", f"question {question_id!r}"),
            "kind": kind,
            "required": self.flag(question, "required", default=True),
            "added": self.flag(question, "added", default=False),
            "when": when,
            "options": options,
            "_number_line": question.line_of("number"),
        }

    def question_options(
        self,
        question: LineDict,
        question_id: str,
        kind: Any,
        option_sets: dict[str, list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        if "options" not in question:  # reported as a missing key already
            return []
        value = question["options"]
        line = question.line_of("options")
        if isinstance(value, str):
            if value not in option_sets:
                self.report(line, "unknown_option_set", question=question_id, value=value)
                return []
            options = [dict(o, _line=line) for o in option_sets[value]]
        else:
            options = self.options(value, line, f"question {question_id!r}")
        if len(options) < 2:
            self.report(line, "too_few_options", question=question_id)
        for option in options:
            option_line = option.pop("_line")
            if option["exclusive"] and kind == "single":
                self.report(
                    option_line, "exclusive_on_single", option=option["id"], question=question_id
                )
        return options

    def condition(
        self,
        owner: LineDict,
        where: str,
        every_question: set[str],
        answered_above: dict[str, set[str]],
    ) -> dict[str, Any] | None:
        if "when" not in owner:
            return None
        when = self.mapping(
            owner["when"], owner.line_of("when"), f"`when` of {where}", CONDITION_KEYS
        )
        if when is None:
            return None
        target = when.get("question")
        any_of = when.get("any_of")
        any_of = [any_of] if isinstance(any_of, str) else any_of
        line = when.line_of("question")
        if target not in every_question:
            self.report(line, "condition_unknown_question", value=target)
        elif target not in answered_above:
            self.report(line, "condition_not_earlier", value=target, where=where)
        if not isinstance(any_of, list) or not any_of:
            self.report(when.line_of("any_of"), "empty_list", what="`any_of`")
            return None
        known_options = answered_above.get(str(target), set())
        for option in any_of:
            if target in answered_above and option not in known_options:
                self.report(
                    when.line_of("any_of"),
                    "condition_unknown_option",
                    value=option,
                    question=target,
                )
        return {"question": target, "any_of": [str(o) for o in any_of]}

    def unique_number(self, question: dict[str, Any], numbers: dict[int, int]) -> None:
        number, line = question["number"], question["_number_line"]
        if number is None:
            return
        if number in numbers:
            self.report(line, "duplicate_number", value=number, first=numbers[number])
        else:
            numbers[number] = line

    # -- departments --------------------------------------------------------------------

    def departments(self, value: Any, line: int, default_phone: str) -> list[dict[str, Any]]:
        departments = []
        for department, department_id in self.keyed(
            value,
            line,
            "departments",
            "a department",
            DEPARTMENT_KEYS,
            "department",
            DEPARTMENT_ID_PATTERN,
            non_empty=True,
        ):
            kind = self.one_of(
                department,
                "kind",
                DEPARTMENT_KINDS,
                "bad_department_kind",
                department=department_id,
            )
            phone = department.get("complaint_phone", default_phone)
            if "complaint_phone" in department:
                self.check_phone(phone, department.line_of("complaint_phone"))
            departments.append(
                {
                    "id": department_id,
                    "name": self.text(department, "name", f"department {department_id!r}"),
                    "kind": kind,
                    "complaint_phone": str(phone),
                }
            )
        return departments

    # -- small checks -------------------------------------------------------------------

    def mapping(
        self, value: Any, line: int, what: str, keys: dict[str, bool] | None
    ) -> LineDict | None:
        if not isinstance(value, LineDict):
            self.report(line_of(value, line), "not_a_mapping", what=what)
            return None
        if keys is not None:
            for key in value:
                if key not in keys:
                    known = ", ".join(keys)
                    self.report(value.line_of(key), "unknown_key", what=what, key=key, known=known)
            for key, required in keys.items():
                if required and key not in value:
                    self.report(value.line, "missing_key", what=what, key=key)
        return value

    def items(
        self, value: Any, line: int, what: str, *, non_empty: bool = False
    ) -> Iterable[tuple[Any, int]]:
        if value is None and not non_empty:
            return []
        if not isinstance(value, LineList):
            self.report(line_of(value, line), "not_a_list", what=what)
            return []
        if non_empty and not value:
            self.report(value.line, "empty_list", what=what)
        return list(zip(value, value.item_lines, strict=True))

    def keyed(
        self,
        value: Any,
        line: int,
        where: str,
        what: str,
        keys: dict[str, bool],
        kind: str,
        pattern: re.Pattern[str] = ID_PATTERN,
        *,
        non_empty: bool = False,
    ) -> Iterator[tuple[LineDict, str]]:
        """The mappings of a list (`where`), each with its id, unique within the list; an item
        that is no mapping is reported and passed over. Reports come in the list's order."""
        seen: dict[str, int] = {}
        for item, item_line in self.items(value, line, where, non_empty=non_empty):
            mapping = self.mapping(item, item_line, what, keys)
            if mapping is not None:
                yield mapping, self.ident(mapping, kind, seen, pattern)

    def text(self, mapping: LineDict, key: str, what: str) -> str:
        value = mapping.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            if key in mapping:  # a missing key was reported already
                self.report(mapping.line_of(key), "empty_text", what=what, key=key)
            return ""
        return value.strip()

    def ident(
        self,
        mapping: LineDict,
        what: str,
        seen: dict[str, int],
        pattern: re.Pattern[str] = ID_PATTERN,
    ) -> str:
        value = mapping.get("id")
        line = mapping.line_of("id")
        if "id" not in mapping:
            return ""
        if not isinstance(value, str):
            hint = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            self.report(line, "id_not_text", what=what, value=value, hint=hint)
            return str(hint)
        if not pattern.match(value):
            self.report(line, "bad_id", what=what, value=value, pattern=pattern.pattern)
        elif value in seen:
            self.report(line, "duplicate_id", what=what, value=value, first=seen[value])
        else:
            seen[value] = line
        return value

    def one_of(
        self,
        mapping: LineDict,
        key: str,
        allowed: Collection[str],
        code: DefinitionCode,
        default: str | None = None,
        **where: str,
    ) -> Any:
        """mapping[key] when it is one of `allowed` (reported otherwise, and returned as is)."""
        value = mapping.get(key, default)
        if value not in allowed:
            known = ", ".join(allowed)
            self.report(mapping.line_of(key), code, value=value, known=known, **where)
        return value

    def flag(self, mapping: LineDict, key: str, *, default: bool) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            self.report(mapping.line_of(key), "bad_flag", key=key, value=value)
            return default
        return value

    def check_phone(self, phone: Any, line: int) -> None:
        if phone and not PHONE_PATTERN.match(str(phone)):
            self.report(line, "bad_phone", value=phone)


def _all_question_ids(sections: list[tuple[Any, int]]) -> set[str]:
    ids: set[str] = set()
    for section, _ in sections:
        questions = section.get("questions") if isinstance(section, LineDict) else None
        for question in questions if isinstance(questions, LineList) else []:
            if isinstance(question, LineDict) and isinstance(question.get("id"), str):
                ids.add(question["id"])
    return ids


def _is_whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_timezone(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
