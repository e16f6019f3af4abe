"""Reading a month's closed cases from a case system's export (XLSX or CSV, 双公示-like columns).

Every row is checked before anything is stored; a file with any bad row is refused whole, with
each problem in Chinese by row and column. A problem never quotes the party's name or phone:
the message names the row and what is wrong, so it can go to a log or a screen safely. The
workspace's upload and `manyi followup import` both read files here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from manyi.errors import ManyiError
from manyi.store.cases.base import CASE_KINDS, PROCEDURES, CaseKind, Procedure
from manyi.xlsx_rows import NotXlsx, Workbook

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
# A date cell of an XLSX file is a serial day number (1900 system: day 1 is 1900-01-01, with
# Excel's phantom 1900-02-29, so counting from 1899-12-30 is right from March 1900 on).
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31
NOT_XLSX = "不是有效的 Excel（.xlsx）文件，请重新导出后再试。"


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


def read_case_file(name: str, data: bytes, today: date, month: str | None = None) -> CaseFile:
    """The rows of an XLSX or CSV export; ImportRefused with every problem otherwise.
    `month` (YYYY-MM): every case must have closed in it (an upload on a month's page)."""
    suffix = name.lower().rpartition(".")[2]
    if data[:4] == b"PK\x03\x04":
        table = _xlsx_rows(data)
    elif suffix == "csv":
        table = _csv_rows(data)
    elif suffix == "xlsx":
        raise ImportRefused([NOT_XLSX])
    else:
        raise ImportRefused(
            ["只能导入 Excel（.xlsx）或 CSV 文件；.xls 文件请用 Excel 另存为 .xlsx。"]
        )
    return CaseFile(check_rows(table, today, month), hashlib.sha256(data).hexdigest())


def check_rows(
    table: Sequence[Sequence[Any]], today: date, month: str | None = None
) -> tuple[CaseRow, ...]:
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
        found = _row(line, row, columns, today, month, problems)
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
    line: int,
    row: Sequence[Any],
    columns: dict[str, int],
    today: date,
    month: str | None,
    problems: list[str],
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
    elif month is not None and closed_on.isoformat()[:7] != month:
        problem(
            "closed_on",
            f"{closed_on.isoformat()} 不在 {month}；每次只导入所选月份办结的案件，"
            "其他月份的案件请在该月份的页面导入。",
        )
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
    # A number past the serial range is a date typed as digits (20261105): read as text below.
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and 1 <= value <= EXCEL_LAST_SERIAL:
        return EXCEL_EPOCH + timedelta(days=int(value))
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
    """The first sheet's values. An upload is untrusted: this reader refuses zip bombs and
    resolves no XML entities (manyi/xlsx_rows.py)."""
    try:
        return list(Workbook(data).rows())
    except NotXlsx:
        raise ImportRefused([NOT_XLSX]) from None


# -- the template a department may fill instead of its own export -----------------------------

TEMPLATE_ROWS = 2000
TEXT_COLUMNS = ("case_number", "party_phone", "handler_id")  # kept as typed: leading zeros


def template(department_name: str) -> bytes:
    """An empty case file with the import's columns (the first sheet, as the reader expects),
    kind and procedure as drop-downs, and a guide sheet naming every accepted column title."""
    from openpyxl import Workbook as NewWorkbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = NewWorkbook()
    sheet = book.active
    sheet.title = "办结案件"
    sheet.append(list(FIELD_NAMES.values()))
    sheet.freeze_panes = "A2"
    last = TEMPLATE_ROWS + 1
    choices = {"kind": "许可,处罚", "procedure": "一般程序,简易程序"}
    for index, name in enumerate(FIELD_NAMES, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = 24 if name in ("case_number", "party_name") else 16
        if name in choices:
            rule = DataValidation(type="list", formula1=f'"{choices[name]}"', allow_blank=True)
            rule.error = "请从下拉列表中选择。"
            rule.errorTitle = "不在可选范围内"
            rule.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(rule)
        # A column's style is what Excel and WPS give each cell typed into it.
        if name in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
        elif name == "closed_on":
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    guide = book.create_sheet("填写说明")
    lines = [
        f"{department_name} · 回访案件导入模板",
        "",
        "1. 在“办结案件”工作表中每行填一件本月办结的行政许可或行政处罚案件，从第 2 行开始。",
        "2. 案件类别选“许可”或“处罚”；适用程序选“一般程序”或“简易程序”。",
        "3. 联系电话填手机号（11 位）或带区号的座机号；办结日期如 2026-11-05。",
        "4. 承办人执法证号用于“回访人员和办案人员分离”：承办人不能回访自己办的案件。",
        "5. 整个文件检查无误才会保存；有错误时系统按行列出原因（不会显示当事人姓名和电话），"
        "改正后重新上传即可。同一案件编号重复上传不会重复保存。",
        "6. 也可以直接上传业务系统的导出表（.xlsx 或 UTF-8/GBK 编码的 .csv），列名可以是：",
    ]
    lines += [f"   {FIELD_NAMES[name]}：{'、'.join(titles)}" for name, titles in HEADERS.items()]
    for line in lines:
        guide.append([line])
    guide.column_dimensions["A"].width = 110
    for (cell,) in guide.iter_rows():
        cell.alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
