"""The built page against a real `manyi serve` in Chromium: a lost network and retries never
store a submission twice, with JavaScript on or off."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.browser.test_site_browser import answer_required
from tests.serving import Served, stored_rows


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


def facts(served: Served, submission_id: str) -> tuple[str, int | None]:
    """The network hash and the seconds the collector kept of one response."""
    with sqlite3.connect(served.data / "submissions.sqlite3") as db:
        row = db.execute(
            "SELECT network, seconds FROM responses WHERE submission_id = ?", (submission_id,)
        ).fetchone()
    return row[0], row[1]


def pressure_counts(served: Served) -> dict[str, int]:
    with sqlite3.connect(served.data / "pressure.sqlite3") as db:
        return dict(db.execute("SELECT sk, count FROM pressure"))


@pytest.mark.parametrize("javascript", [True, False])
def test_the_pressure_question_after_the_thanks_page_is_counted_apart(
    browser: Any, served: Served, javascript: bool
) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    context, page = open_page(browser, java_script_enabled=javascript)
    before = stored_rows(served)
    page.goto(f"{origin}/d/sifaju/")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/thanks/")
    [(submission_id, _)] = [row for row in stored_rows(served) if row not in before]
    network, seconds = facts(served, submission_id)
    # The response keeps a network hash, never the address; the page's script its seconds.
    assert len(network) == 16
    assert "127.0.0" not in network
    assert (seconds is not None) == javascript
    counted = pressure_counts(served)
    stored = stored_rows(served)
    question = page.get_by_role("group", name="是否有工作人员要求您给好评，或替您填写问卷？")
    answer = "有" if javascript else "不愿回答"
    question.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="提交").click()
    if javascript:  # answered in place, the thanks page stays
        page.get_by_role("status").filter(has_text="已收到，谢谢您。").wait_for()
        assert page.url == f"{origin}/d/sifaju/thanks/"
    else:  # the collector's own short page
        page.get_by_role("heading", name="已收到，谢谢您。").wait_for()
    key = "sifaju#yes" if javascript else "sifaju#declined"
    assert pressure_counts(served)[key] == counted.get(key, 0) + 1
    # Nothing of it went into the responses: no new row, no column to join on.
    assert stored_rows(served) == stored
    context.close()
