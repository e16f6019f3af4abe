"""Integrity flags in the workspace: shown to the office and to the department itself, the
office's review and the department's explanation audited and shown with the flag; a flag
never changes a figure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from manyi.model import Questionnaire
from manyi.store.pressure.sqlite import SQLitePressureStore
from manyi.workspace.context import Workspace
from tests.integration.test_workspace_pages import MONTH, NOW, signed_in, text_of
from tests.integrity_months import Month, burst
from tests.workspace_support import local_workspace, make_account, put_result


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path, questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office")
        make_account(workspace, "viewer-1", "viewer")
        make_account(workspace, "clerk-a", "department", ["sifaju"])
        make_account(workspace, "clerk-b", "department", ["gonganju"])
        pressure = SQLitePressureStore.in_folder(tmp_path)
        workspace.pressure = pressure
        gamed = Month("sifaju", 1).honest(120)
        burst(gamed)
        put_result(workspace, "sifaju", MONTH, gamed.counts(questionnaire))
        others = ("gonganju", "jiaoyuju", "minzhengju")
        for seed, department in enumerate(others, start=2):
            honest = Month(department, seed).honest(120)
            put_result(workspace, department, MONTH, honest.counts(questionnaire))
        # Served counts set early in the month (one set after the 20th would be a signal too).
        served = {(MONTH, d): 200 for d in ("sifaju", *others)}
        workspace.results.set_served(served, at="2026-11-05T02:00:00.000000Z")
        pressure.add(MONTH, "sifaju", "yes")
        pressure.add(MONTH, "sifaju", "no")
        yield workspace
        pressure.close()


def flags_section(page: str) -> str:
    return page.split("数据质量预警")[1].split("</section>")[0]


def test_the_office_sees_the_flag_and_marks_it_reviewed(ws: Workspace) -> None:
    office = signed_in(ws, "office-1")
    page = office.get(f"/workspace/office/{MONTH}/").text
    flags = text_of(flags_section(page))
    assert "同一网络或同一批录入短时间内集中提交" in flags
    assert "份全部“满意”" in flags
    assert "1 位受访者在提交后反映：有工作人员要求给好评或替其填写问卷" in flags
    assert "公安局" not in flags
    answer = office.post(f"/workspace/office/{MONTH}/flags/sifaju", {"text": "已约谈，核实中"})
    assert answer.status == 303
    [event] = ws.staff.audit.history(f"flag/{MONTH}/sifaju")
    assert (event.actor, event.action, event.after) == (
        "office-1",
        "flag.review",
        {"text": "已约谈，核实中"},
    )
    assert event.departments == ("sifaju",)
    page = text_of(office.get(f"/workspace/office/{MONTH}/").text)
    assert "（已核查）" in page
    assert "office-1 核查：已约谈，核实中" in page


def test_the_department_sees_its_own_flag_and_explains_it(ws: Workspace) -> None:
    clerk = signed_in(ws, "clerk-a")
    page = text_of(clerk.get(f"/workspace/d/sifaju/?month={MONTH}").text)
    assert "同一网络或同一批录入短时间内集中提交" in page
    answer = clerk.post(f"/workspace/d/sifaju/flags/{MONTH}", {"text": "当晚在社区开展座谈"})
    assert answer.status == 303
    assert answer.headers["Location"].startswith(f"/workspace/d/sifaju/?month={MONTH}")
    [event] = ws.staff.audit.history(f"flag/{MONTH}/sifaju")
    assert (event.actor, event.action) == ("clerk-a", "flag.explain")
    office_page = text_of(signed_in(ws, "office-1").get(f"/workspace/office/{MONTH}/").text)
    assert "clerk-a 说明：当晚在社区开展座谈" in office_page
    assert "clerk-a 说明：当晚在社区开展座谈" in text_of(
        clerk.get(f"/workspace/d/sifaju/?month={MONTH}").text
    )


def test_a_flag_changes_no_figure(ws: Workspace, questionnaire: Questionnaire) -> None:
    clerk = signed_in(ws, "clerk-a")
    data = json.loads(clerk.get(f"/workspace/d/sifaju/{MONTH}/results.json").body)
    # Every response counts, the burst's 40 included; its own download holds no city figure.
    assert data["department"]["responses"] == 160
    assert data["department"]["signals"] is None


def test_nobody_else_writes_to_a_flag(ws: Workspace) -> None:
    other = signed_in(ws, "clerk-b")
    assert other.post(f"/workspace/d/sifaju/flags/{MONTH}", {"text": "x"}).status == 403
    viewer = signed_in(ws, "viewer-1")
    assert viewer.post(f"/workspace/office/{MONTH}/flags/sifaju", {"text": "x"}).status == 403
    clerk = signed_in(ws, "clerk-a")
    assert clerk.post(f"/workspace/office/{MONTH}/flags/sifaju", {"text": "x"}).status == 403
    assert clerk.post(f"/workspace/d/sifaju/flags/{MONTH}", {"text": ""}).status == 400
    assert ws.staff.audit.history(f"flag/{MONTH}/sifaju") == []
    # The other department's page shows no flag of its own and nothing of sifaju's.
    page = other.get(f"/workspace/d/gonganju/?month={MONTH}").text
    assert "本月没有预警" in page
    assert "司法局" not in text_of(flags_section(page))


def test_what_staff_write_is_escaped_where_the_flag_shows(ws: Workspace) -> None:
    clerk = signed_in(ws, "clerk-a")
    note = "<script>alert(1)</script>"
    assert clerk.post(f"/workspace/d/sifaju/flags/{MONTH}", {"text": note}).status == 303
    page = signed_in(ws, "office-1").get(f"/workspace/office/{MONTH}/").text
    assert note not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
