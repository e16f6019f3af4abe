"""Issue 15's acceptance month, through the workspace as staff and parties use it: 200 cases
uploaded (a bad file refused whole first), a seeded draw, one handler = visitor refused, calls
recorded on the call screen, ten self-service links (one expired, one reused), figures equal to
hand counts, no party's name or phone in clear anywhere (the data folder, the audit log, every
export and page, and every log line of every step, at DEBUG with the event logging an operator
might switch on), and a purge that keeps the figures. Chromium runs the same month's screens in
tests/browser/test_followup_acceptance_browser.py."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.followup.figures import figures_of
from manyi.followup.importing import ImportRefused, read_case_file
from manyi.followup.sampling import redraw
from manyi.followup.schedule import handle as scheduled_purge
from manyi.followup.service import (
    Followup,
    draw_month,
    import_cases,
    purge,
    register_visitor,
    today_in_beijing,
)
from manyi.model import Questionnaire
from manyi.store.cases.base import case_id_of
from manyi.workspace.context import Workspace
from tests.log_capture import all_logs, encodings
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
DEPARTMENT = "shichangjianguanju"
MONTH = "2026-11"
SEED = 20261120
HEADER = [
    "案件编号",
    "案件类别",
    "适用程序",
    "当事人",
    "联系电话",
    "承办人执法证号",
    "承办人",
    "办结日期",
]
KINDS = [("处罚", "一般程序"), ("处罚", "简易程序"), ("许可", "一般程序"), ("许可", "简易程序")]


def party(n: int) -> tuple[str, str]:
    return f"郑记{n:03d}号商行", f"139{n:08d}"


def rows(count: int = 200) -> list[list[str]]:
    table = []
    for n in range(1, count + 1):
        kind, procedure = KINDS[n % 4]
        name, phone = party(n)
        handler = f"H{n % 5 + 1}"
        table.append([f"平市监〔2026〕{n}号", kind, procedure, name, phone, handler,
                      f"承办人{handler}", f"2026-11-{n % 19 + 1:02d}"])  # fmt: skip
    return table


def as_csv(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *table])
    return out.getvalue().encode("utf-8")


def fu_of(ws: Workspace) -> Followup:
    assert ws.followup is not None
    return ws.followup


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path / "data", questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office", [])
        make_account(workspace, "visitor-a", "department", ["xinfangju"])
        make_account(workspace, "visitor-h", "department", [DEPARTMENT])
        make_account(workspace, "clerk-s", "department", [DEPARTMENT])
        yield workspace


def test_a_bad_file_is_refused_whole_in_chinese_without_personal_data() -> None:
    table = rows(20)
    table[3][4] = "12345"  # a phone that is no phone
    table[5][3] = ""  # no party
    table[7][1] = "检查"  # not 许可/处罚
    table[9][0] = table[2][0]  # a case number twice
    table[11][7] = "2026-13-01"
    with pytest.raises(ImportRefused) as refused:
        read_case_file("cases.csv", as_csv(table), NOW.date())
    problems = refused.value.problems
    assert problems == [
        "第 5 行，“联系电话”列：不是有效的电话号码（手机 11 位，座机带区号）。",
        "第 7 行，“当事人”列：不能为空。",
        "第 9 行，“案件类别”列：应为“许可”或“处罚”。",
        "第 11 行：案件编号与第 4 行重复。",
        "第 13 行，“办结日期”列：不是有效的日期（例如 2026-11-05）。",
    ]
    text = "\n".join(problems)
    assert "12345" not in text
    assert not any(party(n)[0] in text or party(n)[1] in text for n in range(1, 21))


# What an operator might switch on while chasing a fault: every Powertools level and event log.
LOUDEST = {
    "POWERTOOLS_LOG_LEVEL": "DEBUG",
    "POWERTOOLS_LOGGER_LOG_EVENT": "true",
    "POWERTOOLS_DEV": "true",
    "POWERTOOLS_EVENT_HANDLER_DEBUG": "true",
}


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    for name, value in LOUDEST.items():
        monkeypatch.setenv(name, value)
    with all_logs() as lines:
        yield lines


def personal_data() -> re.Pattern[bytes]:
    """Every party's name and phone, in every form a file or a log line may hold them."""
    forms = {f for n in range(1, 201) for text in party(n) for f in encodings(text)}
    return re.compile(b"|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:POWERTOOLS_DEV environment variable is enabled")
def test_the_acceptance_month(
    ws: Workspace,
    questionnaire: Questionnaire,
    tmp_path: Path,
    logs: list[str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    fu = fu_of(ws)
    config = questionnaire.followup
    assert config is not None
    today = today_in_beijing(NOW)

    # -- import on the department's page: a bad file first, nothing stored; the good one twice
    clerk = Client(ws)
    clerk.log_in("clerk-s")
    page = f"/workspace/followup/d/{DEPARTMENT}/"
    clerk.get(f"{page}?month={MONTH}")
    bad = rows()
    bad[10][4] = "not a phone"
    bad[60][2] = "普通程序"
    bad[120][5] = ""
    bad[199][0] = bad[0][0]
    refused_file = clerk.upload(f"{page}import", {"month": MONTH}, "cases.csv", as_csv(bad))
    assert refused_file.status == 422
    assert "文件中有 4 处错误，整个文件都没有保存" in refused_file.text
    for line in (
        "第 12 行，“联系电话”列",
        "第 62 行，“适用程序”列",
        "第 122 行，“承办人执法证号”列",
        "第 201 行：案件编号与第 2 行重复",
    ):
        assert line in refused_file.text
    assert fu.store.month(DEPARTMENT, MONTH) == []
    first = clerk.upload(f"{page}import", {"month": MONTH}, "cases.csv", as_csv(rows()))
    again = clerk.upload(f"{page}import", {"month": MONTH}, "cases.csv", as_csv(rows()))
    assert "新导入 200 件" in first.text
    assert "新导入 0 件，200 件以前已导入过" in again.text
    assert len(fu.store.month(DEPARTMENT, MONTH)) == 200

    # -- the draw: seeded, by the shares, reproducible -----------------------------------------
    made = draw_month(fu, config, DEPARTMENT, MONTH, NOW, "office-1", seed=SEED)
    cases = fu.store.month(DEPARTMENT, MONTH)
    strata = Counter(c.stratum for c in cases)
    expected = sum(math.ceil(config.rates[s] * n - 1e-9) for s, n in strata.items())
    assert len(made.drawn) == expected == 50 + 20 + 40 + 20
    assert redraw(made, cases) == list(made.drawn)
    drawn = [c for c in cases if c.drawn]
    assert sorted(c.case_id for c in drawn) == sorted(made.drawn)

    # -- visitors and assignment: the handler is refused -----------------------------------------
    register_visitor(fu, "visitor-a", "V001", NOW, "office-1")
    register_visitor(fu, "visitor-h", "H1", NOW, "office-1")
    office = Client(ws)
    office.log_in("office-1")
    office.get(f"{page}?month={MONTH}")
    handled_by_h1 = next(c for c in drawn if c.handler_id == "H1")
    refused = office.post(
        f"{page}assign", {"month": MONTH, "case": handled_by_h1.case_id, "visitor": "visitor-h"}
    )
    assert refused.status == 409
    assert "回访人员就是这件案件的承办人" in refused.text
    refusals = [e for e in ws.staff.audit.month(MONTH) if e.action == "followup.assign_refused"]
    assert [(e.actor, (e.after or {})["visitor"]) for e in refusals] == [("office-1", "visitor-h")]
    for case in drawn:
        answer = office.post(
            f"{page}assign", {"month": MONTH, "case": case.case_id, "visitor": "visitor-a"}
        )
        assert answer.status == 303, answer.text[:300]
    assert fu.store.get(DEPARTMENT, MONTH, handled_by_h1.case_id).visitor == "visitor-a"  # type: ignore[union-attr]

    # -- calls on the call screen ----------------------------------------------------------------
    visitor = Client(ws)
    visitor.log_in("visitor-a")
    good_answers = {q.id: q.options[0].id for q in config.questions}
    good_answers["fu_improper"] = "none"
    bad_answers = dict(good_answers, fu_result="dissatisfied")
    plan = (
        [("completed", good_answers)] * 30
        + [("completed", bad_answers)] * 5
        + [("refused", None)] * 10
        + [("wrong_number", None)] * 5
        + [("not_party", None)] * 5
        + [("no_answer", None)] * 10  # three times each: given up
    )
    order = sorted(drawn, key=lambda c: c.case_id)
    for case, (outcome, answers) in zip(order, plan, strict=False):
        url = f"/workspace/followup/call/visitor-a/{DEPARTMENT}/{MONTH}/{case.case_id}"
        screen = visitor.get(url)
        assert screen.status == 200
        name, phone = party(int(re.search(r"〔2026〕(\d+)号", case.case_number).group(1)))  # type: ignore[union-attr]
        assert name in screen.text
        assert phone in screen.text
        assert " checked" not in screen.text  # nothing pre-selected
        form: dict[str, object] = {"outcome": outcome, "note": f"联系了{name}"}
        form.update(answers or {})
        times = 3 if outcome == "no_answer" else 1
        for _ in range(times):
            assert visitor.post(url, form).status == 303
    views = [e for e in ws.staff.audit.month(MONTH) if e.action == "followup.view"]
    assert len(views) == len(plan)

    # -- ten self-service links: one expires, one is used twice ------------------------------
    linked = order[len(plan) : len(plan) + 10]
    tokens = []
    for case in linked[:1]:
        tokens.append(_make_link(visitor, case.case_id))
    ws.clock.advance(days=config.link_days + 1)  # type: ignore[attr-defined]
    visitor.log_in("visitor-a")  # a week later: a new session
    office.log_in("office-1")
    for case in linked[1:]:
        tokens.append(_make_link(visitor, case.case_id))
    party_client = Client(ws, address="10.9.9.9")
    expired = party_client.get(tokens[0])
    assert expired.status == 410
    assert "链接已过期" in expired.text
    link_answers = dict(good_answers)
    for n, token in enumerate(tokens[1:], start=1):
        assert party_client.get(token).status == 200  # opening uses nothing
        assert party_client.get(token).status == 200
        form = dict(link_answers)
        if n <= 2:
            form["what_happened"] = "办事时被要求多跑了两趟"
        assert party_client.post(token, form, csrf=False).status == 200
    reused = party_client.post(tokens[1], link_answers, csrf=False)
    assert reused.status == 410
    assert "已经使用过" in reused.text

    # -- figures against hand counts --------------------------------------------------------------
    figures = figures_of(
        DEPARTMENT, MONTH, fu.store.month(DEPARTMENT, MONTH), config, today_in_beijing(ws.clock())
    )
    completed = 30 + 5 + 9
    eligible = len(drawn) - 5
    assert figures.closed == 200
    assert figures.drawn == len(drawn)
    assert figures.completed == completed
    assert figures.refused == 10
    assert figures.ineligible == 5
    assert figures.non_contact == 5
    assert figures.reached == completed + 10
    assert figures.response_rate == completed / eligible
    assert figures.contact_rate == (completed + 10) / eligible
    assert figures.refusal_rate == 10 / eligible
    satisfaction = [q for q in config.questions if q.is_satisfaction_scale]
    assert figures.favourable == completed * len(satisfaction) - 5
    assert figures.unfavourable == 5
    assert figures.with_problem == 5 + 2
    assert figures.problems_open == 7

    # The department records what it did about one problem; the office sees one fewer open.
    clerk.log_in("clerk-s")  # a week later: a new session
    clerk.get(f"{page}?month={MONTH}")
    with_problem = next(c for c in fu.store.month(DEPARTMENT, MONTH) if c.problem is not None)
    closed = clerk.post(
        f"{page}problem",
        {"month": MONTH, "case": with_problem.case_id, "action": "已约谈承办人并整改"},
    )
    assert closed.status == 303
    export = office.get(f"/workspace/followup/{MONTH}/figures.csv")
    assert export.status == 200
    assert "市场监督管理局" in export.text
    before = figures_of(DEPARTMENT, MONTH, fu.store.month(DEPARTMENT, MONTH), config, today)
    assert before.problems_open == 6

    # -- no party's name or phone in clear: data folder, audit log, exports, logs --------------
    exported = {
        "figures.csv": export.body,
        "audit.xlsx": office.get("/workspace/audit/export.xlsx").body,
        "audit": json.dumps([e.to_dict() for e in ws.staff.audit.month(MONTH)]).encode(),
        "department page": office.get(f"{page}?month={MONTH}").body,
        "office page": office.get(f"/workspace/followup/?month={MONTH}").body,
    }
    stored = {str(p): p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()}
    printed = capfd.readouterr()
    logged = {
        "log records": "\n".join(logs).encode(),
        "stdout": printed.out.encode(),
        "stderr": printed.err.encode(),
    }
    # Every request was logged at DEBUG (Powertools' route call), uploads and links included.
    routed = [line for line in logs if line.startswith("Calling API Route Handler")]
    assert len(routed) > 300
    # Nor a self-service link's secret, which Powertools' route call would name.
    secrets = [token.rsplit("/", 1)[-1] for token in tokens]
    assert [s for s in secrets if s in "\n".join(logs)] == []
    found = personal_data()
    for where, blob in {**exported, **stored, **logged}.items():
        hit = found.search(blob)
        assert hit is None, (where, hit.group(0)[:40] if hit else None)

    # -- the purge, as the daily schedule runs it: personal fields gone, figures unchanged -----
    ws.clock.advance(days=config.retention_days + 1)  # type: ignore[attr-defined]
    removed = scheduled_purge({"action": "purge_followup"}, questionnaire, fu, ws.clock())
    done = [c for c in fu.store.month(DEPARTMENT, MONTH) if c.done]
    assert removed["purged"] == len(done)
    assert all(c.party is None and c.reported is None for c in done)
    assert all(a.note is None for c in done for a in c.attempts)
    after = figures_of(DEPARTMENT, MONTH, fu.store.month(DEPARTMENT, MONTH), config, today)
    assert after == before
    assert purge(fu, config, ws.clock(), "system") == 0
    printed = capfd.readouterr()
    assert found.search("\n".join([*logs, printed.out, printed.err]).encode()) is None


def _make_link(visitor: Client, case_id: str) -> str:
    url = f"/workspace/followup/call/visitor-a/{DEPARTMENT}/{MONTH}/{case_id}"
    visitor.get(url)
    answer = visitor.post(f"{url}/link")
    assert answer.status == 200
    found = re.search(r'id="link" class="wide" readonly value="([^"]+)"', answer.text)
    assert found is not None
    return unescape(found.group(1))


def test_case_ids_are_the_idempotency_key() -> None:
    assert case_id_of(DEPARTMENT, " A-1 ") == case_id_of(DEPARTMENT, "A-1")
    assert case_id_of(DEPARTMENT, "A-1") != case_id_of("sifaju", "A-1")


@pytest.mark.slow
def test_serves_timer_purges_what_is_due(ws: Workspace, questionnaire: Questionnaire) -> None:
    from manyi.workspace.timer import AggregatorTimer

    fu = fu_of(ws)
    assert questionnaire.followup is not None
    case_file = read_case_file("c.csv", as_csv(rows(3)), NOW.date())
    import_cases(fu, DEPARTMENT, case_file, NOW, "office-1")
    old, fresh, _ = fu.store.month(DEPARTMENT, MONTH)
    fu.store.replace(old.next_version(done_at="2026-01-02T00:00:00.000000Z"))
    fu.store.replace(fresh.next_version(done_at="2026-11-19T00:00:00.000000Z"))
    data = Path(str(fu.store.path)).parent  # type: ignore[attr-defined]
    assert ws.submissions is not None
    timer = AggregatorTimer(
        data, lambda: questionnaire, ws.submissions, ws.staff.audit, clock=lambda: NOW,
        followup=fu,
    )  # fmt: skip
    assert timer.tick()["purged"] == 1
    purged = {c.case_id: c.party is None for c in fu.store.month(DEPARTMENT, MONTH)}
    assert purged == {old.case_id: True, fresh.case_id: False, _.case_id: False}
