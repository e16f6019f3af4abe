"""The workspace's pages doing their jobs: the figures on both dashboards, the served count,
the close and reopen, the downloads, accounts, passwords and the audit log."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from manyi.aggregate import Counts, MonthlyResult, count
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.store.results.base import DepartmentMonthState
from manyi.workspace.context import Workspace
from manyi.workspace.reports import LocalReportFiles
from tests.responses import stored
from tests.workspace_support import PASSWORD, Client, local_workspace, make_account, put_result

NOW = datetime(2026, 11, 14, 0, 0, tzinfo=BEIJING)  # 13 of November's 26 collection days gone
MONTH = "2026-11"


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path, questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office")
        make_account(workspace, "viewer-1", "viewer")
        make_account(workspace, "clerk-a", "department", ["sifaju"])
        yield workspace


def signed_in(ws: Workspace, username: str = "office-1") -> Client:
    client = Client(ws, f"10.0.{len(username)}.{sum(map(ord, username)) % 250}")
    assert client.log_in(username).status == 303
    client.get("/workspace/password")
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the department's page ----------------------------------------------------------------


@pytest.mark.slow
def test_the_department_page_shows_its_pace_to_the_close(ws: Workspace) -> None:
    put_result(
        ws, "sifaju", MONTH, Counts(responses=400, channels={"leaflet": 300, "phone": 100}), 1000
    )
    put_result(ws, "sifaju", "2026-10", Counts(responses=950, channels={"leaflet": 950}), 1000)
    page = text_of(signed_in(ws, "clerk-a").get("/workspace/d/sifaju/").text)
    assert "有效问卷 400 份" in page
    assert "测评率（目标 90%） 40.0%（未达标）" in page
    # 400 in 13 of 26 days: 800 at the close, 80% of 1,000.
    assert "按目前进度，关账时预计 80.0%（约 800 份）" in page
    assert "距关账日（11 月 27 日） 13 天" in page
    assert "宣传彩页二维码 300 950" in page  # this month and last, by channel
    assert "电话回访 100 0" in page
    assert "2026-10" in page


def test_a_served_count_is_set_corrected_to_zero_with_a_note_and_audited(ws: Workspace) -> None:
    clerk = signed_in(ws, "clerk-a")
    clerk.get("/workspace/d/sifaju/")
    answer = clerk.post("/workspace/d/sifaju/served", {"month": MONTH, "count": "1,200"})
    assert answer.status == 303
    assert "notice=served" in answer.location
    assert ws.results.served(MONTH) == {"sifaju": 1200}
    clerk.get("/workspace/d/sifaju/")
    clerk.post(
        "/workspace/d/sifaju/served", {"month": MONTH, "count": "0", "note": "本月无执法事项"}
    )
    assert ws.results.served(MONTH) == {"sifaju": 0}
    [first, second] = ws.staff.audit.history("served/2026-11/sifaju")
    assert (first.before, first.after) == ({"count": None}, {"count": 1200, "note": ""})
    assert second.actor == "clerk-a"
    assert (second.before, second.after) == (
        {"count": 1200},
        {"count": 0, "note": "本月无执法事项"},
    )
    page = text_of(clerk.get("/workspace/d/sifaju/").text)
    assert "本月无执法事项" in page
    assert "测评率（目标 90%） —" in page


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"month": MONTH, "count": "-3"}, 400, "服务对象数应为 0 至"),
        ({"month": MONTH, "count": "很多"}, 400, "服务对象数应为 0 至"),
        ({"month": MONTH, "count": "10", "note": "长" * 201}, 400, "说明最多 200 个字"),
        ({"month": "2026-12", "count": "10"}, 400, "只能填报本月或以前月份"),
        ({"month": "2026-13", "count": "10"}, 400, "只能填报本月或以前月份"),
    ],
)
def test_a_bad_served_count_is_refused_with_a_reason_and_nothing_is_stored(
    ws: Workspace, form: dict[str, str], status: int, message: str
) -> None:
    clerk = signed_in(ws, "clerk-a")
    clerk.get("/workspace/d/sifaju/")
    answer = clerk.post("/workspace/d/sifaju/served", form)
    assert answer.status == status
    assert message in answer.text
    assert ws.results.served(MONTH) == {}
    assert ws.staff.audit.history("served/2026-11/sifaju") == []


def test_a_closed_month_keeps_its_served_count(ws: Workspace) -> None:
    office = signed_in(ws)
    office.get("/workspace/office/")
    assert office.post("/workspace/office/2026-11/close", {"reason": "测试"}).status == 303
    clerk = signed_in(ws, "clerk-a")
    page = clerk.get("/workspace/d/sifaju/")
    assert 'action="/workspace/d/sifaju/served"' not in page.text
    answer = clerk.post("/workspace/d/sifaju/served", {"month": MONTH, "count": "10"})
    assert answer.status == 409
    assert "已关账" in answer.text
    assert ws.results.served(MONTH) == {}


# -- the office's page --------------------------------------------------------------------


def test_the_office_sees_silent_departments_first_then_those_behind(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    put_result(ws, "sifaju", MONTH, Counts(responses=500), 1000)  # 1,000 projected: on track
    put_result(ws, "xinfangju", MONTH, Counts(responses=100), 1000)  # 200 projected: behind
    put_result(ws, "gonganju", MONTH, Counts(responses=20))  # no served count
    page = signed_in(ws).get("/workspace/office/").text
    rows = re.findall(
        r'<tr class="group-(\d)">\s*<th scope="row"><a href="/workspace/d/([a-z]+)/', page
    )
    groups = [int(g) for g, _ in rows]
    assert groups == sorted(groups)
    order = [d for _, d in rows]
    silent = len(questionnaire.departments) - 3
    assert groups[:silent] == [0] * silent
    assert order[silent:] == ["xinfangju", "gonganju", "sifaju"]
    assert "无问卷、未填报服务对象数" in page


@pytest.mark.slow
def test_a_close_before_the_close_day_needs_a_reason_and_a_reopen_always_does(
    ws: Workspace,
) -> None:
    office = signed_in(ws)
    office.get("/workspace/office/")
    refused = office.post("/workspace/office/2026-11/close", {"reason": "  "})
    assert refused.status == 409
    assert "还没到关账日（11 月 27 日）。提前关账须填写原因。" in refused.text
    assert ws.results.month_close(MONTH) is None
    assert ws.staff.audit.history("month/2026-11") == []
    closed = office.post("/workspace/office/2026-11/close", {"reason": "上级要求提前报送"})
    assert closed.status == 303
    assert ws.results.month_close(MONTH) is not None
    [event] = ws.staff.audit.history("month/2026-11")
    assert event.action == "month.close"
    assert event.after is not None
    assert event.after["early"] is True
    assert event.after["reason"] == "上级要求提前报送"
    page = text_of(office.get("/workspace/office/").text)
    assert "上级要求提前报送" in page
    assert "已关账" in page
    assert office.post("/workspace/office/2026-11/reopen", {"reason": ""}).status == 409
    assert ws.results.month_close(MONTH) is not None
    assert office.post("/workspace/office/2026-11/reopen", {"reason": "补录纸质问卷"}).status == 303
    assert ws.results.month_close(MONTH) is None
    assert [e.action for e in ws.staff.audit.history("month/2026-11")] == [
        "month.close",
        "month.reopen",
    ]


def test_on_the_close_day_no_reason_is_needed(ws: Workspace) -> None:
    clock: Any = ws.clock
    clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=BEIJING)
    office = signed_in(ws)
    office.get("/workspace/office/")
    assert office.post("/workspace/office/2026-11/close", {"reason": ""}).status == 303
    assert office.post("/workspace/office/2026-11/close", {"reason": "再关"}).status == 409


def test_a_reopen_folds_the_late_arrivals_back_into_the_month(ws: Workspace) -> None:
    office = signed_in(ws)
    office.get("/workspace/office/")
    office.post("/workspace/office/2026-11/close", {"reason": "测试"})
    state = ws.results.state("sifaju", MONTH)
    late = MonthlyResult("sifaju", MONTH, Counts(responses=7), Counts(responses=3))
    ws.results.put_state(DepartmentMonthState(late, state.version + 1, "R#x"), state.version)
    office.get("/workspace/office/")
    office.post("/workspace/office/2026-11/reopen", {"reason": "补录"})
    result = ws.results.state("sifaju", MONTH).result
    assert (result.counts.responses, result.late.responses) == (10, 0)


def test_the_viewer_reads_everything_and_is_offered_no_change(ws: Workspace) -> None:
    viewer = signed_in(ws, "viewer-1")
    for path in ("/workspace/office/", "/workspace/d/sifaju/", "/workspace/accounts/"):
        page = viewer.get(path)
        assert page.status == 200
        forms = re.findall(r'<form[^>]* method="post" action="([^"]+)"', page.text)
        assert forms == ["/workspace/logout"], (path, forms)


# -- downloads ----------------------------------------------------------------------------


def test_a_departments_downloads_hold_that_department_only(ws: Workspace) -> None:
    put_result(ws, "sifaju", MONTH, Counts(responses=12, channels={"leaflet": 12}), 20)
    put_result(ws, "xinfangju", MONTH, Counts(responses=99, channels={"leaflet": 99}), 100)
    clerk = signed_in(ws, "clerk-a")
    data = json.loads(clerk.get("/workspace/d/sifaju/2026-11/results.json").body)
    assert data["department"]["department"] == "sifaju"
    assert data["department"]["responses"] == 12
    rows = list(csv.reader(io.StringIO(clerk.get("/workspace/d/sifaju/2026-11/summary.csv").text)))
    assert [r[0] for r in rows[1:]] == ["sifaju"]
    header = rows[0]
    assert rows[1][header.index("满意度指数排名")] == ""  # no ranks: they compare departments
    book = load_workbook(io.BytesIO(clerk.get("/workspace/d/sifaju/2026-11/results.xlsx").body))
    assert book.sheetnames == ["平顶山市司法局"]
    report = clerk.get("/workspace/d/sifaju/2026-11/report.html")
    assert "平顶山市司法局" in report.text
    assert "信访局" not in report.text
    assert report.headers["Content-Disposition"].startswith("attachment")


def test_the_office_reads_published_reports_and_live_ones_otherwise(ws: Workspace) -> None:
    office = signed_in(ws)
    live = office.get("/workspace/office/2026-11/reports/results.json")
    assert json.loads(live.body)["month"] == MONTH
    assert isinstance(ws.reports, LocalReportFiles)
    folder = ws.reports.root / "reports" / MONTH
    folder.mkdir(parents=True)
    (folder / "results.json").write_text('{"published": true}', encoding="utf-8")
    assert json.loads(office.get("/workspace/office/2026-11/reports/results.json").body) == {
        "published": True
    }
    page = office.get("/workspace/office/")
    assert "数据统计截至" in page.text
    report = office.get("/workspace/office/2026-11/reports/report.html")
    assert report.status == 200
    assert "'unsafe-inline'" in report.headers["Content-Security-Policy"]
    assert office.get("/workspace/office/2026-11/reports/secret.txt").status == 404


# -- accounts and passwords ---------------------------------------------------------------


def test_the_office_adds_an_account_whose_first_login_must_change_the_password(
    ws: Workspace,
) -> None:
    office = signed_in(ws)
    office.get("/workspace/accounts/")
    form = [
        ("username", "Clerk-B"),
        ("role", "department"),
        ("department", "xinfangju"),
        ("department", "gonganju"),
        ("display_name", "李四"),
        ("csrf", office.csrf),
    ]
    created = office.request("POST", "/workspace/accounts/", form)
    assert created.status == 200
    password = re.search(r'<p class="secret"><code>([^<]+)</code>', created.text)
    assert password is not None
    account = ws.staff.accounts.get("clerk-b")
    assert account is not None
    assert account.departments == ("xinfangju", "gonganju")
    assert account.must_change_password
    clerk = Client(ws, "10.50.0.1")
    assert clerk.log_in("clerk-b", password.group(1)).location == "/workspace/password"
    assert clerk.get("/workspace/d/xinfangju/").location == "/workspace/password"
    clerk.get("/workspace/password")
    new = "my own long passphrase"
    changed = clerk.post(
        "/workspace/password", {"current": password.group(1), "new": new, "repeat": new}
    )
    assert changed.status == 303
    chooser = clerk.get("/workspace/")
    assert chooser.status == 200  # two departments: a choice
    assert "/workspace/d/xinfangju/" in chooser.text
    assert "/workspace/d/gonganju/" in chooser.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "a b", "role": "viewer"}, "用户名须为"),
        ({"username": "clerk-a", "role": "viewer"}, "已有同名账号"),
        ({"username": "new-clerk", "role": "department"}, "至少需要选择一个部门"),
        ({"username": "new-office", "role": "office", "department": "sifaju"}, "不需要选择部门"),
        ({"username": "new-one", "role": "root"}, "请选择角色"),
    ],
)
def test_a_bad_new_account_is_refused_and_nothing_is_added(
    ws: Workspace, form: dict[str, str], message: str
) -> None:
    office = signed_in(ws)
    office.get("/workspace/accounts/")
    before = ws.staff.accounts.all()
    answer = office.post("/workspace/accounts/", form)
    assert answer.status == 400
    assert message in answer.text
    assert ws.staff.accounts.all() == before


@pytest.mark.parametrize(
    ("new", "repeat", "current", "message"),
    [
        ("short-1", "short-1", PASSWORD, "至少需要 10 个字符"),
        ("1qaz2wsx3edc", "1qaz2wsx3edc", PASSWORD, "太常见"),
        ("clerk-a-is-me", "clerk-a-is-me", PASSWORD, "不能包含用户名"),
        ("a-fine-passphrase", "a-fine-passphras", PASSWORD, "两次输入的新密码不一致"),
        ("a-fine-passphrase", "a-fine-passphrase", "wrong", "当前密码不正确"),
        (PASSWORD, PASSWORD, PASSWORD, "不能与当前密码相同"),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused(
    ws: Workspace, new: str, repeat: str, current: str, message: str
) -> None:
    clerk = signed_in(ws, "clerk-a")
    before = ws.staff.accounts.get("clerk-a")
    answer = clerk.post("/workspace/password", {"current": current, "new": new, "repeat": repeat})
    assert answer.status == 400
    assert message in answer.text
    assert ws.staff.accounts.get("clerk-a") == before


def test_a_reset_shows_a_new_password_once_and_the_office_cannot_lock_itself_out(
    ws: Workspace,
) -> None:
    office = signed_in(ws)
    office.get("/workspace/accounts/")
    reset = office.post("/workspace/accounts/clerk-a/reset")
    assert reset.status == 200
    assert "只显示这一次" in reset.text
    account = ws.staff.accounts.get("clerk-a")
    assert account is not None
    assert account.must_change_password
    office.get("/workspace/accounts/")
    assert office.post("/workspace/accounts/office-1/disable").status == 409
    office.get("/workspace/accounts/")
    assert office.post("/workspace/accounts/nobody-at-all/disable").status == 404


# -- the audit log ------------------------------------------------------------------------


def test_the_audit_log_filters_and_exports(ws: Workspace) -> None:
    office = signed_in(ws)
    clerk = signed_in(ws, "clerk-a")
    clerk.get("/workspace/d/sifaju/")
    clerk.post("/workspace/d/sifaju/served", {"month": MONTH, "count": "5"})
    page = office.get("/workspace/audit/?action=served.set")
    assert page.status == 200
    assert text_of(page.text).count("served/2026-11/sifaju") == 1
    logins = office.get("/workspace/audit/?action=login&actor=clerk-a").text
    assert "clerk-a" in logins
    assert "office-1</td>" not in logins
    book = load_workbook(
        io.BytesIO(office.get("/workspace/audit/export.xlsx?action=served.set").body)
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间（北京时间）", "账号", "操作", "对象")
    assert [r[1:4] for r in rows[1:]] == [("clerk-a", "填报服务对象数", "served/2026-11/sifaju")]
    assert office.get("/workspace/audit/?month=junk").status == 400


def test_pages_say_when_their_figures_were_counted(ws: Workspace) -> None:
    office = signed_in(ws)
    assert "本月尚未统计" in office.get("/workspace/office/").text
    put_result(ws, "sifaju", MONTH, Counts(responses=1))  # watermark 2026-11-20T00:00Z
    assert "数据统计截至 2026-11-20 08:00（北京时间）" in office.get("/workspace/office/").text


@pytest.mark.slow
def test_both_dashboards_show_the_self_staff_split_and_filter_by_it(ws: Workspace) -> None:
    start = datetime(2026, 11, 2, 10, 0, tzinfo=BEIJING)
    subs = [
        stored(f"f-{i}", start, {"respondent": who, "q9": q9}, channel=channel)
        for i, (channel, who, q9) in enumerate(
            [
                ("leaflet", "private", "dissatisfied"),
                ("wechat", "person", "dissatisfied"),
                ("phone", "private", "satisfied"),
                ("phone", "person", "satisfied"),
            ]
        )
    ]
    put_result(ws, "sifaju", MONTH, count(subs), 10)
    office = signed_in(ws)
    page = text_of(office.get("/workspace/office/").text)
    assert "自主填写 / 工作人员代录 2 份（50.0%）/ 2 份（50.0%）" in page
    staff = text_of(office.get("/workspace/office/?month=2026-11&entry=staff").text)
    assert "以下数字只统计：工作人员代录" in staff
    assert "有效问卷 2 份" in staff
    clerk = signed_in(ws, "clerk-a")
    mine = text_of(clerk.get("/workspace/d/sifaju/?respondent=private&entry=self").text)
    assert "以下数字只统计：民营企业 · 自主填写" in mine
    assert "有效问卷 1 份（样本不足 30 份，不参加排名）" in mine
    assert clerk.get("/workspace/d/sifaju/?respondent=farmer").status == 400


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.slow
def test_the_office_gets_the_city_word_report_and_a_department_its_own(ws: Workspace) -> None:
    put_result(ws, "sifaju", MONTH, Counts(responses=12, channels={"leaflet": 12}), 20)
    put_result(ws, "xinfangju", MONTH, Counts(responses=99, channels={"phone": 99}), 100)
    city = signed_in(ws).get("/workspace/office/2026-11/reports/report.docx")
    assert city.status == 200
    assert city.headers["Content-Disposition"].startswith("attachment")
    text = docx_text(city.body)
    assert "2026年11月全市行政执法满意度测评情况通报" in text
    assert "平顶山市信访局" in text
    assert "平顶山市司法局" in text
    clerk = signed_in(ws, "clerk-a")
    own = clerk.get("/workspace/d/sifaju/2026-11/report.docx")
    assert own.status == 200
    mine = docx_text(own.body)
    assert mine.startswith("平顶山市司法局2026年11月行政执法满意度测评情况")
    assert "信访局" not in mine
    assert clerk.get("/workspace/d/xinfangju/2026-11/report.docx").status == 403
    assert clerk.get("/workspace/office/2026-11/reports/report.docx").status == 403
