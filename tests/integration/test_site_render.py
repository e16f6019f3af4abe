"""The form page as the collector will call it, and what every page promises about its HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from manyi.messages import ANSWER, PAGE, answer_message, submission_message
from manyi.model import Questionnaire
from manyi.submission import FieldError
from site_builder.assets import load_assets
from site_builder.paths import public_channels
from site_builder.policy import content_security_policy, security_headers
from site_builder.render import render_department_forms, render_form_page
from tests.conftest import ROOT
from tests.site_fixture import MINI_YAML, mini_questionnaire


def fieldset(html: str, question: str) -> str:
    match = re.search(rf'<fieldset id="q-{question}".*?</fieldset>', html, re.S)
    assert match is not None, question
    return match.group(0)


def test_the_form_is_semantic_html_that_posts_without_javascript(
    questionnaire: Questionnaire,
) -> None:
    html = render_form_page(questionnaire, "sifaju", "leaflet", api_url="/api")
    assert '<form id="survey" method="post" action="/api/submissions"' in html
    for meta, value in (
        ("department", "sifaju"),
        ("version", questionnaire.version),
        ("channel", "leaflet"),
    ):
        assert f'<input type="hidden" name="{meta}" value="{value}">' in html
    assert re.search(r'<div hidden><label>[^<]*<input name="website"', html)
    assert html.count("<fieldset") == html.count("<legend>") == len(questionnaire.questions)
    for question in questionnaire.questions:
        block = fieldset(html, question.id)
        kind = "radio" if question.kind == "single" else "checkbox"
        assert block.count(f'<label class="option"><input type="{kind}" name="{question.id}"') == (
            len(question.options)
        )
        # `required` only where the browser can enforce it for everyone.
        expect_required = question.kind == "single" and not question.conditions
        assert (" required" in block) == expect_required, question.id
    # The loader starts the script as a module once the page has painted: old browsers skip it
    # and keep the plain form.
    [(url, loader)] = re.findall(
        r'<script data-src="(/assets/site\.[0-9a-f]+\.js)">(.*?)</script>', html, re.S
    )
    assert url == load_assets().site_js.url
    assert 'script.type = "module"' in loader
    assert "first-contentful-paint" in loader


def test_texts_name_the_department(questionnaire: Questionnaire) -> None:
    html = render_form_page(questionnaire, "gonganju", "leaflet", api_url="/api")
    assert "该地区（部门）" not in html
    assert "(地区/部门)" not in html
    assert "你到平顶山市公安局办理行政审批" in fieldset(html, "q1")


def test_conditions_are_in_the_markup_and_in_words(questionnaire: Questionnaire) -> None:
    html = render_form_page(questionnaire, "sifaju", "leaflet", api_url="/api")
    q3 = fieldset(html, "q3")
    assert 'data-when="q2" data-when-any="yes"' in q3
    assert "（第2题选“是”时回答）" in q3
    assert re.search(
        r'<section id="s-private_enterprise" class="part" data-when="respondent" '
        r'data-when-any="private">',
        html,
    )
    assert 'value="none" data-exclusive' in fieldset(html, "q1")


def test_answers_are_kept_and_errors_shown_next_to_their_questions(
    questionnaire: Questionnaire,
) -> None:
    errors = [
        FieldError("q1", "exclusive", answer_message("exclusive", option="不存在以上情况")),
        FieldError("q9", "required", answer_message("required")),
        FieldError("channel", "unknown_channel", "没有这个填写渠道。"),
    ]
    answers = {"respondent": ["private"], "q1": ["not_handled", "none"], "p1": "yes"}
    html = render_form_page(
        questionnaire, "sifaju", "phone", api_url="/api", answers=answers, errors=errors
    )
    q1 = fieldset(html, "q1")
    assert 'aria-describedby="e-q1"' in q1
    assert '<p class="error" id="e-q1">选了“不存在以上情况”，就不能再选其他选项。</p>' in q1
    assert 'value="not_handled" checked' in q1
    assert 'value="none" data-exclusive checked' in q1
    assert 'value="unlawful_procedure">' in q1
    assert 'value="private" required checked' in fieldset(html, "respondent")
    assert 'value="yes" checked' in fieldset(html, "p1")
    assert f'<p class="error" id="e-q9">{ANSWER["required"]}</p>' in fieldset(html, "q9")
    problems = re.search(r'<div id="problems".*?</div>', html, re.S)
    assert problems is not None
    assert "hidden" not in problems.group(0).split(">")[0]
    assert '<a href="#q-q1">第一部分第1题</a>：选了“不存在以上情况”' in problems.group(0)
    assert "<li>填写渠道：没有这个填写渠道。</li>" in problems.group(0)
    # The heading is the collector's own sentence (its 422 message), from the one catalogue.
    assert f"<h2>{submission_message('invalid_answers', count=3)}</h2>" in problems.group(0)
    assert "<title>请修改后提交 · " in html
    assert 'name="channel" value="phone"' in html


def test_everything_rendered_is_escaped() -> None:
    hostile = MINI_YAML.replace("测试市司法局", '<script>alert("x")</script>&')
    questionnaire = mini_questionnaire(hostile)
    html = render_form_page(
        questionnaire,
        "sifaju",
        "leaflet",
        api_url="/api",
        answers={"q2": '"><img src=x>'},
        errors=[FieldError("q2", "unknown_option", "<b>bad</b>")],
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in html
    assert "<img src=x>" not in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html


def test_unknown_department_or_channel_is_a_lookup_error(questionnaire: Questionnaire) -> None:
    with pytest.raises(LookupError, match="department"):
        render_form_page(questionnaire, "nowhere", "leaflet", api_url="/api")
    with pytest.raises(LookupError, match="channel"):
        render_form_page(questionnaire, "sifaju", "fax", api_url="/api")


def test_the_script_says_what_the_collector_says() -> None:
    script = load_assets().site_js.content.decode("utf-8")
    messages = re.search(r"const MESSAGES = (\{.*?\});\n", script)
    status = re.search(r"const PAGE = (\{.*?\});\n", script)
    assert messages is not None
    assert status is not None
    assert json.loads(messages.group(1)) == ANSWER
    baked = json.loads(status.group(1))
    assert baked.pop("invalid_answers") == submission_message("invalid_answers", count="{count}")
    assert baked == PAGE
    # Every code check_answers can give a page that is not hand-edited, handled by name.
    for code in ("required", "single_choice", "exclusive"):
        assert f'"{code}"' in script


def test_the_policy_allows_nothing_from_elsewhere(questionnaire: Questionnaire) -> None:
    html = render_form_page(questionnaire, "sifaju", "leaflet", api_url="/api")
    policy = content_security_policy("/api")
    assert policy.replace("'", "&#39;") in html
    assert "default-src 'none'" in policy
    assert "http" not in policy
    elsewhere = content_security_policy("https://api.example.test/v1")
    assert "connect-src 'self' https://api.example.test;" in elsewhere
    assert security_headers("/assets/site.0123456789.css")["Cache-Control"].endswith("immutable")
    assert "max-age=300" in security_headers("/d/sifaju/")["Cache-Control"]


def test_importing_the_renderer_costs_the_collector_no_jinja() -> None:
    code = (
        "import sys, site_builder.render; "
        "assert 'jinja2' not in sys.modules and 'yaml' not in sys.modules and "
        "'segno' not in sys.modules, sorted(sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_renderer_finds_its_templates_from_anywhere() -> None:
    code = (
        "import json, sys; from manyi.model import Questionnaire; "
        "from site_builder.render import render_form_page; "
        "q = Questionnaire.from_dict(json.load(sys.stdin)); "
        "print(len(render_form_page(q, q.departments[0], q.channels[0], api_url='/api')))"
    )
    questionnaire = mini_questionnaire()
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd="/",
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        input=json.dumps(questionnaire.to_dict()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 1000


def test_the_builds_fast_path_makes_the_very_pages_the_collector_renders(
    questionnaire: Questionnaire,
) -> None:
    department = questionnaire.department("renshiju")
    assert department is not None
    pages = render_department_forms(questionnaire, department, api_url="/api")
    assert len(pages) == len(public_channels(questionnaire)) < len(questionnaire.channels)
    for channel in public_channels(questionnaire):
        path = f"/d/renshiju/{'' if channel == questionnaire.channels[0] else channel.id + '/'}"
        assert pages[path] == render_form_page(questionnaire, department, channel, api_url="/api")
