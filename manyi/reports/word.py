"""The monthly report as a Word document (.docx) that opens cleanly in WPS and Word.

Laid out as a Chinese government report (GB/T 9704 in spirit): A4, title in 小标宋 二号
centred, the issuing office and date under it, body in 仿宋 三号, section heads 一、 in 黑体,
tables in 宋体 五号 with a caption above (表1 …) and notes below, header rows repeated on every
page, rows never split across pages, page numbers "— N —" at the foot. A table too wide for a
portrait page gets a landscape section of its own. Fonts are named by their Chinese names, the
way WPS and Word look them up; LibreOffice substitutes a CJK font it has.

python-docx is imported here only, so nothing else pays for it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, ParamSpec

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from manyi.reports.monthly import MonthlyReport, city_report, date_words, department_report
from manyi.reports.sections import ReportTable

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEAD_FONT = "黑体"
TABLE_FONT = "宋体"
BODY_SIZE = Pt(14)  # 四号: the summary stays short enough for the page budget
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(9.5)
NOTE_SIZE = Pt(9)
MUTED = RGBColor(0x6B, 0x6B, 0x6B)
# A4 with the standard's margins, a little narrower at top and bottom for the tables.
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGINS = {"top": Cm(3.0), "bottom": Cm(2.6), "left": Cm(2.8), "right": Cm(2.6)}

Params = ParamSpec("Params")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _as_docx(make: Callable[Params, MonthlyReport]) -> Callable[Params, bytes]:
    """A report's .docx, made from the same arguments as the report itself."""

    def docx(*args: Params.args, **kwargs: Params.kwargs) -> bytes:
        return render_docx(make(*args, **kwargs))

    return docx


def render_docx(report: MonthlyReport) -> bytes:
    document = Document()
    _page(document.sections[0], landscape=False)
    _page_numbers(document.sections[0])
    _styles(document)
    _title(document, report)
    tables = iter(report.tables())
    for number, section in report.numbered():
        _heading(document, number + section.title)
        for text in section.paragraphs:
            _body(document, text)
        for i, (title, paragraphs) in enumerate(section.parts):
            _heading(document, f"（{'一二三四五六七八九十'[i]}）{title}", level=2)
            for text in paragraphs:
                _body(document, text)
        for _ in section.tables:
            label, table = next(tables)
            if table.landscape:
                _switch(document, landscape=True)
            _table(document, label, table)
            if table.landscape:
                _switch(document, landscape=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


city_docx = _as_docx(city_report)
department_docx = _as_docx(department_report)


# -- page, styles --------------------------------------------------------------------------


def _page(section: Any, *, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (
        (PAGE_HEIGHT, PAGE_WIDTH) if landscape else (PAGE_WIDTH, PAGE_HEIGHT)
    )
    section.top_margin = MARGINS["top"] if not landscape else Cm(2.2)
    section.bottom_margin = MARGINS["bottom"] if not landscape else Cm(2.0)
    section.left_margin = MARGINS["left"]
    section.right_margin = MARGINS["right"]


def _switch(document: Any, *, landscape: bool) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=landscape)


def _page_numbers(section: Any) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "— ", TABLE_FONT, Pt(12))
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    _run(paragraph, " —", TABLE_FONT, Pt(12))


def _styles(document: Any) -> None:
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _east_asian(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.25


def _east_asian(rpr: Any, font: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)


def _run(
    paragraph: Any, text: str, font: str, size: Any, *, bold: bool = False, muted: bool = False
) -> Any:
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.bold = bold
    if muted:
        run.font.color.rgb = MUTED
    _east_asian(run._element.get_or_add_rPr(), font)
    return run


# -- text ------------------------------------------------------------------------------


def _title(document: Any, report: MonthlyReport) -> None:
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    _run(title, report.title, TITLE_FONT, TITLE_SIZE)
    sub = document.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(sub, report.subtitle, BODY_FONT, Pt(12))
    issuer = document.add_paragraph()
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    issuer.paragraph_format.space_after = Pt(12)
    issued = date_words(report.issued)
    _run(issuer, f"{report.issuer}　{issued}".strip("　"), "楷体_GB2312", Pt(14))


def _heading(document: Any, text: str, level: int = 1) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(28)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.keep_with_next = True
    _run(paragraph, text, HEAD_FONT if level == 1 else "楷体_GB2312", BODY_SIZE)


def _body(document: Any, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(28)  # two characters
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _run(paragraph, text, BODY_FONT, BODY_SIZE)


# -- tables ------------------------------------------------------------------------------


def _table(document: Any, label: str, table: ReportTable) -> None:
    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(3)
    caption.paragraph_format.keep_with_next = True
    _run(caption, f"{label}　{table.caption}", HEAD_FONT, Pt(11))
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    section = document.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin
    widths = list(table.widths) or [1 / len(table.columns)] * len(table.columns)
    # The grid's own column widths too: LibreOffice lays a table out by its grid (tblGrid),
    # not by the cells' widths, and python-docx makes the grid's columns all equal.
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = int(usable * width)
    _row(grid.rows[0], table.columns, widths, usable, header=True, muted=False)
    for i, cells in enumerate(table.rows):
        row = grid.add_row()
        _row(row, [str(c) if c is not None else "—" for c in cells], widths, usable,
             header=False, muted=i in table.muted_rows)  # fmt: skip
    for note in table.notes:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(2)
        _run(paragraph, "注：" + note if note is table.notes[0] else note, TABLE_FONT, NOTE_SIZE)


def _row(
    row: Any, texts: Any, widths: list[float], usable: int, *, header: bool, muted: bool
) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    no_split = OxmlElement("w:cantSplit")
    tr_pr.append(no_split)
    if header:
        repeat = OxmlElement("w:tblHeader")  # repeated at the top of every page
        tr_pr.append(repeat)
    for cell, text, width in zip(row.cells, texts, widths, strict=True):
        cell.width = int(usable * width)
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, str(text), HEAD_FONT if header else TABLE_FONT, TABLE_SIZE, muted=muted)
