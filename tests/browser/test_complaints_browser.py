"""投诉举报 in Chromium, end to end through `manyi serve`'s HTTP adapter: the office names the
department's standing handler; a complaint sent with JavaScript off and one with it on both get
a number and a receipt code and go to that handler; the status page shows the progress after
the handler accepts and concludes; a wrong code shows nothing and says so; 20 wrong codes in a
row are slowed down. axe on the citizen's pages and the handlers page; 320 px without sideways
scrolling.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.collector.handler import create_handler as create_collector
from manyi.collector.ratelimit import RateLimit
from manyi.model import Questionnaire
from manyi.serving.lambda_app import LambdaApp
from manyi.serving.server import Mounts, create, listening_on
from manyi.serving.static import StaticSite
from manyi.versions import Catalogue
from manyi.workspace.context import Workspace
from manyi.workspace.handler import create_handler
from site_builder.build import build_site
from tests.complaint_support import NAME, PHONE
from tests.workspace_support import PASSWORD, local_workspace, make_account

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[tuple[Workspace, str]]:
    folder = tmp_path_factory.mktemp("complaints")
    build_site(questionnaire, folder / "dist", base_url="http://127.0.0.1")
    with local_workspace(
        folder / "data", questionnaire, NOW, publish=False, login_limit=None
    ) as ws:
        make_account(ws, "office-1", "office")
        make_account(ws, "jijian-a", "department", ["sifaju"])
        assert ws.submissions is not None
        collector = create_collector(
            ws.submissions,
            Catalogue.of(questionnaire),
            rate_limit=RateLimit(),
            clock=lambda: ws.clock(),
            complaints=ws.complaints,
        )
        mounts = Mounts(StaticSite(folder / "dist"))
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


def assert_accessible(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def fill_complaint(page: Any, *, city: bool = False) -> None:
    if city:
        page.select_option("#department", "sifaju")
    page.check("input[name=category][value=abuse]")
    page.fill("#subject", "三号窗口")
    page.fill("#account", "办理营业执照时，工作人员辱骂我。")
    page.fill("#happened_on", "2026年11月10日")
    page.fill("#name", NAME)
    page.fill("#phone", PHONE)


def receipt(page: Any) -> tuple[str, str]:
    page.wait_for_selector("#code")
    return page.inner_text("#number"), page.inner_text("#code")


def look_up(page: Any, origin: str, number: str, code: str) -> None:
    page.goto(f"{origin}/complaints/status/")
    page.fill("#number", number)
    page.fill("#code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#found, #problem")


def signed_in(browser: Any, origin: str, username: str, **options: Any) -> Any:
    page = new_page(browser, **options)
    page.goto(f"{origin}/workspace/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/workspace/**")
    return page


def office_names_the_handler(browser: Any, origin: str) -> None:
    """With JavaScript off (a plain form), then read back at 320 px and checked with axe."""
    page = signed_in(browser, origin, "office-1", java_script_enabled=False)
    page.goto(f"{origin}/workspace/complaint-handlers/")
    page.select_option("#handler-sifaju", "jijian-a")
    page.click("form[action$='/complaint-handlers/'] button[type=submit]")
    page.wait_for_selector("p.notice")
    page.context.close()
    narrow = signed_in(browser, origin, "office-1", viewport={"width": 320, "height": 640})
    narrow.goto(f"{origin}/workspace/complaint-handlers/")
    assert narrow.eval_on_selector("#handler-sifaju", "e => e.value") == "jijian-a"
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(narrow)
    narrow.context.close()


def handler_acts(
    browser: Any, origin: str, number: str, status: str, note: str = "", who: str = "jijian-a"
) -> None:
    page = signed_in(browser, origin, who)
    page.goto(f"{origin}/workspace/complaints/{number}")
    page.check(f"input[name=status][value={status}]")
    page.fill("#note", note)
    page.click("form[action$='/status'] button[type=submit]")
    page.wait_for_selector("p.notice")
    page.context.close()


def test_with_javascript_off_and_on_both_get_a_number_and_code_and_follow_progress(
    browser: Any, served: tuple[Workspace, str]
) -> None:
    ws, origin = served
    office_names_the_handler(browser, origin)
    off = new_page(browser, java_script_enabled=False, viewport={"width": 320, "height": 640})
    off.goto(f"{origin}/complaints/d/sifaju/")
    assert off.evaluate("document.documentElement.scrollWidth") <= 320
    fill_complaint(off)
    off.click("button[type=submit]")
    number_off, code_off = receipt(off)
    assert number_off.startswith("2026-sifaju-")
    assert len(code_off.replace(" ", "")) == 12

    on = new_page(browser)
    on.goto(f"{origin}/complaints/")
    assert_accessible(on)
    fill_complaint(on, city=True)
    on.click("button[type=submit]")
    number_on, code_on = receipt(on)
    assert_accessible(on)
    assert number_on != number_off
    assert ws.complaints is not None
    stored = ws.complaints.store.year(2026)
    assert len(stored) == 2
    # About an officer's conduct: straight to 司法局's standing handler on arrival.
    assert {c.handler for c in stored} == {"jijian-a"}

    look_up(on, origin, number_on, code_on)
    assert "已收到" in on.inner_text("#status-text")
    handler_acts(browser, origin, number_off, "accepted")
    look_up(off, origin, number_off, code_off)
    assert "已受理" in off.inner_text("#status-text")
    reply = "经核查属实，已对当事执法人员批评教育并调离窗口岗位。"
    handler_acts(browser, origin, number_off, "concluded", reply)
    look_up(on, origin, number_off, code_off)
    assert "已办结" in on.inner_text("#status-text")
    assert reply in on.inner_text("#found")
    assert_accessible(on)
    for private in (NAME, PHONE, "辱骂我"):
        assert private not in on.content()


def test_a_wrong_code_shows_nothing_and_twenty_in_a_row_are_slowed(
    browser: Any, served: tuple[Workspace, str]
) -> None:
    _, origin = served
    page = new_page(browser, java_script_enabled=False)
    page.goto(f"{origin}/complaints/d/sifaju/")
    fill_complaint(page)
    page.click("button[type=submit]")
    number, code = receipt(page)
    look_up(page, origin, number, "1234 5678 9012")
    assert "没有查到" in page.inner_text("#problem")
    assert page.locator("#found").count() == 0
    for attempt in range(19):
        look_up(page, origin, number, f"{attempt:012d}")
    look_up(page, origin, number, code)  # the right code, after 20 wrong ones: wait
    assert "错误次数过多" in page.inner_text("#problem")
    assert page.locator("#found").count() == 0


def test_the_survey_thanks_page_and_leaflet_link_to_the_complaint_page(
    browser: Any, served: tuple[Workspace, str]
) -> None:
    _, origin = served
    page = new_page(browser)
    page.goto(f"{origin}/d/sifaju/thanks/")
    page.click("text=在网上投诉举报")
    page.wait_for_url(f"{origin}/complaints/d/sifaju/")
    page.goto(f"{origin}/d/sifaju/print/")
    assert "/complaints/d/sifaju/" in page.content()


XSS = [
    "<script>window.pwned = 1</script>",
    '"><img src=x onerror="window.pwned = 2">',
    '\'><svg onload="window.pwned = 3">',
    "</textarea><script>window.pwned = 4</script>",
]


def test_the_xss_corpus_through_every_complaint_field_executes_nothing_in_the_workspace(
    browser: Any, served: tuple[Workspace, str]
) -> None:
    """Every field a complainant types (officer or place, account, name) and the notes a
    handler types, each payload of the corpus, then every workspace page that shows them, with
    JavaScript on: no dialog, no `window.pwned`, and the payload visible as text."""
    import json
    import urllib.request

    _, origin = served
    numbers = []
    for n, payload in enumerate(XSS):
        sent = {
            "complaint_id": f"browser-xss-{n:08d}",
            "department": "sifaju",
            "category": "delay",  # the office's own: the office handles it in this test
            "subject": payload[:100],
            "account": payload,
            "happened_on": "2026-11-10",
            "name": payload[:40],
            "phone": "13800000000",
        }
        request = urllib.request.Request(
            f"{origin}/api/complaints",
            json.dumps(sent).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as answer:
            receipt = json.loads(answer.read())
        numbers.append(receipt["number"])
    page = signed_in(browser, origin, "office-1")
    dialogs: list[str] = []

    def opened(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", opened)

    def inert(url: str | None = None) -> None:
        if url is not None:
            page.goto(url)
        assert page.evaluate("window.pwned") is None, page.url
        assert dialogs == [], page.url

    for number, payload in zip(numbers, XSS, strict=True):
        page.goto(f"{origin}/workspace/complaints/{number}")
        page.check("input[name=status][value=refused]")
        page.fill("#note", payload)
        page.click("form[action$='/status'] button[type=submit]")
        page.wait_for_selector("p.notice")
        inert()
        assert payload in page.inner_text("main")  # shown as text
        page.click("form[action$='/contact'] button[type=submit]")
        page.wait_for_selector("#contact-name")
        inert()
        assert page.inner_text("#contact-name") == payload[:40]
    for path in ("complaints/", "complaint-figures/2026-11/", "audit/", "complaint-handlers/"):
        inert(f"{origin}/workspace/{path}")
    page.context.close()
