"""Issue 15's acceptance month in Chromium, with JavaScript off for every page: a clerk uploads
200 cases (a file with bad rows refused whole first), the office registers visitors, draws and
is refused the handler as visitor, the visitor records outcomes on the call screen, ten
self-service links are answered by parties at 320 px (one expired, one used twice: both a clear
page), and the figures on the page and in the CSV export equal the hand counts.

tests/integration/test_followup_acceptance.py runs the same month through the workspace's
handler, with the grep of the data folder, exports and logs, and the purge.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.followup.figures import COLUMNS
from manyi.followup.sampling import redraw
from manyi.followup.service import assign
from manyi.model import Questionnaire
from manyi.store.cases.base import Case
from manyi.workspace.context import Workspace
from tests.browser.served_workspace import workspace_origin
from tests.browser.test_workspace_browser import log_in, new_page
from tests.integration.test_followup_acceptance import as_csv, party, rows
from tests.workspace_support import local_workspace, make_account

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
DEPARTMENT = "shichangjianguanju"
MONTH = "2026-11"
PAGE = f"/workspace/followup/d/{DEPARTMENT}/"
# Outcomes recorded on the call screen, in the order of the drawn cases; "no_answer" three times
# (the configured attempts), after which the case is given up.
CALLS = (
    ["good"] * 8 + ["bad"] * 2 + ["refused"] * 3 + ["wrong_number"] * 2 + ["not_party"] * 2
    + ["no_answer"] * 2
)  # fmt: skip
LINKS = 10


@pytest.fixture
def served(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[tuple[Workspace, str]]:
    with local_workspace(
        tmp_path / "data", questionnaire, NOW, publish=False, login_limit=None
    ) as ws:
        make_account(ws, "office-1", "office")
        make_account(ws, "clerk-s", "department", [DEPARTMENT])
        make_account(ws, "visitor-a", "department", ["xinfangju"])
        make_account(ws, "visitor-h", "department", [DEPARTMENT])
        with workspace_origin(ws) as origin:
            yield ws, origin


def upload(page: Any, origin: str, name: str, data: bytes) -> str:
    page.goto(f"{origin}{PAGE}?month={MONTH}")
    page.set_input_files("#cases-file", {"name": name, "mimeType": "text/csv", "buffer": data})
    page.click("form[action$='/import'] button[type=submit]")
    return str(page.inner_text("main"))


def test_the_acceptance_month_in_chromium(
    browser: Any, served: tuple[Workspace, str], questionnaire: Questionnaire
) -> None:
    ws, origin = served
    fu = ws.followup
    config = questionnaire.followup
    assert fu is not None
    assert config is not None

    # -- the clerk's upload: bad rows refuse the whole file; the good file once, then again
    clerk = new_page(browser, java_script_enabled=False)
    log_in(clerk, origin, "clerk-s")
    bad = rows()
    bad[3][4] = "12345"
    bad[50][1] = "检查"
    bad[99][7] = "2026-10-31"
    bad[150][3] = ""
    refused = upload(clerk, origin, "十一月.csv", as_csv(bad))
    assert "文件中有 4 处错误，整个文件都没有保存" in refused
    assert clerk.locator("[role=alert] li").count() == 4
    assert fu.store.month(DEPARTMENT, MONTH) == []
    assert "新导入 200 件" in upload(clerk, origin, "十一月.csv", as_csv(rows()))
    assert "新导入 0 件，200 件以前已导入过" in upload(clerk, origin, "十一月.csv", as_csv(rows()))

    # -- the office: visitors, the draw, the handler refused as visitor -------------------------
    office = new_page(browser, java_script_enabled=False)
    log_in(office, origin, "office-1")
    for username, staff_id in (("visitor-a", "V001"), ("visitor-h", "H1")):
        office.goto(f"{origin}/workspace/followup/")
        office.fill("#v-username", username)
        office.fill("#v-staff", staff_id)
        office.click("form[action$='/visitors'] button[type=submit]")
        assert "回访人员已登记" in office.inner_text("[role=status]")
    office.goto(f"{origin}{PAGE}?month={MONTH}")
    office.click("form[action$='/draw'] button[type=submit]")
    assert "已随机抽取，种子已记录" in office.inner_text("[role=status]")
    cases = fu.store.month(DEPARTMENT, MONTH)
    (made,) = fu.store.draws(DEPARTMENT, MONTH)
    strata = Counter(c.stratum for c in cases)
    assert len(made.drawn) == sum(math.ceil(config.rates[s] * n - 1e-9) for s, n in strata.items())
    assert redraw(made, cases) == list(made.drawn)  # the recorded seed redoes the draw
    assert f"种子 {made.seed}" in office.inner_text("main")
    drawn = sorted((c for c in cases if c.drawn), key=lambda c: c.case_id)
    handled = next(c for c in drawn if c.handler_id == "H1")
    office.select_option(f"#v-{handled.case_id}", "visitor-h")
    office.click(f"form:has(#v-{handled.case_id}) button[type=submit]")
    assert "回访人员和办案人员必须分离" in office.inner_text("[role=alert]")
    assert fu.store.get(DEPARTMENT, MONTH, handled.case_id).visitor == ""  # type: ignore[union-attr]
    office.select_option(f"#v-{handled.case_id}", "visitor-a")
    office.click(f"form:has(#v-{handled.case_id}) button[type=submit]")
    assert "已分配回访人员" in office.inner_text("[role=status]")
    called = drawn[: len(CALLS)]
    linked = drawn[len(CALLS) : len(CALLS) + LINKS]
    for case in [*called, *linked]:  # the rest as the office's form does it, without the clicks
        current = fu.store.get(DEPARTMENT, MONTH, case.case_id)
        assert current is not None
        if not current.visitor:
            assign(fu, current, "visitor-a", NOW, "office-1")

    # -- the visitor's calls on the call screen ------------------------------------------------
    visitor = new_page(browser, java_script_enabled=False)
    log_in(visitor, origin, "visitor-a")
    for case, plan in zip(called, CALLS, strict=True):
        record_call(visitor, origin, case, plan, questionnaire)

    # -- ten links: one made, then a week passes; nine more; parties answer at 320 px ---------
    tokens = [make_link(visitor, origin, linked[0])]
    ws.clock.advance(days=config.link_days + 1)  # type: ignore[attr-defined]
    log_in(visitor, origin, "visitor-a")
    tokens += [make_link(visitor, origin, case) for case in linked[1:]]
    parties = new_page(browser, java_script_enabled=False, viewport={"width": 320, "height": 640})
    parties.goto(tokens[0])
    assert "链接已过期" in parties.inner_text("h1")
    for n, token in enumerate(tokens[1:], start=1):
        parties.goto(token)
        parties.goto(token)  # opening twice uses nothing
        assert parties.evaluate("document.documentElement.scrollWidth") <= 320
        answer(parties, questionnaire, "good", with_text=n <= 2)
        parties.click("button[type=submit]")
        assert "提交成功" in parties.inner_text("h1")
    parties.goto(tokens[1])
    assert "已经提交过" in parties.inner_text("h1")

    # -- the figures against hand counts: the department page and the CSV export ------------
    completed = CALLS.count("good") + CALLS.count("bad") + LINKS - 1
    refused_count = CALLS.count("refused")
    eligible = len(drawn) - CALLS.count("wrong_number")
    satisfaction = [q for q in config.questions if q.is_satisfaction_scale]
    favourable = completed * len(satisfaction) - CALLS.count("bad")
    expected = {
        "办结案件数": 200,
        "抽取回访数": len(drawn),
        "联系到当事人": completed + refused_count,
        "完成回访": completed,
        "应答率（RR1）": completed / eligible,
        "接触率（CON1）": (completed + refused_count) / eligible,
        "拒访率（REF1）": refused_count / eligible,
        "满意率": favourable / (favourable + CALLS.count("bad")),
        "问题发生率": (CALLS.count("bad") + 2) / completed,
        "未办结问题": CALLS.count("bad") + 2,
        "逾期问题": 0,
    }
    log_in(office, origin, "office-1")  # a week later: a new session
    office.goto(f"{origin}{PAGE}?month={MONTH}")
    facts = office.inner_text("#figures-title + dl")
    assert f"完成回访\n{completed}" in facts.replace("\t", "\n")
    exported = office.request.get(f"{origin}/workspace/followup/{MONTH}/figures.csv")
    assert exported.status == 200
    table = list(csv.reader(io.StringIO(exported.text().lstrip("\ufeff"))))
    assert table[0] == [title for _, title in COLUMNS]
    department = questionnaire.department(DEPARTMENT)
    assert department is not None
    row = dict(zip(table[0], next(r for r in table if r[0] == department.name), strict=True))
    for title, value in expected.items():
        assert float(row[title]) == pytest.approx(value, abs=1e-4), title
    for case in [*called, *linked]:
        assert party(_number(case))[0] not in exported.text()


def _number(case: Case) -> int:
    return int(case.case_number.split("〕")[1].removesuffix("号"))


def record_call(
    page: Any, origin: str, case: Case, plan: str, questionnaire: Questionnaire
) -> None:
    url = f"{origin}/workspace/followup/call/visitor-a/{DEPARTMENT}/{MONTH}/{case.case_id}"
    outcome = "completed" if plan in ("good", "bad") else plan
    for _ in range(3 if plan == "no_answer" else 1):
        page.goto(url)
        name, phone = party(_number(case))
        shown = page.inner_text("main")
        assert name in shown
        assert phone in shown
        assert page.locator("input:checked").count() == 0  # nothing pre-selected
        page.check(f"input[name=outcome][value={outcome}]")
        if outcome == "completed":
            answer(page, questionnaire, plan)
        page.fill("#note", f"第{_number(case)}件")
        page.click("main form:not([action$='/link']) button[type=submit]")
        assert "本次联系已记录" in page.inner_text("[role=status]")


def answer(page: Any, questionnaire: Questionnaire, plan: str, with_text: bool = False) -> None:
    config = questionnaire.followup
    assert config is not None
    for question in config.questions:
        option = "none" if question.id == "fu_improper" else question.options[0].id
        if plan == "bad" and question.id == "fu_result":
            option = "dissatisfied"
        page.check(f"input[name={question.id}][value={option}]")
    if with_text:
        page.fill(f"#{config.text_id}", "办事时被要求多跑了两趟")


def make_link(page: Any, origin: str, case: Case) -> str:
    page.goto(f"{origin}/workspace/followup/call/visitor-a/{DEPARTMENT}/{MONTH}/{case.case_id}")
    page.click("form[action$='/link'] button")
    return str(page.input_value("#link"))
