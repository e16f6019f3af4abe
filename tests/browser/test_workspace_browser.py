"""The workspace in Chromium, through `manyi serve`'s HTTP adapter: a first login with its forced
password change, the dashboards, a served-count correction, a close refused before the close day,
a reopen; axe on every page; JavaScript off; 320 px and 1366×768.

The server runs in this process (manyi.serving) so the workspace's clock can be set: the
close-day rule depends on the date.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from manyi.aggregate import Counts
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.collector.handler import create_handler as create_collector
from manyi.model import Questionnaire
from manyi.serving.lambda_app import LambdaApp
from manyi.serving.server import Mounts, create, listening_on
from manyi.serving.static import StaticSite
from manyi.versions import Catalogue
from manyi.workspace.context import Workspace
from manyi.workspace.handler import create_handler
from tests.workspace_support import PASSWORD, local_workspace, make_account, put_result

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
NEW_PASSWORD = "my own office passphrase"


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[tuple[Workspace, str]]:
    data = tmp_path_factory.mktemp("workspace")
    with local_workspace(data, questionnaire, NOW, publish=False, login_limit=None) as ws:
        make_account(ws, "office-1", "office", changed=False)
        make_account(ws, "clerk-a", "department", ["sifaju"])
        make_account(ws, "viewer-1", "viewer")
        put_result(ws, "sifaju", "2026-11", Counts(responses=400, channels={"leaflet": 400}), 1000)
        put_result(ws, "xinfangju", "2026-11", Counts(responses=30), 1000)
        assert ws.submissions is not None
        collector = create_collector(ws.submissions, Catalogue.of(questionnaire))
        mounts = Mounts(StaticSite(None))
        mounts.mount("/api/", LambdaApp(collector))
        mounts.mount("/workspace/", LambdaApp(create_handler(ws)))
        server = create(mounts, "127.0.0.1", 0)
        thread = threading.Thread(target=server.run)
        thread.start()
        try:
            yield ws, f"http://127.0.0.1:{listening_on(server)[0][1]}"
        finally:
            server.close()
            thread.join(timeout=10)


def new_page(browser: Any, **options: Any) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page: Any, origin: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{origin}/workspace/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def assert_accessible(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_first_login_forces_a_password_change_then_the_office_dashboard(
    browser: Any, workspace: tuple[Workspace, str], questionnaire: Questionnaire
) -> None:
    _, origin = workspace
    page = new_page(browser)
    page.goto(f"{origin}/workspace/office/")
    assert page.url.startswith(f"{origin}/workspace/login")
    assert_accessible(page)
    log_in(page, origin, "office-1")
    assert page.url == f"{origin}/workspace/password"
    assert "请先设置您自己的密码" in page.inner_text("main")
    assert_accessible(page)
    page.fill("#current", PASSWORD)
    page.fill("#new", "password123")
    page.fill("#repeat", "password123")
    page.click("main button[type=submit]")
    assert "太常见" in page.inner_text("[role=alert]")
    page.fill("#current", PASSWORD)
    page.fill("#new", NEW_PASSWORD)
    page.fill("#repeat", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert page.url.startswith(f"{origin}/workspace/office/")
    assert "密码已修改" in page.inner_text("[role=status]")
    rows = page.locator("table.departments tbody tr")
    assert rows.count() == len(questionnaire.departments)
    # Silent departments first, then the two behind their pace (30 and 400 of 1,000).
    assert "无问卷、未填报服务对象数" in rows.nth(0).inner_text()
    behind = rows.nth(rows.count() - 2).inner_text()
    assert "平顶山市信访局" in behind
    assert "预计关账时测评率未达标" in behind
    assert_accessible(page)
    for path in ("/workspace/accounts/", "/workspace/audit/", "/workspace/d/sifaju/"):
        page.goto(origin + path)
        assert_accessible(page)


def test_a_clerk_corrects_the_served_count(browser: Any, workspace: tuple[Workspace, str]) -> None:
    ws, origin = workspace
    page = new_page(browser)
    log_in(page, origin, "clerk-a")
    assert page.url == f"{origin}/workspace/d/sifaju/"
    assert "距关账日（11 月 27 日）" in page.inner_text("main")
    assert_accessible(page)
    page.fill("#count", "1200")
    page.click("form[action$='/served'] button")
    assert "服务对象数已保存" in page.inner_text("[role=status]")
    page.fill("#count", "800")
    page.fill("#note", "上次多算了上门服务的重复对象")
    page.click("form[action$='/served'] button")
    assert ws.results.served("2026-11")["sifaju"] == 800
    history = page.locator("table:near(h3:text('修改记录'))").first.inner_text()
    assert "上次多算了上门服务的重复对象" in history
    assert "1,200" in history


def test_the_office_is_refused_a_close_before_the_close_day_then_closes_and_reopens(
    browser: Any, workspace: tuple[Workspace, str]
) -> None:
    ws, origin = workspace
    page = new_page(browser)
    log_in(page, origin, "office-1", NEW_PASSWORD)
    page.goto(f"{origin}/workspace/office/")
    page.click("form[action$='/close'] button")
    alert = page.inner_text("[role=alert]")
    assert "还没到关账日（11 月 27 日）。提前关账须填写原因。" in alert
    assert ws.results.month_close("2026-11") is None
    assert_accessible(page)
    page.fill("#close-reason", "市领导小组要求提前报送")
    page.click("form[action$='/close'] button")
    assert "已关账" in page.inner_text("[role=status]")
    assert "市领导小组要求提前报送" in page.inner_text("main")
    page.fill("#reopen-reason", "补录座谈会纸质问卷")
    page.click("form[action$='/reopen'] button")
    assert "已重新开账" in page.inner_text("[role=status]")
    assert ws.results.month_close("2026-11") is None


def test_everything_works_with_javascript_off(
    browser: Any, workspace: tuple[Workspace, str]
) -> None:
    ws, origin = workspace
    page = new_page(browser, java_script_enabled=False)
    log_in(page, origin, "clerk-a")
    page.fill("#count", "950")
    page.click("form[action$='/served'] button")
    assert "服务对象数已保存" in page.inner_text("[role=status]")
    assert ws.results.served("2026-11")["sifaju"] == 950
    page.select_option("#month", "2026-10")
    page.click("form.inline button")
    assert "2026-10" in page.inner_text("h1 + p")
    page.click("form.who button")
    assert page.url.startswith(f"{origin}/workspace/login")


@pytest.mark.parametrize("size", [(320, 640), (1366, 768)])
def test_pages_fit_a_phone_and_an_office_screen(
    browser: Any, workspace: tuple[Workspace, str], size: tuple[int, int]
) -> None:
    _, origin = workspace
    page = new_page(browser, viewport={"width": size[0], "height": size[1]})
    log_in(page, origin, "viewer-1")
    for path in ("/workspace/office/", "/workspace/d/sifaju/", "/workspace/audit/"):
        page.goto(origin + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0], (path, width)
        body = page.evaluate("getComputedStyle(document.body).fontSize")
        assert body == "18px"
    assert re.search(r"\d", page.inner_text("main"))
