"""Questionnaires in a spreadsheet: the XLSX template a clerk fills (one row per paper, a
drop-down of printed option labels per question) and the reading of a filled one, XLSX or CSV
(UTF-8 or GBK), into checked responses or every bad cell named.

How rows are identified: the template's first column, 问卷编号, is the number the clerk writes
on the paper (e.g. 202611-001). A row's submission ID is a hash of the department and that
number, so the same file uploaded twice, or a later file repeating a paper already imported,
stores nothing twice; the same number with different answers is refused, naming the cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from manyi.answers import check_answers
from manyi.errors import ManyiError
from manyi.model import Channel, Department, Question, Questionnaire
from manyi.submission import StoredSubmission, utc_timestamp
from manyi.xlsx_rows import NotXlsx, Value

DATA_SHEET = "问卷"
GUIDE_SHEET = "填写说明"
META_SHEET = "meta"
NUMBER_HEADER = "问卷编号"
MAX_NUMBER = 40
MAX_ROWS = 20_000
# Template rows that carry the drop-downs; more rows can be added by copying one.
TEMPLATE_ROWS = 2000
MARK = "√"
# What a clerk may type in a multiple choice's option column to tick it, or to leave it.
TICKS = frozenset({"√", "✓", "✔", "☑", "1", "是", "y", "yes", "v", "x", "■", "对"})
BLANKS = frozenset({"", "0", "否", "n", "no", "-", "—"})
MAX_REPORTED = 200


@dataclass(frozen=True)
class Column:
    header: str
    question: Question
    option: str | None = None  # a multiple choice's option column


class CellProblem(NamedTuple):
    sheet: str
    row: int
    column: str  # the letter and the header, e.g. "C（第1题 不按法定程序办事）"
    reason: str

    def text(self) -> str:
        return f"工作表“{self.sheet}”第 {self.row} 行 {self.column} 列：{self.reason}"


class ImportRefused(ManyiError):
    """The file as a whole cannot be read (not XLSX/CSV, wrong template, wrong version)."""


@dataclass(frozen=True)
class ReadResult:
    responses: list[StoredSubmission]
    problems: list[CellProblem]
    rows: int
    sheet: str = DATA_SHEET
    row_of: dict[str, int] | None = None  # each response's row, by submission ID

    def problem(self, submission_id: str, reason: str) -> CellProblem:
        """A problem found later (against the store) with the row it comes from."""
        row = (self.row_of or {}).get(submission_id, 0)
        return CellProblem(self.sheet, row, f"A（{NUMBER_HEADER}）", reason)


def columns(questionnaire: Questionnaire) -> list[Column]:
    """The template's question columns, in questionnaire order (after 问卷编号)."""
    found = []
    for q in questionnaire.questions:
        label = _label(q)
        if q.kind == "multiple":
            found += [Column(f"{label} {o.text}", q, o.id) for o in q.options]
        else:
            found.append(Column(label, q))
    return found


def row_submission_id(department: str, number: str) -> str:
    digest = hashlib.sha256(f"{department}\x1f{number}".encode()).hexdigest()
    return f"x-{digest[:32]}"


# -- the template -------------------------------------------------------------------------


def template(questionnaire: Questionnaire, department: Department, channel: Channel) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    cols = columns(questionnaire)
    sheet.append([NUMBER_HEADER, *(c.header for c in cols)])
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 16
    last = TEMPLATE_ROWS + 1
    number_rule = DataValidation(type="textLength", operator="between", formula1="1")
    number_rule.formula2 = str(MAX_NUMBER)
    number_rule.error = f"问卷编号为 1 至 {MAX_NUMBER} 个字，写在纸质问卷上，每份不同。"
    number_rule.add(f"A2:A{last}")
    sheet.add_data_validation(number_rule)
    rules: dict[str, DataValidation] = {}
    for index, column in enumerate(cols, start=2):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        q = column.question
        text = questionnaire.text_for(q.text, department)
        cell.comment = Comment(
            text + ("（多选：选中的选项打 √）" if column.option else ""), "manyi"
        )
        sheet.column_dimensions[letter].width = 10 if column.option else 14
        choices = MARK if column.option else ",".join(o.text for o in q.options)
        rule = rules.get(choices)
        if rule is None:
            rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            rule.error = "请从下拉列表中选择。"
            rule.errorTitle = "答案不在选项中"
            rules[choices] = rule
            sheet.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}{last}")
    sheet.cell(row=1, column=1).font = Font(bold=True)
    _guide(book.create_sheet(GUIDE_SHEET), questionnaire, department, channel)
    meta = book.create_sheet(META_SHEET)
    meta.append(["version", questionnaire.version])
    meta.append(["department", department.id])
    meta.append(["channel", channel.id])
    meta.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _guide(
    sheet: Any, questionnaire: Questionnaire, department: Department, channel: Channel
) -> None:
    from openpyxl.styles import Alignment

    lines = [
        f"{questionnaire.title} · 批量导入模板",
        f"部门：{department.name}    渠道：{channel.name}    问卷版本：{questionnaire.version}",
        "",
        "怎样填写：",
        f"1. 在“{DATA_SHEET}”工作表中每行填一份问卷，从第 2 行开始。",
        f"2. 第一列“{NUMBER_HEADER}”填写纸质问卷上的编号（如 202611-001），每份不同。"
        "同一编号重复上传只保存一次，所以同一个文件上传两次不会重复计数。",
        "3. 单选题：点单元格右边的下拉箭头，选择纸上勾选的答案。",
        f"4. 多选题：每个选项占一列，纸上勾选了哪个选项，就在那一列选“{MARK}”；没勾选的留空。"
        "“不存在以上情况”不能与其他选项同时勾选。",
        "5. 不需要回答的题留空：第2题选“否”时第3题留空；答题人不是民营企业时第二部分留空。",
        "6. 上传时整个文件检查无误才会保存；有错误时系统会列出每个错误的工作表、行、列和原因，"
        "改正后重新上传即可。",
        "7. 也可以另存为 CSV（UTF-8 或 GBK 均可）再上传，列标题不要改动。",
        "",
        "各题题目：",
    ]
    for q in questionnaire.questions:
        lines.append(f"{_label(q)}：{questionnaire.text_for(q.text, department)}")
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 120
    for row in sheet.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)


def _label(q: Question) -> str:
    if q.number is None:
        return "答题人身份"
    prefix = "二、" if q.section == "private_enterprise" else ""
    return f"{prefix}第{q.number}题"


# -- reading a filled file ----------------------------------------------------------------


def read_upload(
    questionnaire: Questionnaire,
    department: Department,
    channel: Channel,
    filename: str,
    data: bytes,
    now: datetime,
    month: str,
) -> ReadResult:
    """Every row as a checked response, or every bad cell; ImportRefused for a file that is
    not a template of this department's current questionnaire at all."""
    if data[:4] == b"PK\x03\x04":
        sheet, rows = DATA_SHEET, _xlsx_rows(questionnaire, department, channel, data)
    elif filename.lower().endswith(".csv"):
        sheet, rows = filename.rsplit("/", 1)[-1][:60], _csv_rows(data)
    else:
        raise ImportRefused("只能上传本系统下载的 Excel 模板（.xlsx）或其 CSV 文件。")
    header = next(rows, None)
    if header is None:
        raise ImportRefused("文件是空的。")
    return _read_rows(questionnaire, department, channel, sheet, header, rows, now, month)


def _xlsx_rows(
    questionnaire: Questionnaire, department: Department, channel: Channel, data: bytes
) -> Iterator[list[str]]:
    from manyi.xlsx_rows import Workbook

    try:
        book = Workbook(data)
    except NotXlsx:
        raise ImportRefused("文件无法作为 Excel 文件打开，请用本系统下载的模板填写。") from None
    if DATA_SHEET not in book.sheet_names:
        raise ImportRefused(f"文件里没有“{DATA_SHEET}”工作表，请用本系统下载的模板填写。")
    if META_SHEET in book.sheet_names:
        meta = {
            str(row[0]): str(row[1]) for row in book.rows(META_SHEET) if len(row) >= 2 and row[0]
        }
        if meta.get("version") != questionnaire.version:
            raise ImportRefused("模板的问卷版本已过期，请重新下载模板，把数据复制过去后再上传。")
        if meta.get("department") != department.id:
            raise ImportRefused("这是另一个部门的模板，请下载本部门的模板。")
        if meta.get("channel") not in (None, channel.id):
            raise ImportRefused(
                f"这是另一个渠道的模板；请选择该渠道，或下载“{channel.name}”的模板。"
            )
    return _checked_rows(book.rows(DATA_SHEET))


def _checked_rows(rows: Iterator[list[Value]]) -> Iterator[list[str]]:
    try:
        for row in rows:
            yield [_text(value) for value in row]
    except NotXlsx:
        raise ImportRefused("文件已损坏，无法读完，请重新保存后上传。") from None


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes any byte string; kept for the type checker
        raise ImportRefused("CSV 文件的编码无法识别，请另存为 UTF-8 或 GBK。")
    return ([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)))


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _read_rows(
    questionnaire: Questionnaire,
    department: Department,
    channel: Channel,
    sheet: str,
    header: list[str],
    rows: Iterator[list[str]],
    now: datetime,
    month: str,
) -> ReadResult:
    from openpyxl.utils import get_column_letter

    expected = [NUMBER_HEADER, *(c.header for c in columns(questionnaire))]
    given = [h.strip() for h in header]
    while given and not given[-1]:
        given.pop()
    if given != expected:
        missing = [h for h in expected if h not in given]
        extra = [h for h in given if h and h not in expected]
        detail = "；".join(
            part
            for part in (
                f"缺少列：{'、'.join(missing[:10])}" if missing else "",
                f"多出列：{'、'.join(extra[:10])}" if extra else "",
            )
            if part
        )
        raise ImportRefused(
            f"第 1 行的列标题与当前模板不一致（{detail or '列的顺序不同'}），请重新下载模板。"
        )
    letters = [f"{get_column_letter(i)}（{h}）" for i, h in enumerate(expected, start=1)]
    by_question: dict[str, list[tuple[int, Column]]] = {}
    for index, column in enumerate(columns(questionnaire), start=1):
        by_question.setdefault(column.question.id, []).append((index, column))
    problems: list[CellProblem] = []
    responses: list[StoredSubmission] = []
    row_of: dict[str, int] = {}
    numbers: dict[str, int] = {}
    count = 0
    stamp = utc_timestamp(now)
    for row_number, row in enumerate(rows, start=2):
        cells = [*row, *[""] * (len(expected) - len(row))]
        if not any(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ImportRefused(f"一个文件最多 {MAX_ROWS:,} 份问卷，请分成几个文件上传。")

        def problem(column: int, reason: str, row_number: int = row_number) -> None:
            problems.append(CellProblem(sheet, row_number, letters[column], reason))

        number = cells[0]
        if not number:
            problem(0, "请填写问卷编号。")
        elif len(number) > MAX_NUMBER:
            problem(0, f"问卷编号最多 {MAX_NUMBER} 个字。")
        elif number in numbers:
            problem(0, f"问卷编号与第 {numbers[number]} 行重复。")
        else:
            numbers[number] = row_number
        raw: dict[str, object] = {}
        bad: set[str] = set()
        for question_id, cols in by_question.items():
            value, reason = _value(cols, cells)
            if reason is not None:
                problem(reason[0], reason[1])
                bad.add(question_id)
            elif value is not None:
                raw[question_id] = value
        checked = check_answers(questionnaire, raw)
        for error in checked.errors:
            if error.question not in bad:
                problem(by_question[error.question][0][0], error.message)
        if checked.ok and not bad and number:
            submission_id = row_submission_id(department.id, number)
            row_of[submission_id] = row_number
            responses.append(
                StoredSubmission(
                    submission_id=submission_id,
                    department=department.id,
                    month=month,
                    received_at=stamp,
                    version=questionnaire.version,
                    channel=channel.id,
                    answers=checked.answers,
                )
            )
    return ReadResult(responses, problems, count, sheet, row_of)


def _value(
    cols: Sequence[tuple[int, Column]], cells: Sequence[str]
) -> tuple[object, tuple[int, str] | None]:
    """One question's raw answer from its column(s), or (column, reason) for a bad cell."""
    index, first = cols[0]
    question = first.question
    if first.option is None:
        text = cells[index]
        if not text:
            return None, None
        for number, option in enumerate(question.options, start=1):
            if text in (option.text, option.id, str(number)):
                return option.id, None
        allowed = "、".join(o.text for o in question.options)
        return None, (index, f"“{_shown(text)}”不是这一题的选项（可选：{allowed}）。")
    picked = []
    for index, column in cols:
        mark = cells[index].strip().lower()
        if mark in TICKS:
            picked.append(column.option)
        elif mark not in BLANKS:
            return None, (index, f"“{_shown(cells[index])}”无法识别：选中请填 {MARK}，未选留空。")
    return picked, None


def _shown(text: str) -> str:
    """A cell's text as a message quotes it: short, one line, no formula start."""
    one_line = re.sub(r"\s+", " ", text)[:20]
    return one_line.lstrip("=+-@")
