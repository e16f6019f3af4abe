"""Finding a department the way clerks write it: its ID, its full name, or a short form.

Files from departments name them as people do: 平顶山市公安局, 公安局, 市公安局, 平顶山公安局,
市场监管局 (for 市场监督管理局), 人社局 (for 人力资源和社会保障局). A text finds a department, in
order, by: its ID or full name; its name without the city's prefix (公安局); the end of its
name (市公安局); or as an abbreviation (the name's first character, one of its last three,
and the text's characters in the name's order). The first rule that finds anything decides;
if it finds more than one department, the text is ambiguous and the answer names them all, so
a clerk never has a count silently filed under the wrong department.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from manyi.calendar import half_width
from manyi.errors import ManyiError
from manyi.model import Department, Questionnaire

_SPACES = re.compile(r"\s+")


class DepartmentNotFound(ManyiError, ValueError):
    """No department, or more than one, answers to the text; the message says which, in Chinese."""


class FoundDepartment(NamedTuple):
    department: Department
    exact: bool  # found by its ID or full name, not by a short form


def find_department(questionnaire: Questionnaire, text: str) -> FoundDepartment:
    given = _normalized(text)
    departments = questionnaire.departments
    for department in departments:
        if given.lower() == department.id.lower() or given == _normalized(department.name):
            return FoundDepartment(department, exact=True)
    prefixes = _city_prefixes(departments)
    short = _without_prefix(given, prefixes)
    # (full name, name without the city's prefix) → does the text stand for it?
    rules: list[Callable[[str, str], bool]] = [
        lambda name, short_name: short_name == short,
        lambda name, short_name: len(given) >= 2 and name.endswith(given),
        lambda name, short_name: len(short) >= 2 and _abbreviates(short, short_name),
    ]
    named = [(_normalized(d.name), d) for d in departments]
    for rule in rules:
        found = [d for name, d in named if rule(name, _without_prefix(name, prefixes))]
        if len(found) == 1:
            return FoundDepartment(found[0], exact=False)
        if found:
            candidates = "、".join(d.name for d in found)
            raise DepartmentNotFound(f"“{text}”可能是：{candidates}；请写部门全称或部门编号")
    raise DepartmentNotFound(
        f"没有找到部门“{text}”：请写部门全称（如“{departments[0].name}”）、常用简称或部门编号"
        if departments
        else f"没有找到部门“{text}”：问卷中没有列出任何部门"
    )


def _normalized(text: str) -> str:
    return _SPACES.sub("", half_width(text))


def _city_prefixes(departments: Sequence[Department]) -> tuple[str, ...]:
    """The city's name as the city departments' names begin (平顶山市), with and without 市."""
    names = [_normalized(d.name) for d in departments if d.kind == "city_department"]
    if len(names) < 2:
        return ()
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    city = common[: common.rfind("市") + 1]
    return (city, city[:-1]) if len(city) >= 3 else ()


def _without_prefix(text: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :]
    return text


def _abbreviates(short: str, name: str) -> bool:
    """市场监管局 abbreviates 市场监督管理局, 发改委 发展和改革委员会: the same first character, a
    last one among the name's last three (局, 委员会, 办公室), every character in order."""
    if short[0] != name[0] or short[-1] not in name[-3:] or len(short) >= len(name):
        return False
    rest = iter(name)
    return all(character in rest for character in short)
