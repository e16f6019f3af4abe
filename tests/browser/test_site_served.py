"""The built site under the real collector (`manyi serve` as a process) in Chromium, end to end."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.messages import answer_message
from tests.browser.test_site_browser import answer_required
from tests.serving import Served, stored_rows

pytestmark = pytest.mark.browser


def test_the_script_submits_to_the_real_collector(browser: Any, served: Served) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    before = stored_rows(served)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{origin}/d/sifaju/wechat/")
    answer_required(page, respondent="private", q2="yes")
    page.check("input[name=q3][value=none]")
    for question in ("p1", "p2", "p3", "p4", "p5"):
        page.check(f"input[name={question}][value=no]")
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/thanks/")
    new = [row for row in stored_rows(served) if row not in before]
    assert [channel for _, channel in new] == ["wechat"]
    context.close()


def test_a_plain_form_with_a_problem_comes_back_from_the_real_collector(
    browser: Any, served: Served
) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    before = len(stored_rows(served))
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{origin}/d/sifaju/")
    answer_required(page)
    page.uncheck("input[name=q1][value=none]")
    page.click("button[type=submit]")
    page.wait_for_selector("#e-q1")
    assert page.inner_text("#e-q1") == answer_message("required")
    assert page.is_checked("input[name=q16][value=satisfied]")
    page.check("input[name=q1][value=not_disclosed]")
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/thanks/")
    assert len(stored_rows(served)) == before + 1
    context.close()
