"""The built page against a real `manyi serve` in Chromium: a lost network and retries never
store a submission twice, with JavaScript on or off."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_site_browser import answer_required
from tests.serving import Served, stored_rows

pytestmark = pytest.mark.browser


def open_page(browser: Any, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(20_000)
    return context, context.new_page()


def test_a_response_lost_after_storing_is_retried_and_stored_once(
    browser: Any, served: Served
) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    before = stored_rows(served)
    context, page = open_page(browser)
    attempts: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        attempts.append(route.request.post_data or "")
        if len(attempts) == 1:
            route.fetch()  # the collector stores it ...
            route.abort("connectionreset")  # ... and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/submissions", lose_the_first_answer)
    page.goto(f"{origin}/d/sifaju/wechat/")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/wechat/thanks/")
    assert len(attempts) == 2
    assert attempts[0] == attempts[1]  # the same submission ID both times
    new = [row for row in stored_rows(served) if row not in before]
    assert [channel for _, channel in new] == ["wechat"]
    context.close()


def test_a_request_that_never_left_is_retried_and_stored_once(browser: Any, served: Served) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    before = stored_rows(served)
    context, page = open_page(browser)
    failures = [2]

    def offline_twice(route: Any) -> None:
        if failures[0]:
            failures[0] -= 1
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/submissions", offline_twice)
    page.goto(f"{origin}/d/sifaju/")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/thanks/", timeout=30_000)
    new = [row for row in stored_rows(served) if row not in before]
    assert [channel for _, channel in new] == ["leaflet"]
    context.close()


def test_with_javascript_off_a_complete_form_is_stored_once(browser: Any, served: Served) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    before = stored_rows(served)
    context, page = open_page(browser, java_script_enabled=False)
    page.goto(f"{origin}/d/sifaju/wechat/")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/wechat/thanks/")
    new = [row for row in stored_rows(served) if row not in before]
    assert [channel for _, channel in new] == ["wechat"]
    context.close()
