"""The follow-up in Chromium (its pages carry no script; CSP forbids any): a visitor's call
screen (nothing pre-selected, the party's details shown), a completed call, a self-service link
made, answered at 320 px by the party, then refused as used; axe on each page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.followup.importing import read_case_file
from manyi.followup.service import assign, draw_month, import_cases, register_visitor
from manyi.model import Questionnaire
from manyi.workspace.context import Workspace
from tests.browser.served_workspace import workspace_origin
from tests.browser.test_workspace_browser import assert_accessible, log_in, new_page
from tests.workspace_support import local_workspace, make_account

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
DEPARTMENT = "shichangjianguanju"
CSV = (
    "案件编号,案件类别,适用程序,当事人,联系电话,承办人执法证号,承办人,办结日期\n"
    "平市监罚〔2026〕1号,处罚,一般程序,郑记一号商行,13900000001,H1,承办人甲,2026-11-05\n"
    "平市监罚〔2026〕2号,处罚,一般程序,郑记二号商行,13900000002,H2,承办人乙,2026-11-06\n"
).encode()


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[tuple[Workspace, str]]:
    data = tmp_path_factory.mktemp("followup")
    with local_workspace(data, questionnaire, NOW, publish=False, login_limit=None) as ws:
        make_account(ws, "office-1", "office")
        make_account(ws, "visitor-a", "department", ["xinfangju"])
        assert ws.followup is not None
        assert questionnaire.followup is not None
        fu = ws.followup
        import_cases(fu, DEPARTMENT, read_case_file("c.csv", CSV, NOW.date()), NOW, "office-1")
        draw_month(fu, questionnaire.followup, DEPARTMENT, "2026-11", NOW, "office-1", seed=7)
        register_visitor(fu, "visitor-a", "V001", NOW, "office-1")
        for case in fu.store.month(DEPARTMENT, "2026-11"):
            assign(fu, case, "visitor-a", NOW, "office-1")
        with workspace_origin(ws) as origin:
            yield ws, origin


def test_a_call_then_a_link_answered_by_the_party(
    browser: Any, served: tuple[Workspace, str]
) -> None:
    ws, origin = served
    page = new_page(browser)
    log_in(page, origin, "visitor-a")
    page.goto(f"{origin}/workspace/followup/")
    assert_accessible(page)
    links = page.locator("main a[href*='/followup/call/']")
    assert links.count() == 2
    links.first.click()
    assert "郑记" in page.inner_text("main")
    assert page.locator("input:checked").count() == 0  # nothing pre-selected
    assert "不读出" in page.inner_text("main")
    assert_accessible(page)
    page.check("input[name=outcome][value=completed]")
    page.check("input[name=fu_handling][value=yes]")
    for question in ("fu_result", "fu_q9", "fu_q13", "fu_q14"):
        page.check(f"input[name={question}][value=satisfied]")
    page.check("input[name=fu_improper][value=none]")
    page.click("main form:not([action$='/link']) button[type=submit]")
    assert "本次联系已记录" in page.inner_text("[role=status]")
    assert page.locator("main a[href*='/followup/call/']").count() == 1

    page.locator("main a[href*='/followup/call/']").first.click()
    page.click("form[action$='/link'] button")
    link = page.input_value("#link")
    party = new_page(browser, viewport={"width": 320, "height": 640})
    party.goto(link)
    assert_accessible(party)
    assert party.locator("input:checked").count() == 0
    width = party.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    party.check("input[name=fu_handling][value=no]")
    for question in ("fu_result", "fu_q9", "fu_q13", "fu_q14"):
        party.check(f"input[name={question}][value=basically_satisfied]")
    party.check("input[name=fu_improper][value=repeated_visits]")
    party.fill("#what_happened", "让我来回跑了三趟")
    party.click("button[type=submit]")
    assert "提交成功" in party.inner_text("h1")
    party.goto(link)
    assert "已经提交过" in party.inner_text("h1")
    assert_accessible(party)
    cases = ws.followup.store.month(DEPARTMENT, "2026-11")  # type: ignore[union-attr]
    assert sorted(c.answered_via for c in cases) == ["call", "link"]
    assert [c.problem is not None for c in cases if c.answered_via == "link"] == [True]


def test_the_import_form_and_its_answers_are_accessible_at_320_px(
    browser: Any, served: tuple[Workspace, str]
) -> None:
    ws, origin = served
    page = new_page(browser, viewport={"width": 320, "height": 640})
    log_in(page, origin, "office-1")
    page.goto(f"{origin}/workspace/followup/d/{DEPARTMENT}/?month=2026-11")
    assert page.locator("form[action$='/import'] input[type=file]").count() == 1
    assert_accessible(page)
    bad = CSV.replace(b"13900000002", b"139")
    page.set_input_files("#cases-file", {"name": "c.csv", "mimeType": "text/csv", "buffer": bad})
    page.click("form[action$='/import'] button[type=submit]")
    assert "第 3 行，“联系电话”列" in page.inner_text("[role=alert]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)
    page.go_back()
    page.set_input_files("#cases-file", {"name": "c.csv", "mimeType": "text/csv", "buffer": CSV})
    page.click("form[action$='/import'] button[type=submit]")
    assert "新导入 0 件，2 件以前已导入过" in page.inner_text("[role=status]")
    assert_accessible(page)
    assert len(ws.followup.store.month(DEPARTMENT, "2026-11")) == 2  # type: ignore[union-attr]
