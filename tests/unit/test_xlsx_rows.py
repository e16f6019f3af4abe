"""The fast XLSX reader agrees with openpyxl on what openpyxl writes, reads inline strings,
rich text and phonetic guides as Excel and WPS write them, and refuses what is not XLSX."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook as OpenpyxlBook
from openpyxl import load_workbook

from manyi.xlsx_rows import NotXlsx, Workbook


def test_it_reads_what_openpyxl_reads() -> None:
    book = OpenpyxlBook()
    sheet = book.active
    sheet.title = "问卷"
    sheet.append(["编号", "答案", "数", "真假"])
    sheet.append(["A-1", "满意", 3, True])
    sheet.append([])
    sheet.append([None, "基本满意", 2.5, False])
    sheet["F6"] = "远处的格"
    sheet["B7"] = datetime(2026, 11, 3)
    book.create_sheet("其他").append(["x"])
    out = io.BytesIO()
    book.save(out)
    ours = list(Workbook(out.getvalue()).rows("问卷"))
    theirs = load_workbook(io.BytesIO(out.getvalue()), read_only=True)["问卷"]
    expected = [list(r) for r in theirs.iter_rows(values_only=True)]
    assert ours[:4] == [
        ["编号", "答案", "数", "真假"],
        ["A-1", "满意", 3, True],
        [],
        [None, "基本满意", 2.5, False],
    ]
    assert ours[5] == [None, None, None, None, None, "远处的格"]
    assert ours[6] == [None, 46329]  # a date stays Excel's serial day
    assert len(ours) == len(expected)
    assert Workbook(out.getvalue()).sheet_names == ["问卷", "其他"]


def handmade(sheet_xml: str, shared: str | None = None) -> bytes:
    """The minimum of an XLSX as other writers make it (prefixed names, inline strings)."""
    out = io.BytesIO()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<x:workbook xmlns:x="{main}" xmlns:r="{rel}"><x:sheets>'
            '<x:sheet name="问卷" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="/xl/worksheets/sheet1.xml" Type="x"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml", f'<x:worksheet xmlns:x="{main}">{sheet_xml}</x:worksheet>'
        )
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">{shared}</sst>')
    return out.getvalue()


def test_inline_strings_rich_text_and_phonetic_guides() -> None:
    shared = (
        "<si><t>满意</t></si>"
        "<si><r><t>基本</t></r><r><t>满意</t></r></si>"
        "<si><t>张</t><rPh sb='0' eb='1'><t>zhang</t></rPh></si>"
    )
    sheet = (
        "<x:sheetData>"
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>'
        '<x:c r="C1" t="s"><x:v>2</x:v></x:c></x:row>'
        '<x:row r="3"><x:c r="B3" t="inlineStr"><x:is><x:t>不了解</x:t></x:is></x:c>'
        '<x:c r="C3" t="str"><x:f>A1</x:f><x:v>满意</x:v></x:c></x:row>'
        "</x:sheetData>"
    )
    rows = list(Workbook(handmade(sheet, shared)).rows("问卷"))
    assert rows == [["满意", "基本满意", "张"], [], [None, "不了解", "满意"]]


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04junk", b"not a zip at all"])
def test_what_is_not_xlsx_is_refused(data: bytes) -> None:
    with pytest.raises(NotXlsx):
        Workbook(data)


def test_a_damaged_sheet_is_refused_while_reading() -> None:
    book = Workbook(handmade("<x:sheetData><x:row r='1'><x:c r='A1'><x:v>1</x:v>"))
    with pytest.raises(NotXlsx):
        list(book.rows("问卷"))
