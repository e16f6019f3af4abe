"""The month's served count from a case-system export: distinct parties among the rows dated
in the month, proposed to the clerk, who confirms it as the served count.

The party column holds names, credit codes or ID numbers: it is read in memory for this one
count and dropped. Nothing of it is stored, hashed for later, logged or put in a message; the
answer says only how many rows and parties there were.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import NamedTuple

from manyi.errors import ManyiError
from manyi.xlsx_rows import NotXlsx, Value, Workbook

MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 10
# Excel's day zero for serial dates (1900 system, with its 1900-02-29 quirk before day 60).
EXCEL_EPOCH = date(1899, 12, 30)
DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


class ExportProblem(ManyiError):
    """The file or the chosen columns cannot be used; the message says why, in Chinese."""


class ServedCount(NamedTuple):
    parties: int  # distinct parties with a row dated in the month: the proposal
    rows: int  # data rows read
    in_month: int  # rows dated in the month
    undated: int  # rows whose date cell could not be read
    unnamed: int  # rows in the month without a party


def count_parties(
    filename: str, data: bytes, party_column: str, date_column: str, month: str
) -> ServedCount:
    rows = _rows(filename, data)
    header_index, header = _header(rows, party_column, date_column)
    party = _column(header, party_column)
    when = _column(header, date_column)
    if party is None or when is None:
        wanted = party_column if party is None else date_column
        shown = "、".join(h for h in header if h)[:300]
        raise ExportProblem(f"找不到“{wanted}”列。表头中的列有：{shown}")
    if party == when:
        raise ExportProblem("当事人列和日期列不能是同一列。")
    year, month_number = (int(part) for part in month.split("-"))
    parties: set[str] = set()
    read = in_month = undated = unnamed = 0
    for row in rows[header_index + 1 :]:
        if not any(cell not in (None, "") for cell in row):
            continue
        read += 1
        if read > MAX_ROWS:
            raise ExportProblem(f"一个文件最多 {MAX_ROWS:,} 行。")
        day = _date(row[when] if when < len(row) else None)
        if day is None:
            undated += 1
            continue
        if (day.year, day.month) != (year, month_number):
            continue
        in_month += 1
        name = _party(row[party] if party < len(row) else None)
        if name:
            parties.add(name)
        else:
            unnamed += 1
    count = ServedCount(len(parties), read, in_month, undated, unnamed)
    parties.clear()
    return count


def _rows(filename: str, data: bytes) -> list[list[Value]]:
    if data[:4] == b"PK\x03\x04":
        return list(_xlsx_rows(data))
    if filename.lower().endswith(".csv"):
        return [list[Value](row) for row in _csv_rows(data)]
    raise ExportProblem("只能上传 Excel（.xlsx）或 CSV 文件。")


def _xlsx_rows(data: bytes) -> Iterator[list[Value]]:
    try:
        yield from Workbook(data).rows()
    except NotXlsx:
        raise ExportProblem("文件无法作为 Excel 文件打开。") from None


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return csv.reader(io.StringIO(text))


def _header(rows: list[list[Value]], party_column: str, date_column: str) -> tuple[int, list[str]]:
    """The header row: the first of the top rows naming a chosen column (exports often start
    with a title line), else the first row."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [_cell_text(cell) for cell in row]
        if party_column.strip() in names or date_column.strip() in names:
            return index, names
    if not rows:
        raise ExportProblem("文件是空的。")
    return 0, [_cell_text(cell) for cell in rows[0]]


def _column(header: list[str], chosen: str) -> int | None:
    wanted = chosen.strip()
    if wanted in header:
        return header.index(wanted)
    if re.fullmatch(r"[A-Za-z]{1,3}", wanted):
        from openpyxl.utils import column_index_from_string

        return int(column_index_from_string(wanted.upper())) - 1
    return None


def _cell_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _date(cell: object) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, (int, float)) and 1 <= cell < 2_958_466:
        return EXCEL_EPOCH + timedelta(days=int(cell))
    if isinstance(cell, str):
        found = DATE_TEXT.match(cell)
        if found:
            try:
                return date(*(int(part) for part in found.groups()))
            except ValueError:
                return None
    return None


def _party(cell: object) -> str:
    """One party however the system spelled it: full-width letters and digits, spaces and
    case folded (an ID number's final x, a company name's 全角 brackets)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = unicodedata.normalize("NFKC", str(cell))
    return "".join(text.split()).upper()
