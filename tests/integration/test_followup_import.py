"""Importing a month's closed cases: the workspace's upload on a department's follow-up page and
`manyi followup import`, one reader and one store call behind both. All rows or none, every
problem by row in Chinese without a party's name or phone, idempotent on the case number,
audited; a re-import that contradicts a stored case is refused, not dropped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.followup.importing import FIELD_NAMES, ImportRefused, read_case_file, template
from manyi.model import Questionnaire
from manyi.workspace.context import Workspace
from tests.cli import run_manyi
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
DEPARTMENT = "shichangjianguanju"
MONTH = "2026-11"
PAGE = f"/workspace/followup/d/{DEPARTMENT}/"
HEADER = list(FIELD_NAMES.values())


def rows(count: int = 3, month: str = MONTH) -> list[list[str]]:
    return [
        [f"平市监罚〔2026〕{n}号", "处罚", "一般程序", f"郑记{n}号商行", f"1390000000{n}",
         f"H{n}", f"承办人{n}", f"{month}-0{n}"]
        for n in range(1, count + 1)
    ]  # fmt: skip


def as_csv(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *table])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path / "data", questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office", [])
        make_account(workspace, "clerk-s", "department", [DEPARTMENT])
        yield workspace


def clerk(ws: Workspace) -> Client:
    client = Client(ws)
    client.log_in("clerk-s")
    page = client.get(f"{PAGE}?month={MONTH}")
    assert page.status == 200
    assert f'action="{PAGE}import"' in page.text  # the form is on the page
    assert 'enctype="multipart/form-data"' in page.text
    return client


def upload(client: Client, name: str, data: bytes, month: str = MONTH) -> tuple[int, str]:
    answer = client.upload(f"{PAGE}import", {"month": month}, name, data)
    return answer.status, answer.text


def stored(ws: Workspace) -> list[str]:
    assert ws.followup is not None
    return sorted(c.case_number for c in ws.followup.store.month(DEPARTMENT, MONTH))


def test_an_upload_stores_every_case_once_sealed_and_audited(ws: Workspace) -> None:
    client = clerk(ws)
    status, text = upload(client, "十一月.csv", as_csv(rows()))
    assert status == 200, text[:500]
    assert "新导入 3 件" in text
    status, text = upload(client, "十一月.csv", as_csv(rows()))
    assert status == 200
    assert "新导入 0 件，3 件以前已导入过" in text
    assert stored(ws) == [f"平市监罚〔2026〕{n}号" for n in (1, 2, 3)]
    assert ws.followup is not None
    assert all(c.party is not None for c in ws.followup.store.month(DEPARTMENT, MONTH))
    imports = [e for e in ws.staff.audit.month(MONTH) if e.action == "followup.import"]
    assert [
        (e.actor, dict(e.after or {})["added"], dict(e.after or {})["existing"]) for e in imports
    ] == [
        ("clerk-s", 3, 0),
        ("clerk-s", 0, 3),
    ]
    # The page of the month lists them; the party's name is on the call screen only.
    page = client.get(f"{PAGE}?month={MONTH}").text
    assert "平市监罚〔2026〕1号" in page
    assert "郑记1号商行" not in page
    assert "13900000001" not in page


def test_an_upload_without_the_sessions_token_stores_nothing(ws: Workspace) -> None:
    client = clerk(ws)
    client.csrf = "forged-token"
    status, text = upload(client, "cases.csv", as_csv(rows()))
    assert status == 403
    assert "未作任何修改" in text
    assert stored(ws) == []


def test_a_bad_file_is_refused_whole_row_by_row_without_personal_data(ws: Workspace) -> None:
    client = clerk(ws)
    table = rows(4)
    table[1][4] = "1390000"  # not a phone
    table[2][1] = "检查"
    table[3][7] = "2026-10-31"  # another month than the page's
    status, text = upload(client, "cases.csv", as_csv(table))
    assert status == 422
    assert "整个文件都没有保存" in text
    assert "第 3 行，“联系电话”列：不是有效的电话号码" in text
    assert "第 4 行，“案件类别”列：应为“许可”或“处罚”" in text
    assert "第 5 行，“办结日期”列：2026-10-31 不在 2026-11" in text
    for party in ("郑记2号商行", "1390000", "郑记4号商行"):
        assert party not in text
    assert stored(ws) == []
    assert not [e for e in ws.staff.audit.month(MONTH) if e.action == "followup.import"]


def test_a_reimport_that_contradicts_a_stored_case_is_refused_not_dropped(ws: Workspace) -> None:
    client = clerk(ws)
    assert upload(client, "cases.csv", as_csv(rows()))[0] == 200
    assert ws.followup is not None
    before = ws.followup.store.month(DEPARTMENT, MONTH)
    corrected = rows()
    corrected[1][5] = "H9"  # another handler for case 2: the handler rule depends on it
    corrected[2][7] = "2026-11-09"  # case 3 closed on another day
    status, text = upload(client, "cases.csv", as_csv([*corrected, *rows(5)[3:]]))
    assert status == 422
    assert "第 3 行：这个案件编号已经导入过，但“承办人执法证号”与已导入的不同" in text
    assert "第 4 行：这个案件编号已经导入过，但“办结日期”与已导入的不同" in text
    assert ws.followup.store.month(DEPARTMENT, MONTH) == before  # cases 4 and 5 not stored


def test_a_corrected_closing_date_in_the_next_month_is_caught(ws: Workspace) -> None:
    assert ws.followup is not None
    october = read_case_file("c.csv", as_csv(rows(1, "2026-10")), NOW.date())
    from manyi.followup.service import import_cases

    import_cases(ws.followup, DEPARTMENT, october, NOW, "office-1")
    november = read_case_file("c.csv", as_csv(rows(1)), NOW.date(), MONTH)
    with pytest.raises(ImportRefused, match="办结日期"):
        import_cases(ws.followup, DEPARTMENT, november, NOW, "office-1")
    assert stored(ws) == []


def test_the_template_downloads_and_a_filled_one_imports(ws: Workspace) -> None:
    client = clerk(ws)
    answer = client.get(f"{PAGE}template.xlsx")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.body))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    kinds = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"许可,处罚"' in kinds
    assert '"一般程序,简易程序"' in kinds
    # Filled as Excel fills it: a real date cell (a serial number), a phone typed as a number.
    filled_row = ["平市监许〔2026〕7号", "许可", "简易程序", "郑记七号", 13900000007, "H7"]
    sheet.append([*filled_row, "承办人七", datetime(2026, 11, 7)])
    filled = io.BytesIO()
    book.save(filled)
    status, text = upload(client, "模板.xlsx", filled.getvalue())
    assert status == 200, text[:800]
    assert ws.followup is not None
    (case,) = ws.followup.store.month(DEPARTMENT, MONTH)
    assert (case.kind, case.procedure, case.closed_on) == ("licensing", "summary", "2026-11-07")
    assert ws.followup.sealer is not None
    assert case.party is not None
    opened = ws.followup.sealer.open(case.case_id, case.party)
    assert opened == {"party_name": "郑记七号", "party_phone": "13900000007"}


def test_the_empty_template_is_refused_with_a_clear_reason() -> None:
    with pytest.raises(ImportRefused, match="只有表头"):
        read_case_file("t.xlsx", template("市场监督管理局"), NOW.date())


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("cases.xls", b"\xd0\xcf\x11\xe0old excel", "另存为 .xlsx"),
        ("cases.xlsx", b"not a zip at all", "不是有效的 Excel"),
        ("cases.xlsx", b"PK\x03\x04broken", "不是有效的 Excel"),
        ("cases.csv", "案件编号,当事人\n1,2\n".encode(), "缺少这些列"),
        ("cases.csv", b"\xff\xfe\x00garbage\xff" * 3, "编码无法识别"),
    ],
)
def test_files_that_are_no_case_export_get_a_reason(
    ws: Workspace, name: str, data: bytes, reason: str
) -> None:
    status, text = upload(clerk(ws), name, data)
    assert status == 422
    assert reason in text
    assert stored(ws) == []


def test_no_file_or_no_key_stores_nothing(ws: Workspace) -> None:
    client = clerk(ws)
    status, text = upload(client, "empty.csv", b"")
    assert status == 400
    assert "请选择要上传的案件文件" in text
    assert ws.followup is not None
    ws.followup.sealer = None
    status, text = upload(client, "cases.csv", as_csv(rows()))
    assert status == 503
    assert "未配置个人信息加密密钥" in text
    assert stored(ws) == []


@pytest.mark.slow
def test_the_cli_imports_with_the_same_reader(tmp_path: Path) -> None:
    data, key = tmp_path / "data", tmp_path / "keys" / "sealing.key"
    assert run_manyi("key", "create", "--key-file", str(key), "--data", str(data)).returncode == 0
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    table = rows()
    table[0][4] = "12"
    bad.write_bytes(as_csv(table))
    good.write_bytes(as_csv(rows()))
    common = ["--department", DEPARTMENT, "--data", str(data), "--key-file", str(key)]
    refused = run_manyi("followup", "import", str(bad), *common)
    assert refused.returncode == 2
    assert "第 2 行，“联系电话”列" in refused.stderr
    assert "郑记1号商行" not in refused.stderr + refused.stdout
    other_month = run_manyi("followup", "import", str(good), "--month", "2026-10", *common)
    assert other_month.returncode == 2
    assert "不在 2026-10" in other_month.stderr
    first = run_manyi("followup", "import", str(good), "--month", MONTH, *common)
    again = run_manyi("followup", "import", str(good), *common)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr
    assert "新导入 3 件" in first.stdout
    assert "新导入 0 件，3 件此前已导入" in again.stdout
    wrong = run_manyi("followup", "import", str(good), "--month", "2026-13", *common)
    assert wrong.returncode == 2
    assert "月份应为 1 至 12" in wrong.stderr


def test_dates_as_excel_serials_and_digits() -> None:
    table = [HEADER, ["A-1", "处罚", "简易", "某", "13900000001", "H1", "甲", 46331],
             ["A-2", "许可", "一般", "某", "13900000002", "H1", "甲", 20261106]]  # fmt: skip
    book = Workbook()
    for row in table:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    found = read_case_file("c.xlsx", out.getvalue(), date(2026, 11, 20))
    assert [r.closed_on for r in found.rows] == [date(2026, 11, 5), date(2026, 11, 6)]
    assert replace(found.rows[0], line=0).party_phone == "13900000001"
