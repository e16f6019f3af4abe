"""Staff entry in Chromium: a clerk keys 10 paper questionnaires of mixed answers with the
keyboard only (no reload between them), and the stored responses are the intended ones; the
keystrokes per paper are counted. With JavaScript off the same page is a plain form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.serving.lambda_app import LambdaApp
from manyi.serving.server import Mounts, create, listening_on
from manyi.serving.static import StaticSite
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.context import Workspace
from manyi.workspace.handler import create_handler
from tests.browser.test_workspace_browser import assert_accessible, log_in, new_page
from tests.entry_papers import keys_for, mixed_papers, stored_form
from tests.workspace_support import local_workspace, make_account

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
# The goal for a typical paper.
KEYSTROKE_GOAL = 30


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[tuple[Workspace, str]]:
    data = tmp_path_factory.mktemp("entry")
    with local_workspace(data, questionnaire, NOW, publish=False, login_limit=None) as ws:
        make_account(ws, "clerk-a", "department", ["sifaju"])
        mounts = Mounts(StaticSite(None))
        mounts.mount("/workspace/", LambdaApp(create_handler(ws)))
        server = create(mounts, "127.0.0.1", 0)
        thread = threading.Thread(target=server.run)
        thread.start()
        try:
            yield ws, f"http://127.0.0.1:{listening_on(server)[0][1]}"
        finally:
            server.close()
            thread.join(timeout=10)


def stored_in(ws: Workspace, channel: str) -> list[dict[str, Any]]:
    assert isinstance(ws.intake, SubmissionStore)
    return [
        dict(s.submission.answers)
        for s in ws.intake.department_month("sifaju", "2026-11")
        if s.submission.channel == channel
    ]


def canonical(papers: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    return sorted(sorted(p.items()) for p in papers)


def start_batch(page: Any, origin: str, channel: str) -> None:
    page.goto(f"{origin}/workspace/d/sifaju/entry/")
    page.check(f"input[name=channel][value={channel}]")
    page.click("form[action$='/entry/'] button[type=submit]")
    assert "/entry/2026" in page.url


def test_ten_papers_keyed_with_the_keyboard_only_are_stored_as_intended(
    browser: Any, workspace: tuple[Workspace, str], questionnaire: Questionnaire
) -> None:
    ws, origin = workspace
    page = new_page(browser)
    log_in(page, origin, "clerk-a")
    start_batch(page, origin, "paper")
    assert_accessible(page)
    url = page.url
    papers = mixed_papers(questionnaire, 10, seed=2026)
    strokes = []
    for n, paper in enumerate(papers, start=1):
        keys = keys_for(questionnaire, paper)
        for key in keys:
            page.keyboard.press(key)
        expect(page.locator("#count")).to_have_text(str(n))
        strokes.append(len(keys))
    assert page.url == url  # no reload between papers
    assert "已保存第 10 份" in page.inner_text("#keying-status")
    print(f"keystrokes per paper: {strokes}, mean {sum(strokes) / len(strokes):.1f}")
    assert max(strokes) <= KEYSTROKE_GOAL
    # Correct the last one by keyboard too: Enter past the answers that were right, the
    # right digit for Q9, Enter to the end, Enter to save.
    page.click("#correct-link")
    assert page.input_value("input[name=correct]") != ""
    fixed = dict(papers[-1])
    fixed["q9"] = "dissatisfied" if fixed["q9"] != "dissatisfied" else "satisfied"
    keyed = [q.id for q in questionnaire.questions if q.id in fixed]
    before = keyed.index("q9")
    digit = 1 + [o.id for o in questionnaire.question("q9").options].index(fixed["q9"])  # type: ignore[union-attr]
    for key in ["Enter"] * before + [str(digit)] + ["Enter"] * (len(keyed) - before):
        page.keyboard.press(key)
    expect(page.locator("#keying-status")).to_contain_text("已保存第 10 份")
    assert page.input_value("input[name=correct]") == ""
    papers[-1] = fixed
    page.click("form[action$='/finish'] button")
    assert "本批小结" in page.inner_text("main")
    assert_accessible(page)
    assert canonical(stored_in(ws, "paper")) == canonical(
        [stored_form(questionnaire, p) for p in papers]
    )


def test_with_javascript_off_each_paper_is_a_plain_form(
    browser: Any, workspace: tuple[Workspace, str], questionnaire: Questionnaire
) -> None:
    ws, origin = workspace
    page = new_page(browser, java_script_enabled=False)
    log_in(page, origin, "clerk-a")
    start_batch(page, origin, "visit")
    papers = mixed_papers(questionnaire, 2, seed=9)
    for n, paper in enumerate(papers, start=1):
        for question, value in paper.items():
            for option in [value] if isinstance(value, str) else value:
                page.check(f"#keying input[name={question}][value={option}]")
        page.click("#save")
        assert f"已保存第 {n} 份" in page.inner_text("#keying-status")
    page.click("form[action$='/finish'] button")
    assert canonical(stored_in(ws, "visit")) == canonical(
        [stored_form(questionnaire, p) for p in papers]
    )


def test_the_keying_page_at_320_px(browser: Any, workspace: tuple[Workspace, str]) -> None:
    _, origin = workspace
    page = new_page(browser, viewport={"width": 320, "height": 640})
    log_in(page, origin, "clerk-a")
    start_batch(page, origin, "phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    assert_accessible(page)
