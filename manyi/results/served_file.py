"""Reading the served-subject counts (管理和服务对象总数) of many departments from CSV or XLSX.

Files come from clerks, as they make them in a spreadsheet: a title row or two may stand above
the header; the header names the columns in Chinese or English (部门 / 单位名称 / 部门编号,
月份, 服务对象总数 …, units in brackets allowed); a department is written as its ID, its full
name or a short form (`manyi.department_names`); a month as 2026-11 or 2026年11月 (the month
column may be left out when `--month` is given); a count as a whole number, 0 for a month
without cases. A 合计 row is skipped. Every bad row is reported as `file:row: reason`, in
Chinese, and nothing is stored unless every row is good.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from manyi.calendar import half_width, parse_month
from manyi.department_names import FoundDepartment, find_department
from manyi.model import Department, Questionnaire

COLUMNS = {
    "department": (
        "department", "部门", "部门编号", "部门名称", "单位", "单位名称", "部门单位",
        "填报单位", "执法部门", "地区部门",
    ),
    "month": ("month", "月份", "统计月份", "所属月份", "填报月份"),
    "count": (
        "count", "served", "服务对象总数", "管理和服务对象总数", "服务对象数", "管理和服务对象数",
        "管理服务对象总数", "人数", "总数",
    ),
}  # fmt: skip
COLUMN_NAMES = {"department": "部门", "month": "月份", "count": "服务对象总数"}
# A header lower than this is not looked for: the rows above it are titles and notes.
HEADER_SEARCH_ROWS = 10
TOTAL_ROWS = frozenset({"合计", "总计", "小计", "全市合计"})
MAX_SERVED = 100_000_000
_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


def parse_count(value: object) -> int:
    """A whole number from 0 (a month without cases) up; ValueError in Chinese otherwise."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = half_width(value).strip().replace(",", "").replace("，", "")
        negative = text.startswith("-")
        digits = text.removeprefix("-")
        # isdigit() would take ² and other digits that int() refuses: ASCII only.
        if not digits or not all("0" <= c <= "9" for c in digits):
            raise ValueError(f"服务对象总数“{value}”不是整数：请填写 0 或正整数")
        value = -int(digits) if negative else int(digits)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"服务对象总数“{value}”不是整数：请填写 0 或正整数")
    if value < 0:
        raise ValueError(f"服务对象总数不能为负数（{value}）：请填写 0 或正整数")
    if value > MAX_SERVED:
        raise ValueError(f"服务对象总数 {value} 太大：最多 {MAX_SERVED}")
    return value


@dataclass
class ServedFile:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (month, department)
    problems: list[str] = field(default_factory=list)
    # Rows whose department was found by a short form: (row, as written, department), to show.
    by_short_name: list[tuple[int, str, Department]] = field(default_factory=list)


def read_served_file(
    path: Path, questionnaire: Questionnaire, default_month: str | None = None
) -> ServedFile:
    out = ServedFile()
    try:
        rows = list(_rows(path))
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        out.problems.append(f"{path}:0: 无法读取文件：{error}")
        return out
    header = _header(rows, default_month is not None)
    if header is None:
        wanted = "；".join(
            f"{COLUMN_NAMES[c]}（{'、'.join(COLUMNS[c][1:4])}…）"
            for c in COLUMNS
            if not (c == "month" and default_month)
        )
        out.problems.append(
            f"{path}:1: 前 {HEADER_SEARCH_ROWS} 行中没有找到表头：表头应有这几列：{wanted}"
        )
        return out
    header_index, columns = header
    first_seen: dict[tuple[str, str], int] = {}
    for line, row in rows[header_index + 1 :]:
        cells = [row[i] if i < len(row) else None for i in range(max(columns.values()) + 1)]
        given = _text(cells[columns["department"]])
        if not any(_text(c) for c in cells) or given in TOTAL_ROWS:
            continue
        try:
            key, count, found = _entry(questionnaire, cells, columns, default_month)
        except ValueError as error:
            out.problems.append(f"{path}:{line}: {error}")
            continue
        if key in first_seen:
            out.problems.append(
                f"{path}:{line}: {found.department.name} {key[0]} 已在第 {first_seen[key]} 行填过"
            )
            continue
        first_seen[key] = line
        out.counts[key] = count
        if not found.exact:
            out.by_short_name.append((line, given, found.department))
    if not out.counts and not out.problems:
        out.problems.append(f"{path}:{header_index + 1}: 表头下面没有数据")
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


def _header(
    rows: Sequence[tuple[int, Sequence[object]]], month_given: bool
) -> tuple[int, dict[str, int]] | None:
    """(index in rows, column → position) of the first row that names the needed columns."""
    for index, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [_column_name(cell) for cell in row]
        columns: dict[str, int] = {}
        for column, aliases in COLUMNS.items():
            position = next((i for i, name in enumerate(names) if name in aliases), None)
            if position is not None:
                columns[column] = position
        needed = {"department", "count"} | (set() if month_given else {"month"})
        if needed <= set(columns):
            return index, columns
    return None


def _column_name(cell: object) -> str:
    """管理和服务对象总数（人） → 管理和服务对象总数; spaces and case do not count."""
    return _BRACKETS.sub("", "".join(half_width(_text(cell)).split())).lower()


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _entry(
    questionnaire: Questionnaire,
    cells: Sequence[object],
    columns: dict[str, int],
    default_month: str | None,
) -> tuple[tuple[str, str], int, FoundDepartment]:
    found = find_department(questionnaire, _text(cells[columns["department"]]))
    raw = cells[columns["month"]] if "month" in columns else None
    if isinstance(raw, date):  # a date cell of Excel (a datetime is a date too)
        month = parse_month(f"{raw.year}-{raw.month}")
    elif _text(raw):
        month = parse_month(_text(raw))
    elif default_month is not None:
        month = default_month
    else:
        raise ValueError("月份为空：请填写月份，或导入时用 --month 指定整个文件的月份")
    return (month, found.department.id), parse_count(cells[columns["count"]]), found
