"""The HTML report: its charts and tables, and hostile text that never becomes markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.aggregate import Counts, MonthlyResult
from manyi.figures import city_summary
from manyi.model import Questionnaire
from manyi.reports.html_report import render_report
from manyi.reports.view import MonthView, month_view
from tests.results_data import counted_store, made_up_submissions

PAYLOADS = [
    "<script>window.pwned = 1</script>",
    '"><img src=x onerror="window.pwned = 2">',
    "</title><script>window.pwned = 3</script>",
    '<svg onload="window.pwned = 4"></svg>',
]
PAYLOAD = "".join(PAYLOADS)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def hostile_questionnaire(questionnaire: Questionnaire) -> Questionnaire:
    data = questionnaire.to_dict()
    data["title"] = PAYLOAD
    data["office"]["name"] = PAYLOAD
    data["departments"][0]["name"] = PAYLOAD
    data["channels"][0]["name"] = PAYLOAD
    for question in data["sections"][1]["questions"]:
        question["text"] = PAYLOAD
        question["options"][0]["text"] = PAYLOAD
    return Questionnaire.from_dict(data)


def hostile_view(questionnaire: Questionnaire) -> MonthView:
    counts = Counts(
        responses=3,
        channels={PAYLOAD: 2, "leaflet": 1},
        versions={PAYLOAD: 3},
        answered={"q1": 3, "q9": 3, PAYLOAD: 1},
        options={
            "q1": {"unlawful_procedure": 2, PAYLOAD: 1},
            "q9": {"satisfied": 2, "dissatisfied": 1},
            PAYLOAD: {PAYLOAD: 1},
        },
    )
    department = questionnaire.departments[0].id
    results = [MonthlyResult(department, "2026-11", counts, counts)]
    city = city_summary(questionnaire, "2026-11", results, {department: 4})
    earlier = city_summary(questionnaire, "2026-10", [], {})
    return MonthView("2026-11", None, city, (earlier, city))


def test_the_report_shows_the_summary_tables_trends_and_definitions(
    questionnaire: Questionnaire,
) -> None:
    subs = made_up_submissions(questionnaire)
    served = {("2026-11", d.id): 8 for d in questionnaire.departments[:2]}
    store = counted_store(questionnaire, subs, served=served)
    view = month_view(questionnaire, store, "2026-11", trend_months=3)
    html = render_report(questionnaire, view)
    tags = tags_of(html)
    svgs = [a for t, a in tags if t == "svg"]
    assert len(svgs) == 2  # the city's trends; the rankings are tables with 环比
    assert all(a.get("role") == "img" and a.get("aria-label") for a in svgs)
    assert not [t for t, _ in tags if t == "script"]
    assert "一、总体情况" in html
    assert "表1　各部门满意度指数排名" in html
    assert "表3　各部门问题发生率" in html
    assert "全市满意度指数逐月变化" in html
    assert re.search(r"2026-09.*2026-10.*2026-11", html, re.S)
    assert "附：指标说明" in html
    assert "Content-Security-Policy" in html
    # Each department's detail is in its own report, not in the city's.
    first = questionnaire.departments[0]
    assert f"请问今年以来你到{first.name}办理" not in html


def test_the_report_names_problem_answers_in_words(questionnaire: Questionnaire) -> None:
    counts = Counts(
        responses=7,
        channels={"leaflet": 4, "meeting": 3},
        versions={questionnaire.version: 5, "0123456789ab": 2},
        answered={"q4": 7, "q1": 7},
        options={"q4": {"yes": 6, "no": 1}, "q1": {"not_handled": 1, "none": 6}},
    )
    city = city_summary(questionnaire, "2026-11", [MonthlyResult("sifaju", "2026-11", counts)], {})
    html = render_report(questionnaire, MonthView("2026-11", None, city))
    assert "第4题 答“没有”" in html  # read as the problem it is, not as "no problems"
    assert "第1题 应当办理而不办理" in html
    assert "自主填写4份（57.1%）、工作人员代录3份（42.9%）" in html
    row = re.search(r'<th scope="row">平顶山市司法局\*</th>(.*?)</tr>', html)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[:3] == ["7", "0", "14"]  # 问卷, 1①, 1② (the table's unit is %)
    assert "注：单位：%。问题发生率" in html


def test_hostile_text_stays_text_in_the_markup(questionnaire: Questionnaire) -> None:
    q = hostile_questionnaire(questionnaire)
    html = render_report(q, hostile_view(q))
    tags = tags_of(html)
    assert not [t for t, _ in tags if t in ("script", "img")]
    assert not [t for t, a in tags if any(k.startswith("on") for k in a)]
    assert html.count("&lt;script&gt;") >= 10


def test_a_script_payload_does_not_run_when_the_report_is_opened(
    questionnaire: Questionnaire, tmp_path: Path, browser: Any
) -> None:
    q = hostile_questionnaire(questionnaire)
    path = tmp_path / "report.html"
    path.write_text(render_report(q, hostile_view(q)), encoding="utf-8")
    page = browser.new_page()
    try:
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 0
        assert page.locator("img").count() == 0
        assert dialogs == []
        body = page.inner_text("body")
        assert "<script>window.pwned = 1</script>" in body
        assert page.locator("svg.chart").count() == 2  # the city's trends
    finally:
        page.close()


def _with_text(questionnaire: Questionnaire, text: str) -> Questionnaire:
    """Two departments, with `text` in every text the report shows that a person can edit."""
    data = questionnaire.to_dict()
    data["departments"] = data["departments"][:2]
    data["departments"][0]["name"] = text
    data["title"] = text
    data["office"]["name"] = text
    for section in data["sections"]:
        for question in section["questions"]:
            question["text"] = text
            question["options"][0]["text"] = text
    return Questionnaire.from_dict(data)


def _view_with_keys(questionnaire: Questionnaire, key: str) -> MonthView:
    """`key` also as a channel, a version, and a retired question's and option's ID."""
    counts = Counts(
        responses=2,
        channels={key: 2},
        versions={key: 2},
        answered={"q9": 2, "q1": 2, f"x{key}": 1},
        options={"q9": {"satisfied": 2}, "q1": {"none": 1, key: 1}, f"x{key}": {key: 1}},
    )
    department = questionnaire.departments[0].id
    results = [MonthlyResult(department, "2026-11", counts, counts)]
    city = city_summary(questionnaire, "2026-11", results, {department: 2})
    return MonthView("2026-11", None, city, (city_summary(questionnaire, "2026-10", [], {}), city))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(alphabet=st.sampled_from(list("<>\"'&=/ ascriptonload()`;\\")), min_size=1, max_size=30)
)
def test_any_text_in_any_rendered_value_leaves_the_markup_unchanged(
    questionnaire: Questionnaire, text: str
) -> None:
    """The same tags and attributes whatever the texts and keys hold: text never becomes markup."""
    plain = render_report(
        _with_text(questionnaire, "x"), _view_with_keys(_with_text(questionnaire, "x"), "k")
    )
    hostile_q = _with_text(questionnaire, text)
    hostile = render_report(hostile_q, _view_with_keys(hostile_q, text))
    assert [t for t, _ in tags_of(hostile)] == [t for t, _ in tags_of(plain)]
    assert [sorted(a) for _, a in tags_of(hostile)] == [sorted(a) for _, a in tags_of(plain)]
