"""The collector's own HTML for plain-form posts: the form page again, and message pages."""

from __future__ import annotations

import re

from manyi.collector.intake import FormContext, failure
from manyi.collector.pages import error_page, form_page
from manyi.collector.ratelimit import RateLimit, RateLimiter
from manyi.model import Questionnaire
from manyi.submission import FieldError


def test_the_form_comes_back_with_answers_kept_problems_shown_and_escaped(
    questionnaire: Questionnaire,
) -> None:
    department = questionnaire.departments[0]
    context = FormContext(
        questionnaire,
        department,
        "<script>",
        {"q9": ["satisfied"], "q1": ["none", "not_handled"], "respondent": "person"},
    )
    errors = [FieldError("q1", "exclusive", "选了“不存在以上情况”，就不能再选其他选项。")]
    page = form_page(context, errors)
    assert page.startswith("<!doctype html>")
    assert 'lang="zh-CN"' in page
    assert re.search(r'name="q9" value="satisfied"[^>]* checked>', page)
    assert re.search(r'name="respondent" value="person"[^>]* checked>', page)
    assert "就不能再选其他选项" in page
    assert "<script>" not in page  # an unknown channel falls back to the first, never echoed
    assert f'name="channel" value="{questionnaire.channels[0].id}"' in page
    assert department.name in page
    assert 'action="/api/submissions"' in page


def test_other_problems_get_a_short_page_with_a_way_back() -> None:
    outcome = failure(409, "stale_version", True, department="sifaju")
    page = error_page(outcome)
    assert "问卷内容已经更新" in page
    assert 'href="/d/sifaju/"' in page


def test_the_bucket_refills_and_a_new_day_starts_afresh() -> None:
    limiter = RateLimiter(RateLimit(2, 60), secret=b"k" * 32)
    assert [limiter.take("1.2.3.4", "2026-11-27", t) for t in (0.0, 0.0, 0.0)] == [0, 0, 1]
    assert limiter.take("1.2.3.4", "2026-11-27", 1.0) == 0  # one token a second
    assert limiter.take("1.2.3.4", "2026-11-28", 1.0) == 0  # a new day, new keys
    # The key is a keyed hash: neither the address nor a plain hash of it.
    key = limiter.client_key("1.2.3.4", "2026-11-27")
    assert b"1.2.3.4" not in key
    assert key != RateLimiter(RateLimit(), secret=b"x" * 32).client_key("1.2.3.4", "2026-11-27")
    assert RateLimit.parse("off") is None
    assert RateLimit.parse("30/10") == RateLimit(30, 10.0)
