"""The monthly report the office hands up: its summary against the figures, its rankings, the
sections other features fill, the Word file and its printed length (LibreOffice)."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from manyi.model import Questionnaire
from manyi.reports.html_report import render_report
from manyi.reports.monthly import MonthlyReport, city_report, department_report
from manyi.reports.sections import ReportSection, ReportTable
from manyi.reports.tables import percent
from manyi.reports.view import TREND_MONTHS, MonthView, month_view
from manyi.reports.word import render_docx
from manyi.reports.workbook import to_xlsx
from manyi.store.results.sqlite import SqliteResultsStore
from tests.acceptance_data import (
    ABOVE_100,
    CHANGED_LATE,
    MONTH,
    SILENT,
    SINGLE,
    acceptance_plan,
    acceptance_store,
)
from tests.office_pdf import libreoffice_pages, pdf_pages
from tests.report_sections_data import busy_providers

ISSUED = date(2026, 11, 28)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire) -> Path:
    path = tmp_path_factory.mktemp("acceptance") / "results.sqlite3"
    acceptance_store(questionnaire, str(path)).close()
    return path


@pytest.fixture(scope="module")
def view(store_path: Path, questionnaire: Questionnaire) -> Iterator[MonthView]:
    store = SqliteResultsStore(store_path)
    yield month_view(questionnaire, store, MONTH, TREND_MONTHS)
    store.close()


@pytest.fixture(scope="module")
def report(view: MonthView, questionnaire: Questionnaire) -> MonthlyReport:
    return city_report(questionnaire, view, ISSUED)


def named(questionnaire: Questionnaire, department: str) -> str:
    found = questionnaire.department(department)
    assert found is not None
    return found.name


def test_the_summary_says_what_the_figures_say(
    report: MonthlyReport, view: MonthView, questionnaire: Questionnaire
) -> None:
    plan = acceptance_plan(questionnaire)
    city = view.city
    before = next(c for c in view.trend if c.month == "2026-10")
    text = "".join(report.sections[0].paragraphs)
    total = sum(n for (month, _), n in plan.items() if month == MONTH)
    answering = sum(1 for (month, _), n in plan.items() if month == MONTH and n)
    last_total = sum(n for (month, _), n in plan.items() if month == "2026-10")
    assert (
        f"全市38个部门中有{answering}个部门收回有效问卷，共{total:,}份（上月{last_total:,}份）"
        in text
    )
    self_completed = sum(d.entries["self"] for d in city.departments)
    assert f"自主填写{self_completed:,}份（{percent(self_completed / total)}）" in text
    staff = total - self_completed
    assert f"工作人员代录{staff:,}份（{percent(staff / total)}）" in text
    coverage_change = (city.coverage or 0) - (before.coverage or 0)
    assert f"测评率{percent(city.coverage)}，低于90%的目标" in text
    assert (
        f"较上月{'上升' if coverage_change > 0 else '下降'}{abs(coverage_change) * 100:.1f}个百分点"
        in text
    )
    index_change = (city.satisfaction_index or 0) - (before.satisfaction_index or 0)
    assert f"全市满意度指数{city.satisfaction_index:.1f}，较上月" in text
    assert f"{abs(index_change):.1f}；综合满意率" in text
    best = city.by_index[0]
    assert f"满意度指数最高的部门是{best.figures.department.name}（{best.value:.1f}）" in text
    ranked = [r for r in city.by_index if r.rank is not None]
    assert f"最低的是{ranked[-1].figures.department.name}（{ranked[-1].value:.1f}）" in text
    silent = "、".join(d.name for d in questionnaire.departments if d.id in SILENT)
    assert f"本月没有收回问卷的部门3个：{silent}" in text
    assert f"列出但不参加排名：{named(questionnaire, SINGLE)}" in text
    assert f"{named(questionnaire, ABOVE_100)}测评率超过100%" in text
    assert f"{named(questionnaire, CHANGED_LATE)}服务对象数在20日后改动" in text
    lagging = [d for d in city.departments if d.below_target]
    assert f"测评率未达到90%的部门{len(lagging)}个" in text
    top = max((o for q in city.questions for o in q.problem_rates), key=lambda o: o.share or 0)
    assert f"，{top.count:,}人（{percent(top.share)}）" in text.split("群众反映最多的问题是：")[1]


def test_the_one_answer_department_is_listed_unranked(
    report: MonthlyReport, questionnaire: Questionnaire
) -> None:
    index_table = report.sections[1].tables[0]
    rows = {row[1]: row for row in index_table.rows}
    assert rows[named(questionnaire, SINGLE)][0] == "样本不足"
    ranks = [row[0] for row in index_table.rows if row[0] not in ("样本不足", "—")]
    assert ranks[:3] == ["1", "2", "3"]
    assert index_table.columns[-2:] == ["环比", "上月排名"]
    problems = report.sections[2].tables[0]
    assert any(row[0] == named(questionnaire, SINGLE) + "*" for row in problems.rows)
    assert len(problems.rows) == 38 - len(SILENT) + 1  # the answering departments and the city


def test_sections_other_features_fill_are_absent_until_they_have_data(
    view: MonthView, questionnaire: Questionnaire
) -> None:
    def nothing(month: str, department: str | None) -> ReportSection | None:
        return None

    def visits(month: str, department: str | None) -> ReportSection | None:
        table = ReportTable("回访情况", ["部门", "回访"], [["全市", 12]])
        return ReportSection("回访情况", [f"{month} 回访 12 件。"], [table])

    titles = [s.title for s in city_report(questionnaire, view, ISSUED).sections]
    assert "回访情况" not in titles
    assert "投诉举报情况" not in titles
    assert city_report(questionnaire, view, ISSUED, {"followup": nothing}).sections == (
        city_report(questionnaire, view, ISSUED).sections
    )
    filled = city_report(questionnaire, view, ISSUED, {"followup": visits})
    numbered = {s.title: n for n, s in filled.numbered()}
    assert numbered["回访情况"] == "四、"
    # 表1-3 are the rankings and problem rates; the 回访 table follows. (The acceptance month
    # also changes 叶县's served count after the 20th, so its 数据质量预警 table comes last.)
    labels = {table.caption: label for label, table in filled.tables()}
    assert labels["回访情况"] == "表4"


def test_the_word_file_has_the_title_issuer_sections_and_captioned_tables(
    report: MonthlyReport, questionnaire: Questionnaire
) -> None:
    document = Document(io.BytesIO(render_docx(report)))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "2026年11月全市行政执法满意度测评情况通报"
    assert texts[2] == f"{questionnaire.office.name}　2026年11月28日"
    assert "一、总体情况" in texts
    assert "二、各部门排名情况" in texts
    assert "三、问题发生率" in texts
    assert "表1　各部门满意度指数排名" in texts
    assert "表3　各部门问题发生率" in texts
    first_rows = [t.rows[0].cells[0].text for t in document.tables]
    # The rankings, the problem rates, then 数据质量预警 (叶县's served count changed late).
    assert first_rows == ["排名", "排名", "部门", "部门"]
    assert "数据质量预警" in "".join(texts)
    # The problem table is printed in a landscape section of its own.
    assert [s.orientation for s in document.sections] == [0, 1, 0]


@pytest.mark.slow
def test_printed_the_city_report_fits_12_pages_and_each_department_3(
    tmp_path: Path, view: MonthView, questionnaire: Questionnaire
) -> None:
    # At its longest: every department with follow-ups, complaints in every category.
    providers = busy_providers(questionnaire, MONTH)
    report = city_report(questionnaire, view, ISSUED, providers)
    assert [s.title for s in report.sections][3:5] == ["回访情况", "投诉举报情况"]
    city = tmp_path / "city.docx"
    city.write_bytes(render_docx(report))
    files = [city]
    for d in questionnaire.departments:
        path = tmp_path / f"{d.id}.docx"
        own = department_report(questionnaire, view, d.id, ISSUED, providers)
        assert "回访情况" in [s.title for s in own.sections]
        path.write_bytes(render_docx(own))
        files.append(path)
    pages = libreoffice_pages(files)
    city_pages = pages.pop("city.docx")
    print(f"city report: {city_pages} pages; departments: max {max(pages.values())}")
    assert city_pages <= 12
    assert max(pages.values()) <= 3
    assert min(pages.values()) >= 1


def test_manyi_report_writes_the_word_reports(
    tmp_path: Path, store_path: Path, questionnaire: Questionnaire
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "results.sqlite3").write_bytes(store_path.read_bytes())
    out = tmp_path / "out"
    command = [sys.executable, "-m", "manyi", "report", "--month", MONTH, "--format", "docx"]
    done = subprocess.run(
        [*command, "--data", str(data), "--out", str(out), "--department", "sifaju"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = out / "departments" / f"sifaju-{MONTH}.docx"
    document = Document(str(written))
    assert document.paragraphs[0].text == "平顶山市司法局2026年11月行政执法满意度测评情况"
    unknown = subprocess.run(
        [*command, "--data", str(data), "--out", str(out), "--department", "nowhere"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr


def test_printed_the_html_report_fits_12_a4_pages(
    view: MonthView, questionnaire: Questionnaire, browser: Any
) -> None:
    page = browser.new_page()
    page.set_content(render_report(questionnaire, view, busy_providers(questionnaire, MONTH)))
    assert page.get_by_role("heading", name="五、投诉举报情况").count() == 1
    pages = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
    page.close()
    print(f"HTML report: {pages} A4 pages")
    assert 1 < pages <= 12


@pytest.mark.slow
def test_printed_the_workbook_keeps_every_column_on_the_page_width(
    tmp_path: Path, view: MonthView, questionnaire: Questionnaire
) -> None:
    whole = load_workbook(io.BytesIO(to_xlsx(questionnaire, view)))
    city = whole["全市汇总"]
    assert city.page_setup.orientation == "landscape"
    assert city.page_setup.fitToWidth == 1
    assert city.print_title_rows is not None
    assert "全市汇总" in city.oddHeader.center.text
    for name in whole.sheetnames[1:]:
        del whole[name]
    whole.save(tmp_path / "city.xlsx")
    (tmp_path / "sifaju.xlsx").write_bytes(to_xlsx(questionnaire, view, "sifaju"))
    pages = libreoffice_pages([tmp_path / "city.xlsx", tmp_path / "sifaju.xlsx"])
    print(f"workbook pages: {pages}")
    assert pages["city.xlsx"] <= 3  # 241 pages before: its columns split across pages
    assert pages["sifaju.xlsx"] <= 5
