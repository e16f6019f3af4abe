"""The built site under the real collector (`manyi serve` as a process) in Chromium, end to end."""

from __future__ import annotations

from typing import Any

from manyi.messages import PAGE, answer_message, submission_message
from tests.browser.test_site_browser import answer_required
from tests.serving import Served, stored_rows


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
    page.wait_for_url(f"{origin}/d/sifaju/wechat/thanks/")
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


def send_from(page: Any, origin: str, path: str) -> None:
    """Open a channel's page, answer what is required, send, and land on its thank-you page."""
    page.goto(f"{origin}{path}")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}{path}thanks/")


def checked_count(page: Any) -> int:
    return int(page.locator("fieldset[data-question] input:checked").count())


def test_without_javascript_back_and_send_again_is_held_once(
    bfcache_browser: Any, served: Served
) -> None:
    """Back restores the filled page from the cache; 提交 again stores nothing the first time
    and says why; pressing 提交 once more (another person, same answers) stores it."""
    origin = f"http://127.0.0.1:{served.port}"
    before = len(stored_rows(served))
    context = bfcache_browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    send_from(page, origin, "/d/sifaju/wechat/")
    page.go_back(wait_until="commit")  # a page from the cache fires no load event
    page.wait_for_url(f"{origin}/d/sifaju/wechat/", wait_until="commit")
    assert checked_count(page) > 0  # the cache's copy, as the person left it
    page.click("button[type=submit]")
    page.wait_for_selector("#notice")
    assert submission_message("repeated") in page.inner_text("#notice")
    assert len(stored_rows(served)) == before + 1
    assert page.is_checked("input[name=q9][value=satisfied]")  # the answers are still there
    assert page.get_attribute(f"#notice a:text-is('{PAGE['again']}')", "href") == (
        "/d/sifaju/wechat/"
    )
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/wechat/thanks/")
    assert len(stored_rows(served)) == before + 2
    context.close()


def test_without_javascript_a_reloaded_page_comes_back_blank(browser: Any, served: Served) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    send_from(page, origin, "/d/sifaju/")
    page.go_back()
    assert checked_count(page) == 0  # autocomplete=off: the browser does not refill it
    context.close()


def test_with_javascript_back_from_the_cache_says_it_was_sent(
    bfcache_browser: Any, served: Served
) -> None:
    origin = f"http://127.0.0.1:{served.port}"
    before = len(stored_rows(served))
    context = bfcache_browser.new_context(locale="zh-CN")
    page = context.new_page()
    send_from(page, origin, "/d/sifaju/wechat/")
    page.go_back(wait_until="commit")
    page.wait_for_selector("#sent:visible")
    assert page.is_hidden("#survey")
    assert checked_count(page) == 0
    assert len(stored_rows(served)) == before + 1
    page.click(f"#sent button:text-is('{PAGE['again']}')")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/d/sifaju/wechat/thanks/")
    assert len(stored_rows(served)) == before + 2
    context.close()
