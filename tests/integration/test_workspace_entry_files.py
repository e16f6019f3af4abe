"""Staff entry by file: the XLSX template round trip (openpyxl fills 50 rows; GBK CSV too),
bad cells named by sheet, row and column with nothing stored, re-uploads stored once; and the
served count proposed from a case-system export whose party column is kept nowhere."""

from __future__ import annotations

import csv
import io
import logging
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.entry_import import DATA_SHEET, GUIDE_SHEET, MARK, columns
from manyi.model import Questionnaire
from manyi.results.run import Aggregator
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.context import Workspace
from tests.entry_papers import mixed_papers, stored_form
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
ENTRY = "/workspace/d/sifaju/entry/"


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path, questionnaire, NOW, publish=False, login_limit=None) as ws:
        make_account(ws, "clerk-a", "department", ["sifaju"])
        yield ws


@pytest.fixture
def clerk(ws: Workspace) -> Client:
    client = Client(ws)
    assert client.log_in("clerk-a").status == 303
    client.get(ENTRY)
    return client


def stored(ws: Workspace) -> list[Any]:
    assert isinstance(ws.intake, SubmissionStore)
    return [s.submission for s in ws.intake.department_month("sifaju", "2026-11")]


def download_template(clerk: Client, channel: str = "paper") -> bytes:
    answer = clerk.get(f"{ENTRY}template.xlsx?channel={channel}")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return answer.body


def cells_for(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[str]:
    """A paper as a clerk fills the template: printed labels, √ in option columns."""
    row = []
    for column in columns(questionnaire):
        value = answers.get(column.question.id)
        if column.option is not None:
            row.append(MARK if value is not None and column.option in value else "")
        elif value is None:
            row.append("")
        else:
            option = column.question.option(value)
            assert option is not None
            row.append(option.text)
    return row


def filled(template: bytes, rows: list[list[str]]) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book[DATA_SHEET]
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=index, column=column, value=value or None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_has_drop_downs_of_printed_labels_a_guide_and_its_version(
    clerk: Client, questionnaire: Questionnaire
) -> None:
    book = load_workbook(io.BytesIO(download_template(clerk)))
    assert book.sheetnames[:2] == [DATA_SHEET, GUIDE_SHEET]
    sheet = book[DATA_SHEET]
    header = [c.value for c in sheet[1]]
    assert header[0] == "问卷编号"
    assert "第9题" in header
    assert "第1题 不存在以上情况" in header  # a multiple choice: one column per option
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    assert '"满意,基本满意,不满意,不了解"' in lists
    assert f'"{MARK}"' in lists
    guide = "\n".join(str(row[0].value or "") for row in book[GUIDE_SHEET].iter_rows())
    assert questionnaire.version in guide
    assert "平顶山市司法局" in guide
    assert "多选题" in guide


def test_fifty_rows_round_trip_and_a_second_upload_stores_nothing_twice(
    ws: Workspace, clerk: Client, questionnaire: Questionnaire
) -> None:
    papers = mixed_papers(questionnaire, 50)
    rows = [[f"202611-{n:03d}", *cells_for(questionnaire, p)] for n, p in enumerate(papers, 1)]
    upload = filled(download_template(clerk), rows)
    answer = clerk.upload(f"{ENTRY}import", {"channel": "paper"}, "papers.xlsx", upload)
    assert answer.status == 200, answer.text[:2000]
    assert "新保存 50 份" in answer.text
    again = clerk.upload(f"{ENTRY}import", {"channel": "paper"}, "papers.xlsx", upload)
    assert again.status == 200
    assert "新保存 0 份" in again.text
    assert "50 份以前已导入过" in again.text
    responses = stored(ws)
    assert len(responses) == 50
    assert sorted(sorted(dict(r.answers).items()) for r in responses) == sorted(
        sorted(stored_form(questionnaire, p).items()) for p in papers
    )
    assert {r.channel for r in responses} == {"paper"}
    # The results count them, as staff-entered (the paper channel is `entry: staff`).
    assert ws.intake is not None
    Aggregator(questionnaire, ws.intake, ws.results).run(NOW + timedelta(hours=1), ["2026-11"])
    counts = ws.results.state("sifaju", "2026-11").result.counts
    assert counts.responses == 50
    assert counts.channels == {"paper": 50}


def test_a_gbk_csv_and_a_utf8_csv_import_and_share_the_rows_identity(
    ws: Workspace, clerk: Client, questionnaire: Questionnaire
) -> None:
    papers = mixed_papers(questionnaire, 6, seed=3)
    header = ["问卷编号", *(c.header for c in columns(questionnaire))]
    lines = [header] + [
        [f"电话-{n}", *cells_for(questionnaire, p)] for n, p in enumerate(papers, 1)
    ]
    text = io.StringIO()
    csv.writer(text).writerows(lines)
    gbk = text.getvalue().encode("gbk")
    answer = clerk.upload(f"{ENTRY}import", {"channel": "phone"}, "电话.csv", gbk)
    assert answer.status == 200, answer.text[:2000]
    assert "新保存 6 份" in answer.text
    # The same papers saved by another program as UTF-8 with a BOM: nothing new.
    utf8 = text.getvalue().encode("utf-8-sig")
    again = clerk.upload(f"{ENTRY}import", {"channel": "phone"}, "phone.csv", utf8)
    assert "新保存 0 份" in again.text
    assert len(stored(ws)) == 6
    assert {r.channel for r in stored(ws)} == {"phone"}


def test_a_file_with_three_bad_cells_names_each_and_stores_nothing(
    ws: Workspace, clerk: Client, questionnaire: Questionnaire
) -> None:
    papers = mixed_papers(questionnaire, 10, seed=5)
    rows = [[f"B-{n}", *cells_for(questionnaire, p)] for n, p in enumerate(papers, 1)]
    header = ["问卷编号", *(c.header for c in columns(questionnaire))]
    q9 = header.index("第9题")
    q1_none = header.index("第1题 不存在以上情况")
    q1_first = header.index("第1题 不按法定程序办事")
    rows[2][q9] = "很满意"  # row 4: not an option
    rows[5][0] = ""  # row 7: no number
    rows[7][q1_none] = MARK  # row 9: the exclusive option with another
    rows[7][q1_first] = MARK
    upload = filled(download_template(clerk), rows)
    answer = clerk.upload(f"{ENTRY}import", {"channel": "paper"}, "bad.xlsx", upload)
    assert answer.status == 422
    page = answer.text
    assert "3 处错误" in page
    assert "工作表“问卷”第 4 行 R（第9题） 列：“很满意”不是这一题的选项" in page
    assert "工作表“问卷”第 7 行 A（问卷编号） 列：请填写问卷编号" in page
    assert "工作表“问卷”第 9 行 C（第1题 不按法定程序办事） 列：" in page
    assert "不存在以上情况" in page
    assert stored(ws) == []


def test_a_stale_or_foreign_template_is_refused_as_a_whole(ws: Workspace, clerk: Client) -> None:
    book = Workbook()
    book.active.title = DATA_SHEET
    book.active.append(["序号", "满意度"])
    out = io.BytesIO()
    book.save(out)
    answer = clerk.upload(f"{ENTRY}import", {"channel": "paper"}, "x.xlsx", out.getvalue())
    assert answer.status == 400
    assert "列标题与当前模板不一致" in answer.text
    other = download_template(clerk, "meeting")
    answer = clerk.upload(f"{ENTRY}import", {"channel": "paper"}, "x.xlsx", other)
    assert "另一个渠道的模板" in answer.text
    junk = clerk.upload(f"{ENTRY}import", {"channel": "paper"}, "x.xlsx", b"PK\x03\x04junk")
    assert junk.status == 400
    assert "无法作为 Excel 文件打开" in junk.text
    assert stored(ws) == []


def case_export(rows: int, parties: int, month: str = "2026-11") -> tuple[bytes, list[str]]:
    """A case system's export: a title line, then one row per case, `parties` distinct ones
    in the month (spelled with stray spaces and full-width digits now and then), plus cases
    of the month before that must not count."""
    chance = random.Random(7)
    names = [f"测试当事人{n:04d}号商行" for n in range(parties)]
    codes = [f"91410400MA{n:08d}X" for n in range(parties)]
    book = Workbook()
    sheet = book.active
    sheet.append(["平顶山市某局办件明细（导出）"])
    sheet.append(["案件编号", "当事人", "统一社会信用代码", "办结日期", "事项"])
    for n in range(rows):
        who = n % parties
        name = names[who] if n % 11 else f" {names[who]} "
        day = datetime(2026, 11, 1 + n % 28)
        sheet.append([f"AJ{n:06d}", name, codes[who], day, "行政许可"])
    for n in range(20):  # October's cases
        sheet.append([f"OLD{n}", f"十月当事人{n}", "x", f"2026-10-{1 + n}", "行政许可"])
    chance.shuffle(names)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), names + codes


def test_a_case_export_proposes_its_distinct_parties_and_keeps_none_of_them(
    ws: Workspace,
    clerk: Client,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The acceptance: 1,000 rows, 700 distinct parties: 700; no party anywhere afterwards."""
    caplog.set_level(logging.DEBUG)
    data, secrets = case_export(1000, 700)
    fields = {"party": "当事人", "date": "办结日期", "month": "2026-11"}
    answer = clerk.upload(f"{ENTRY}served", fields, "export.xlsx", data)
    assert answer.status == 200, answer.text[:1000]
    assert (
        'name="count" inputmode="numeric" pattern="[0-9,]*" required maxlength="12" value="700"'
        in answer.text
    )
    by_code = clerk.upload(f"{ENTRY}served", {**fields, "party": "C"}, "export.xlsx", data)
    assert 'value="700"' in by_code.text
    # The clerk confirms: the served count is set through the ordinary, audited form.
    confirmed = clerk.post("/workspace/d/sifaju/served", {"month": "2026-11", "count": "700"})
    assert confirmed.status == 303
    assert ws.results.served("2026-11")["sifaju"] == 700
    # Nothing of the party column in the data folder, the answer pages' logs or the output.
    leaked = [s for s in secrets if s in answer.text]
    assert leaked == []
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    folder = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in secrets[::37] + secrets[-3:]:
        assert secret not in logs
        assert secret.encode("utf-8") not in folder
    assert "测试当事人" not in logs
    assert "测试当事人".encode() not in folder


def test_a_case_export_without_the_chosen_column_lists_its_columns(clerk: Client) -> None:
    data, _ = case_export(10, 5)
    fields = {"party": "申请人", "date": "办结日期", "month": "2026-11"}
    answer = clerk.upload(f"{ENTRY}served", fields, "export.xlsx", data)
    assert answer.status == 400
    assert "找不到“申请人”列" in answer.text
    assert "统一社会信用代码" in answer.text
    assert "测试当事人" not in answer.text
