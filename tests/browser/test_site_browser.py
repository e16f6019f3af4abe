"""The department page in Debian's Chromium: JavaScript on and off, network failures, layout."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from manyi.messages import PAGE, answer_message
from manyi.submission import SUBMISSION_ID_PATTERN, FieldError
from site_builder.render import render_form_page
from tests.browser.conftest import open_context
from tests.browser.fake_collector import ORIGIN, FakeCollector

FORM = f"{ORIGIN}/d/sifaju/"
THANKS = f"{ORIGIN}/d/sifaju/thanks/"
SINGLE_ANSWERS = {
    **dict.fromkeys(("q4", "q5", "q6", "q7", "q8"), "no"),
    **{f"q{n}": "satisfied" for n in range(9, 17)},
}


def answer_required(page: Any, respondent: str = "person", q2: str = "no") -> None:
    page.check(f"input[name=respondent][value={respondent}]")
    page.check("input[name=q1][value=none]")
    page.check(f"input[name=q2][value={q2}]")
    for question, option in SINGLE_ANSWERS.items():
        page.check(f"input[name={question}][value={option}]")


@pytest.fixture
def page(browser: Any, collector: FakeCollector) -> Any:
    context = open_context(browser, collector)
    yield context.new_page()
    context.close()


@pytest.fixture
def plain_page(browser: Any, collector: FakeCollector) -> Any:
    context = open_context(browser, collector, java_script_enabled=False)
    yield context.new_page()
    context.close()


def only_stored(collector: FakeCollector) -> dict[str, Any]:
    assert len(collector.stored) == 1, collector.stored
    return next(iter(collector.stored.values()))


# -- submitting ------------------------------------------------------------------------------


def test_with_javascript_an_answer_set_is_sent_once_and_thanked(
    page: Any, collector: FakeCollector
) -> None:
    page.goto(FORM)
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(THANKS)
    record = only_stored(collector)
    assert SUBMISSION_ID_PATTERN.match(record["submission_id"])
    assert record["channel"] == "leaflet"
    assert record["answers"] == {
        "respondent": "person",
        "q1": ("none",),
        "q2": "no",
        **SINGLE_ANSWERS,
    }
    assert collector.attempts == [record["submission_id"]]


def test_without_javascript_the_plain_form_posts_and_is_redirected(
    plain_page: Any, collector: FakeCollector
) -> None:
    plain_page.goto(FORM)
    # Every conditional question is on the page, with a hint saying when it applies.
    assert plain_page.is_visible("#q-q3")
    assert plain_page.is_visible("#s-private_enterprise")
    assert "第2题选“是”时回答" in plain_page.inner_text("#q-q3 legend")
    answer_required(plain_page)
    plain_page.check("input[name=q3][value=rough]")  # does not apply (Q2 = 否): dropped
    plain_page.click("button[type=submit]")
    plain_page.wait_for_url(THANKS)
    assert "提交成功" in plain_page.inner_text("h1")
    record = only_stored(collector)
    assert "q3" not in record["answers"]
    assert record["answers"]["q2"] == "no"


def test_without_javascript_errors_come_back_in_chinese_with_the_answers_kept(
    plain_page: Any, collector: FakeCollector
) -> None:
    plain_page.goto(FORM)
    answer_required(plain_page)
    plain_page.uncheck("input[name=q1][value=none]")  # checkboxes cannot carry `required`
    plain_page.click("button[type=submit]")
    plain_page.wait_for_load_state()
    assert plain_page.inner_text("#e-q1") == answer_message("required")
    assert plain_page.is_checked("input[name=q9][value=satisfied]")
    assert plain_page.is_checked("input[name=respondent][value=person]")
    assert "第一部分第1题" in plain_page.inner_text("#problems")
    assert collector.stored == {}
    plain_page.check("input[name=q1][value=not_handled]")
    plain_page.click("button[type=submit]")
    plain_page.wait_for_url(THANKS)
    assert only_stored(collector)["answers"]["q1"] == ("not_handled",)


def test_each_channel_has_its_own_link(page: Any, collector: FakeCollector) -> None:
    page.goto(f"{ORIGIN}/d/sifaju/wechat/")
    assert "微信" in page.inner_text(".channel")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{ORIGIN}/d/sifaju/wechat/thanks/")
    assert only_stored(collector)["channel"] == "wechat"


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_answers_from_the_wechat_link_stay_on_the_wechat_channel(
    browser: Any, collector: FakeCollector, script: bool
) -> None:
    context = open_context(browser, collector, java_script_enabled=script)
    page = context.new_page()
    page.goto(f"{ORIGIN}/d/sifaju/wechat/")
    for _ in range(2):
        answer_required(page)
        page.click("button[type=submit]")
        page.wait_for_url(f"{ORIGIN}/d/sifaju/wechat/thanks/")
        assert "提交成功" in page.inner_text("h1")
        page.click(f"a:text-is('{PAGE['again']}')")
        page.wait_for_url(f"{ORIGIN}/d/sifaju/wechat/")
        assert "微信" in page.inner_text(".channel")
        assert page.locator("fieldset[data-question] input:checked").count() == 0
    assert [r["channel"] for r in collector.stored.values()] == ["wechat", "wechat"]
    context.close()


def test_back_after_sending_says_it_was_sent_instead_of_the_filled_form(
    page: Any, collector: FakeCollector
) -> None:
    page.goto(f"{ORIGIN}/d/sifaju/wechat/")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{ORIGIN}/d/sifaju/wechat/thanks/")
    page.go_back()
    page.wait_for_selector("#sent")
    assert PAGE["submitted"] in page.inner_text("#sent")
    assert page.is_hidden("#survey")
    assert page.locator("fieldset[data-question] input:checked").count() == 0
    assert len(collector.stored) == 1
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    page.click(f"#sent button:text-is('{PAGE['again']}')")  # a second person, on purpose
    assert page.is_visible("#survey")
    assert page.is_hidden("#sent")
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(f"{ORIGIN}/d/sifaju/wechat/thanks/")
    first, second = collector.stored.values()
    assert first["submission_id"] != second["submission_id"]
    assert [first["channel"], second["channel"]] == ["wechat", "wechat"]


# -- the rules in the page -------------------------------------------------------------------


def test_conditional_questions_follow_the_answers(page: Any, collector: FakeCollector) -> None:
    page.goto(FORM)
    assert page.is_hidden("#q-q3")
    assert page.is_hidden("#s-private_enterprise")
    page.check("input[name=q2][value=yes]")
    assert page.is_visible("#q-q3")
    page.check("input[name=respondent][value=private]")
    assert page.is_visible("#s-private_enterprise")
    page.check("input[name=p1][value=yes]")
    page.check("input[name=respondent][value=person]")
    assert page.is_hidden("#s-private_enterprise")

    answer_required(page, respondent="person", q2="yes")
    page.check("input[name=q3][value=rough]")
    page.click("button[type=submit]")
    page.wait_for_url(THANKS)
    answers = only_stored(collector)["answers"]
    assert answers["q3"] == ("rough",)
    assert "p1" not in answers  # answered, then hidden again: never sent


def test_an_exclusive_option_clears_the_others_and_back(page: Any) -> None:
    page.goto(FORM)
    page.check("input[name=q1][value=unlawful_procedure]")
    page.check("input[name=q1][value=not_handled]")
    page.check("input[name=q1][value=none]")
    assert not page.is_checked("input[name=q1][value=unlawful_procedure]")
    assert not page.is_checked("input[name=q1][value=not_handled]")
    page.check("input[name=q1][value=not_disclosed]")
    assert not page.is_checked("input[name=q1][value=none]")


def test_missing_answers_are_named_with_the_servers_words(
    page: Any, collector: FakeCollector
) -> None:
    page.goto(FORM)
    page.click("button[type=submit]")
    errors = page.locator("p.error")
    # respondent, q1, q2 and q4–q16; Q3 and section 二 do not apply yet.
    assert errors.count() == 16
    assert set(errors.all_inner_texts()) == {answer_message("required")}
    assert page.evaluate("document.activeElement.id") == "problems"
    assert collector.attempts == []
    page.check("input[name=q1][value=none]")
    assert page.locator("#e-q1").count() == 0  # fixed: its error goes at once


def test_server_errors_are_shown_next_to_their_questions(
    page: Any, collector: FakeCollector
) -> None:
    page.goto(FORM)
    answer_required(page)
    # A page that sends an option the collector does not know (e.g. edited by hand).
    page.evaluate("document.querySelector('input[name=q4][value=no]').value = 'maybe'")
    page.click("button[type=submit]")
    page.wait_for_selector("#e-q4")
    assert page.inner_text("#e-q4") == answer_message("unknown_option")
    assert collector.stored == {}


# -- network failures ------------------------------------------------------------------------


def test_offline_submission_is_kept_and_sent_once_when_back_online(
    browser: Any, collector: FakeCollector
) -> None:
    context = open_context(browser, collector)
    page = context.new_page()
    page.goto(FORM)
    answer_required(page)
    collector.offline = True
    context.set_offline(True)
    page.click("button[type=submit]")
    page.wait_for_function(
        "text => document.getElementById('status').textContent === text", arg=PAGE["offline"]
    )
    assert collector.stored == {}
    draft = page.evaluate("JSON.parse(localStorage.getItem('manyi:draft:sifaju:leaflet'))")
    assert draft["pending"] is True
    collector.offline = False
    context.set_offline(False)
    page.wait_for_url(THANKS)
    record = only_stored(collector)
    assert record["submission_id"] == draft["id"]
    assert set(collector.attempts) == {draft["id"]}
    assert page.evaluate("localStorage.getItem('manyi:draft:sifaju:leaflet')") is None
    context.close()


def test_a_busy_collector_is_retried_with_the_same_submission_id(
    page: Any, collector: FakeCollector
) -> None:
    collector.busy = 2
    page.goto(FORM)
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(THANKS, timeout=15_000)
    record = only_stored(collector)
    assert collector.attempts == [record["submission_id"]] * 3


def test_a_stale_page_keeps_the_answers_and_offers_the_new_one(
    page: Any, collector: FakeCollector
) -> None:
    collector.current_version = "0" * 12  # the questionnaire changed after the page loaded
    page.goto(FORM)
    answer_required(page, q2="yes")
    page.check("input[name=q3][value=not_public]")
    page.click("button[type=submit]")
    page.wait_for_selector("#status button")
    assert PAGE["stale"] in page.inner_text("#status")
    assert page.is_checked("input[name=q3][value=not_public]")
    assert collector.stored == {}

    collector.current_version = collector.questionnaire.version  # the new page is served
    page.click("#status button")
    page.wait_for_load_state()
    assert page.is_checked("input[name=q3][value=not_public]")  # the draft came back
    page.click("button[type=submit]")
    page.wait_for_url(THANKS)
    assert only_stored(collector)["answers"]["q3"] == ("not_public",)


# -- layout and accessibility ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/d/sifaju/", "/", "/d/sifaju/thanks/", "/d/sifaju/wechat/"])
def test_320_px_wide_without_horizontal_scrolling(
    browser: Any, collector: FakeCollector, path: str
) -> None:
    context = open_context(browser, collector, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(ORIGIN + path)
    for large in (False, True):
        if large:
            page.click("label.switch")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def _font_px(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_large_text_switch_works_without_javascript(plain_page: Any) -> None:
    plain_page.goto(FORM)
    assert _font_px(plain_page, ".question legend") >= 18
    assert _font_px(plain_page, "label.switch") >= 24
    plain_page.click("label.switch")
    assert plain_page.is_checked("#large-text")
    assert _font_px(plain_page, ".option span") >= 24
    assert _font_px(plain_page, ".question legend") >= 24


def test_large_text_is_remembered_with_javascript(page: Any) -> None:
    page.goto(FORM)
    page.click("label.switch")
    page.goto(f"{ORIGIN}/")
    assert page.is_checked("#large-text")
    assert _font_px(page, "h1 + p") >= 24


def test_touch_targets_are_at_least_44_px(page: Any) -> None:
    page.goto(FORM)
    page.check("input[name=q2][value=yes]")
    page.check("input[name=respondent][value=private]")
    heights = page.eval_on_selector_all(
        ".option, button[type=submit], label.switch",
        "els => els.map(e => e.getBoundingClientRect().height)",
    )
    assert len(heights) > 60
    assert min(heights) >= 44


def test_nothing_is_requested_from_anywhere_else(page: Any) -> None:
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    for path in ("/", "/d/sifaju/", "/d/sifaju/thanks/", "/d/sifaju/print/", "/print/"):
        page.goto(ORIGIN + path)
        page.wait_for_load_state("networkidle")
        # The inline style is allowed by its hash: nothing refused, and it is in force.
        assert page.eval_on_selector("body", "b => getComputedStyle(b).margin") == "0px"
    assert requested
    assert all(url.startswith(ORIGIN + "/") or url.startswith("data:") for url in requested)
    assert errors == []  # e.g. "Refused to apply inline style ... Content Security Policy"


def test_the_directory_filter_narrows_the_list(page: Any, plain_page: Any) -> None:
    plain_page.goto(f"{ORIGIN}/")
    assert plain_page.is_hidden("#filter")
    everything = plain_page.locator("li[data-name]").count()
    page.goto(f"{ORIGIN}/")
    page.fill("#filter", "区")
    shown = page.locator("li[data-name]:visible").all_inner_texts()
    assert 0 < len(shown) < everything
    assert all("区" in text.splitlines()[0] for text in shown)
    page.fill("#filter", "")
    assert page.locator("li[data-name]:visible").count() == everything


@pytest.mark.parametrize(
    "path",
    [
        "/d/sifaju/",
        "/d/sifaju/wechat/",
        "/",
        "/d/sifaju/thanks/",
        "/d/sifaju/wechat/thanks/",
        "/d/sifaju/print/",
        "/print/",
    ],
)
def test_axe_finds_no_violations(page: Any, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(ORIGIN + path)
    for large in (False, True) if path != "/print/" and "print" not in path else (False,):
        if large:
            page.click("label.switch")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()


def test_axe_finds_no_violations_on_a_page_with_errors(page: Any, collector: FakeCollector) -> None:
    from axe_playwright_python.sync_playwright import Axe

    html = render_form_page(
        collector.questionnaire,
        "sifaju",
        "leaflet",
        api_url="/api",
        answers={"respondent": ["person"], "q2": ["yes"]},
        errors=[
            FieldError("q1", "required", answer_message("required")),
            FieldError("q3", "required", answer_message("required")),
            FieldError("channel", "unknown_channel", "没有这个填写渠道。"),
        ],
    )
    page.route(
        f"{ORIGIN}/errors/", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.goto(f"{ORIGIN}/errors/")
    assert page.inner_text("#e-q3") == answer_message("required")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(("paper", "path"), [("A4", "print/"), ("A5", "print/a5.html")])
def test_a_leaflet_prints_on_one_sheet_of_its_paper(page: Any, paper: str, path: str) -> None:
    page.goto(f"{ORIGIN}/d/renshiju/{path}")  # the longest department name
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page/") == 1
    )
    width_mm = {"A4": 210, "A5": 148}[paper]
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert box is not None
    assert abs(float(box.group(1)) / 72 * 25.4 - width_mm) < 1


def test_the_script_is_requested_only_after_the_first_paint(page: Any) -> None:
    """Nothing but the page itself before the first paint: the loader asks for site.js once the
    page has painted its first text (Lighthouse's first paint against a bare page, bench_site)."""
    page.goto(FORM)
    timings = page.evaluate(
        """() => ({
            painted: performance.getEntriesByName("first-contentful-paint")[0].startTime,
            requested: performance.getEntriesByType("resource")
                .filter(r => /\\/assets\\/site\\.[0-9a-f]+\\.js$/.test(r.name))
                .map(r => r.startTime),
        })"""
    )
    [requested] = timings["requested"]
    assert requested >= timings["painted"]
    assert page.evaluate("document.querySelectorAll('script[type=module]').length") == 1


def test_a_browser_that_cannot_run_the_script_keeps_the_plain_form(
    browser: Any, collector: FakeCollector
) -> None:
    context = open_context(browser, collector)
    # The script never arrives (an old in-app browser skips a module script the same way).
    context.route(f"{ORIGIN}/assets/*.js", lambda route: route.abort())
    context.manyi_scripts_run = False  # navigations wait for no script (tests/browser/conftest.py)
    page = context.new_page()
    page.goto(FORM)
    assert page.is_visible("#q-q3")  # nothing hidden: the conditions are in words
    answer_required(page)
    page.click("button[type=submit]")
    page.wait_for_url(THANKS)
    assert only_stored(collector)["answers"]["q1"] == ("none",)
    context.close()


def test_the_pages_rules_agree_with_check_answers_on_random_answer_sets(
    page: Any, collector: FakeCollector
) -> None:
    """Tick random boxes (without the page's help), submit, compare with the server's rules."""
    from manyi.answers import check_answers

    questionnaire = collector.questionnaire
    chooser = random.Random(20201015)
    page.goto(FORM)
    outcomes = {"accepted": 0, "refused": 0}
    for _ in range(30):
        raw: dict[str, list[str]] = {}
        for question in questionnaire.questions:
            options = [o.id for o in question.options]
            # Mostly answered, so that some sets pass; two choices test the exclusive rule.
            count = 0 if chooser.random() < 0.04 else 1
            if question.kind == "multiple" and chooser.random() < 0.3:
                count = 2
            raw[question.id] = chooser.sample(options, count)
        page.evaluate(
            """raw => document.querySelectorAll('fieldset[data-question] input').forEach(i => {
                 i.checked = (raw[i.name] || []).includes(i.value); })""",
            raw,
        )
        stored_before = len(collector.stored)
        page.click("button[type=submit]")
        expected = {e.question: e.message for e in check_answers(questionnaire, raw).errors}
        if expected:
            page.wait_for_selector("#problems:not([hidden])")
            shown = page.eval_on_selector_all(
                "p.error", "ps => ps.map(p => [p.id.slice(2), p.textContent])"
            )
            assert dict(shown) == expected, raw
            assert len(collector.stored) == stored_before
            outcomes["refused"] += 1
        else:
            outcomes["accepted"] += 1
            page.wait_for_url(THANKS)
            assert len(collector.stored) == stored_before + 1
            page.evaluate("localStorage.clear()")
            page.goto(FORM)
    assert min(outcomes.values()) >= 3, outcomes
