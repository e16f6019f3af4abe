"""Reading a month's closed cases from a case system's export (XLSX or CSV, 双公示-like columns).

Every row is checked before anything is stored; a file with any bad row is refused whole, with
each problem in Chinese by row and column. A problem never quotes the party's name or phone:
the message names the row and what is wrong, so it can go to a log or a screen safely.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from manyi.errors import ManyiError
from manyi.store.cases.base import CASE_KINDS, PROCEDURES, CaseKind, Procedure

# Column headers as departments' exports spell them, each to one field.
HEADERS: dict[str, tuple[str, ...]] = {
    "case_number": ("案件编号", "决定书文号", "行政处罚决定书文号", "行政许可决定书文号", "案号"),
    "kind": ("案件类别", "类别", "案件类型"),
    "procedure": ("适用程序", "程序", "办案程序"),
    "party_name": ("当事人", "当事人名称", "行政相对人名称", "相对人名称"),
    "party_phone": ("联系电话", "当事人电话", "电话"),
    "handler_id": ("承办人执法证号", "办案人员编号", "执法证号", "承办人编号"),
    "handler_name": ("承办人", "办案人员", "承办人姓名"),
    "closed_on": ("办结日期", "结案日期", "决定日期", "作出决定日期"),
}
FIELD_NAMES = {
    "case_number": "案件编号",
    "kind": "案件类别",
    "procedure": "适用程序",
    "party_name": "当事人",
    "party_phone": "联系电话",
    "handler_id": "承办人执法证号",
    "handler_name": "承办人",
    "closed_on": "办结日期",
}
KIND_WORDS: dict[str, CaseKind] = {"许可": "licensing", "行政许可": "licensing", "处罚": "penalty",
                                    "行政处罚": "penalty"}  # fmt: skip
PROCEDURE_WORDS: dict[str, Procedure] = {"一般程序": "general", "一般": "general",
                                          "简易程序": "summary", "简易": "summary"}  # fmt: skip
MAX_ROWS = 20_000
MAX_TEXT = 200
# Mobile (11 digits from 1) or a landline with its area code (0 + 9 to 11 digits), written
# with or without hyphens and spaces.
PHONE = re.compile(r"^(?:1\d{10}|0\d{9,11})$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class ImportRefused(ManyiError):
    """The file is refused whole; `problems` says why, row by row, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CaseRow:
    """One good row: the case and its party's contact, still in clear (sealed when stored)."""

    line: int
    case_number: str
    kind: CaseKind
    procedure: Procedure
    party_name: str
    party_phone: str
    handler_id: str
    handler_name: str
    closed_on: date


@dataclass(frozen=True)
class CaseFile:
    rows: tuple[CaseRow, ...]
    sha256: str


def read_case_file(name: str, data: bytes, today: date) -> CaseFile:
    """The rows of an XLSX or CSV export; ImportRefused with every problem otherwise."""
    table = _xlsx_rows(data) if name.lower().endswith(".xlsx") else _csv_rows(data)
    return CaseFile(check_rows(table, today), hashlib.sha256(data).hexdigest())


def check_rows(table: Sequence[Sequence[Any]], today: date) -> tuple[CaseRow, ...]:
    if not table:
        raise ImportRefused(["文件是空的：第 1 行应为表头（案件编号、案件类别、当事人……）。"])
    header = [_text(cell) for cell in table[0]]
    columns, problems = _columns(header)
    if problems:
        raise ImportRefused(problems)
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(_text(c) for c in row)]
    if not body:
        raise ImportRefused(["文件只有表头，没有案件。"])
    if len(body) > MAX_ROWS:
        raise ImportRefused([f"一个文件最多 {MAX_ROWS:,} 行案件，本文件有 {len(body):,} 行。"])
    rows: list[CaseRow] = []
    first_line: dict[str, int] = {}
    for line, row in body:
        found = _row(line, row, columns, today, problems)
        if found is None:
            continue
        if found.case_number in first_line:
            problems.append(f"第 {line} 行：案件编号与第 {first_line[found.case_number]} 行重复。")
            continue
        first_line[found.case_number] = line
        rows.append(found)
    if problems:
        raise ImportRefused(problems)
    return tuple(rows)


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        for name, titles in HEADERS.items():
            if title in titles and name not in columns:
                columns[name] = index
    missing = [FIELD_NAMES[n] for n in HEADERS if n not in columns]
    if missing:
        return columns, [
            f"第 1 行（表头）缺少这些列：{'、'.join(missing)}。"
            f"可用的列名见说明，例如“{'”“'.join(FIELD_NAMES.values())}”。"
        ]
    return columns, []


def _row(
    line: int, row: Sequence[Any], columns: dict[str, int], today: date, problems: list[str]
) -> CaseRow | None:
    def cell(name: str) -> Any:
        index = columns[name]
        return row[index] if index < len(row) else None

    before = len(problems)

    def problem(name: str, what: str) -> None:
        problems.append(f"第 {line} 行，“{FIELD_NAMES[name]}”列：{what}")

    values: dict[str, str] = {}
    for name in ("case_number", "party_name", "handler_id", "handler_name"):
        text = _text(cell(name))
        if not text:
            problem(name, "不能为空。")
        elif len(text) > MAX_TEXT:
            problem(name, f"超过 {MAX_TEXT} 个字。")
        values[name] = text
    kind = KIND_WORDS.get(_text(cell("kind")))
    if kind is None:
        problem("kind", f"应为“{'”或“'.join(CASE_KINDS.values())}”。")
    procedure = PROCEDURE_WORDS.get(_text(cell("procedure")))
    if procedure is None:
        problem("procedure", f"应为“{'”或“'.join(PROCEDURES.values())}”。")
    phone = re.sub(r"[\s\-－—()（）]", "", _text(cell("party_phone")))
    if not phone:
        problem("party_phone", "不能为空。")
    elif not PHONE.match(phone):
        # The value itself is personal data: the message says what is wrong, never what it is.
        problem("party_phone", "不是有效的电话号码（手机 11 位，座机带区号）。")
    closed_on = _date(cell("closed_on"))
    if closed_on is None:
        problem("closed_on", "不是有效的日期（例如 2026-11-05）。")
    elif closed_on > today:
        problem("closed_on", "晚于今天，办结日期不能在将来。")
    if len(problems) > before or kind is None or procedure is None or closed_on is None:
        return None
    return CaseRow(
        line=line,
        case_number=values["case_number"],
        kind=kind,
        procedure=procedure,
        party_name=values["party_name"],
        party_phone=phone,
        handler_id=values["handler_id"],
        handler_name=values["handler_name"],
        closed_on=closed_on,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or ID typed into a number cell
    return " ".join(str(value).split())


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text)))
    raise ImportRefused(["文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel 文件。"])


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise ImportRefused(["不是有效的 Excel（.xlsx）文件，请重新导出后再试。"]) from None
    sheet = book.worksheets[0]
    rows: Iterable[Sequence[Any]] = sheet.iter_rows(values_only=True)
    table = [list(row) for row in rows]
    book.close()
    return table
