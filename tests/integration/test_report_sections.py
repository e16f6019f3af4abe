"""The 回访 and 投诉举报 sections of the monthly report, from the real stores: the office's Word
and HTML reports through the workspace, a department's own copy, and `manyi report`; nothing
personal in any of them, and no section where there is nothing to report."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.followup.figures import figures_of
from manyi.followup.importing import read_case_file
from manyi.followup.service import Followup, draw_month, import_cases, record_attempt
from manyi.model import Questionnaire
from manyi.reports.tables import percent
from manyi.workspace.context import Workspace
from tests.cli import run_manyi
from tests.complaint_support import NAME, PHONE, add_sample_complaint, complaint_fields
from tests.integration.test_followup_acceptance import as_csv, party, rows
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
MONTH = "2026-11"
DEPARTMENT = "shichangjianguanju"
CASES = 24
REPORTED = "办事时被要求多跑了两趟"
NOTE = "联系了当事人本人"


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def html_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def personal(questionnaire: Questionnaire) -> list[str]:
    """What must never appear in a report: parties, phones, words, handlers, case numbers."""
    found = [NAME, PHONE, REPORTED, NOTE, "平市监〔2026〕", "承办人H"]
    found += [p for n in range(1, CASES + 1) for p in party(n)]
    found += [complaint_fields()["account"], complaint_fields()["subject"]]
    return found


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path / "data", questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office", [])
        make_account(workspace, "clerk-s", "department", [DEPARTMENT])
        yield workspace


def fill(ws: Workspace, questionnaire: Questionnaire) -> Followup:
    """A month of the department's cases, drawn and called, and three complaints (one about
    another department, one of October)."""
    fu = ws.followup
    config = questionnaire.followup
    assert fu is not None
    assert config is not None
    cases = read_case_file("cases.csv", as_csv(rows(CASES)), NOW.date())
    import_cases(fu, DEPARTMENT, cases, NOW, "office-1")
    draw_month(fu, config, DEPARTMENT, MONTH, NOW, "office-1", seed=1)
    good = {q.id: q.options[0].id for q in config.questions}
    good["fu_improper"] = "none"
    bad = dict(good, fu_result="dissatisfied")
    drawn = sorted(
        (c for c in fu.store.month(DEPARTMENT, MONTH) if c.drawn), key=lambda c: c.case_id
    )
    plan = [("completed", good)] * 3 + [("completed", bad), ("refused", {})]
    for case, (outcome, answers) in zip(drawn, plan, strict=False):
        reported = REPORTED if answers is bad else ""
        record_attempt(fu, config, case, outcome, NOTE, answers, reported, NOW, "office-1")
    add_sample_complaint(ws, complaint_id="report-complaint-0001", department=DEPARTMENT)
    add_sample_complaint(
        ws, complaint_id="report-complaint-0002", department=DEPARTMENT, category="bribe"
    )
    add_sample_complaint(ws, complaint_id="report-complaint-0003", department="sifaju")
    add_sample_complaint(ws, complaint_id="report-complaint-0004", received_on="2026-10-09")
    return fu


@pytest.mark.slow
def test_the_office_and_a_department_get_the_sections_they_may_read(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    config = questionnaire.followup
    assert config is not None
    office = Client(ws)
    office.log_in("office-1")
    # Nothing imported, nothing received: neither section, not even a heading.
    empty = docx_text(office.get(f"/workspace/office/{MONTH}/reports/report.docx").body)
    assert "回访情况" not in empty
    assert "投诉举报" not in empty
    fu = fill(ws, questionnaire)
    figures = figures_of(DEPARTMENT, MONTH, fu.store.month(DEPARTMENT, MONTH), config, NOW.date())
    assert (figures.closed, figures.completed, figures.refused) == (CASES, 4, 1)
    name = questionnaire.department(DEPARTMENT).name  # type: ignore[union-attr]

    city = docx_text(office.get(f"/workspace/office/{MONTH}/reports/report.docx").body)
    assert "四、回访情况" in city
    assert "五、投诉举报情况" in city
    assert "六、工作要求" in city
    assert (
        f"本月1个部门导入办结的许可、处罚案件{CASES}件，抽取回访{figures.drawn}件，"
        f"联系到当事人5件，完成回访4件；应答率{percent(figures.response_rate)}"
    ) in city
    assert "1件回访反映了问题" in city
    assert "本月收到投诉举报3件，涉及2个部门" in city
    assert "表4　各部门回访情况" in city
    assert "表6　各部门投诉举报办理情况" in city
    html = office.get(f"/workspace/office/{MONTH}/reports/report.html")
    assert html.status == 200
    page = html_text(html.text)
    assert "四、回访情况" in page
    assert "五、投诉举报情况" in page
    assert f"本月1个部门导入办结的许可、处罚案件{CASES}件" in page

    # The department's own copy: its follow-ups, no complaints (those figures are the office's).
    clerk = Client(ws)
    clerk.log_in("clerk-s")
    own = docx_text(clerk.get(f"/workspace/d/{DEPARTMENT}/{MONTH}/report.docx").body)
    assert own.startswith(f"{name}2026年11月")
    assert "三、回访情况" in own
    assert f"本月本部门导入办结案件{CASES}件，抽取回访{figures.drawn}件" in own
    assert "投诉举报" not in own
    for text in (city, page, own):
        assert not [p for p in personal(questionnaire) if p in text]


@pytest.mark.slow
def test_manyi_report_fills_the_sections_from_the_data_folder(
    ws: Workspace, questionnaire: Questionnaire, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bare = tmp_path / "bare"
    bare.mkdir()
    command = ("report", "--month", MONTH, "--format", "docx", "--department", DEPARTMENT)
    # A data folder without cases or complaints: no section, and no store created by a report.
    done = run_manyi(*command, "--data", str(bare), "--out", str(tmp_path / "out-bare"))
    assert done.returncode == 0, done.stderr
    written = tmp_path / "out-bare" / "departments" / f"{DEPARTMENT}-{MONTH}.docx"
    text = docx_text(written.read_bytes())
    assert "回访情况" not in text
    assert "投诉举报" not in text
    assert sorted(p.name for p in bare.iterdir()) == ["results.sqlite3"]

    fill(ws, questionnaire)
    out = tmp_path / "out"
    done = run_manyi(*command, "--data", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    office_copy = docx_text((out / "departments" / f"{DEPARTMENT}-{MONTH}.docx").read_bytes())
    assert f"本月本部门导入办结案件{CASES}件" in office_copy
    # The office's copy of the department's report carries its complaints, counted.
    assert "本月收到涉及本部门的投诉举报2件" in office_copy
    html = run_manyi("report", "--month", MONTH, "--data", str(data), "--out", str(out))
    assert html.returncode == 0, html.stderr
    page = html_text((out / "report.html").read_text(encoding="utf-8"))
    assert "回访情况" in page
    assert "本月收到投诉举报3件" in page
    for text in (office_copy, page):
        assert not [p for p in personal(questionnaire) if p in text]
