"""Reading the served-subject counts (管理和服务对象总数) of many departments from CSV or XLSX.

A header row names the columns, in Chinese or English: department (ID or full name), month
(YYYY-MM; may be left out when `--month` is given) and count. Every bad row is reported as
`file:row: reason` and nothing is stored unless every row is good.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from manyi.calendar import parse_month
from manyi.model import Questionnaire

COLUMNS = {
    "department": ("department", "部门", "部门编号", "部门名称", "单位"),
    "month": ("month", "月份"),
    "count": ("count", "served", "服务对象总数", "管理和服务对象总数", "人数"),
}
MAX_SERVED = 100_000_000


def parse_count(value: object) -> int:
    """A whole number ≥ 1; ValueError with the reason otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"count {value!r} is not a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if not text.isdigit():
            raise ValueError(f"count {value!r} is not a whole number")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(f"count {value!r} is not a whole number")
    if not 1 <= value <= MAX_SERVED:
        raise ValueError(f"count {value} must be from 1 to {MAX_SERVED}")
    return value


@dataclass
class ServedFile:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (month, department)
    problems: list[str] = field(default_factory=list)


def read_served_file(
    path: Path, questionnaire: Questionnaire, default_month: str | None = None
) -> ServedFile:
    out = ServedFile()
    try:
        rows = list(_rows(path))
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        out.problems.append(f"{path}:0: cannot read the file: {error}")
        return out
    if not rows:
        out.problems.append(f"{path}:1: the file is empty; it needs a header row")
        return out
    header_line, header = rows[0]
    columns, problem = _columns(header, default_month is not None)
    if problem:
        out.problems.append(f"{path}:{header_line}: {problem}")
        return out
    by_name = {d.name: d.id for d in questionnaire.departments}
    first_seen: dict[tuple[str, str], int] = {}
    for line, row in rows[1:]:
        cells = [row[i] if i < len(row) else None for i in range(len(header))]
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        try:
            key, count = _entry(cells, columns, questionnaire, by_name, default_month)
        except ValueError as error:
            out.problems.append(f"{path}:{line}: {error}")
            continue
        if key in first_seen:
            out.problems.append(
                f"{path}:{line}: {key[1]} {key[0]} is already given at row {first_seen[key]}"
            )
            continue
        first_seen[key] = line
        out.counts[key] = count
    return out


def _rows(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(values)
        finally:
            book.close()
        return
    with path.open(encoding="utf-8-sig", newline="") as file:
        yield from enumerate(csv.reader(file), start=1)


def _columns(header: Sequence[object], month_given: bool) -> tuple[dict[str, int], str | None]:
    names = [str(h or "").strip().lower() for h in header]
    columns: dict[str, int] = {}
    for column, aliases in COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                columns[column] = i
                break
    missing = [c for c in COLUMNS if c not in columns and not (c == "month" and month_given)]
    if missing:
        wanted = "; ".join(f"{c}: one of {', '.join(COLUMNS[c])}" for c in missing)
        return columns, f"the header row lacks a column ({wanted})"
    return columns, None


def _entry(
    cells: Sequence[object],
    columns: dict[str, int],
    questionnaire: Questionnaire,
    by_name: dict[str, str],
    default_month: str | None,
) -> tuple[tuple[str, str], int]:
    given = str(cells[columns["department"]] or "").strip()
    department = given if questionnaire.department(given) else by_name.get(given)
    if department is None:
        raise ValueError(f"department {given!r} is neither a department ID nor a name")
    if "month" in columns and cells[columns["month"]] not in (None, ""):
        raw = cells[columns["month"]]
        month = raw.strftime("%Y-%m") if isinstance(raw, date) else parse_month(str(raw))
    elif default_month is not None:
        month = default_month
    else:
        raise ValueError("the month is empty (give one, or --month for the whole file)")
    return (month, department), parse_count(cells[columns["count"]])
