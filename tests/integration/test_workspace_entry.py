"""Staff entry in the workspace, through its handler: batches keyed with JavaScript off (plain
forms) and on (JSON answers), correct and void, double entry, the office's requirement, and
what reaches the submission store and the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.context import Workspace
from tests.entry_papers import form_fields, mixed_papers, stored_form
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
ENTRY = "/workspace/d/sifaju/entry/"


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path, questionnaire, NOW, publish=False, login_limit=None) as ws:
        make_account(ws, "clerk-a", "department", ["sifaju"])
        make_account(ws, "clerk-b", "department", ["sifaju"])
        make_account(ws, "clerk-x", "department", ["xinfangju"])
        make_account(ws, "viewer-1", "viewer")
        make_account(ws, "office-1", "office")
        yield ws


def signed_in(ws: Workspace, username: str) -> Client:
    client = Client(ws)
    assert client.log_in(username).status == 303
    return client


def new_batch(client: Client, **fields: str) -> str:
    client.get(ENTRY)
    answer = client.post(ENTRY, {"channel": "paper", **fields})
    assert answer.status == 303, answer.text[:400]
    assert re.fullmatch(rf"{ENTRY}[0-9]{{14}}-[A-Za-z0-9_-]+/", answer.location)
    return answer.location


def entry_id(page: str) -> str:
    found = re.search(r'name="entry_id" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def key(client: Client, batch: str, answers: dict[str, Any], **extra: str) -> Any:
    """One paper as the plain form posts it (JavaScript off)."""
    page = client.get(batch).text
    fields = [("csrf", client.csrf), ("entry_id", entry_id(page)), *extra.items()]
    return client.request("POST", batch + "save", [*fields, *form_fields(answers)])


def stored(ws: Workspace) -> list[Any]:
    assert isinstance(ws.intake, SubmissionStore)
    return [s.submission for s in ws.intake.department_month("sifaju", "2026-11")]


def same_papers(got: list[Any], expected: list[Any]) -> bool:
    """The same answers, in any order."""
    return sorted(sorted(dict(a).items()) for a in got) == sorted(
        sorted(dict(a).items()) for a in expected
    )


def actions(ws: Workspace) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in ws.staff.audit.month("2026-11")]


def test_a_batch_keyed_without_javascript_counts_only_when_finished(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    clerk = signed_in(ws, "clerk-a")
    batch = new_batch(
        clerk, channel="meeting", meeting_date="2026-11-12", meeting_place="司法局三楼"
    )
    papers = mixed_papers(questionnaire, 4)
    for n, paper in enumerate(papers, start=1):
        answer = key(clerk, batch, paper)
        assert answer.status == 303
        assert answer.location == f"{batch}?saved={n}"
    page = clerk.get(batch).text
    assert 'id="count">4<' in page
    assert "司法局三楼" in page
    assert stored(ws) == []  # keyed, not yet counted
    assert clerk.post(batch + "finish").status == 303
    responses = stored(ws)
    assert same_papers(
        [r.answers for r in responses], [stored_form(questionnaire, p) for p in papers]
    )
    assert {r.channel for r in responses} == {"meeting"}
    assert {r.version for r in responses} == {questionnaire.version}
    # Anonymous: the response has no field for an account, a place or a batch; keyed in the
    # workspace, it has no network and no filling time either (manyi.integrity).
    assert set(responses[0]._fields) == {
        "submission_id", "department", "month", "received_at", "version", "channel", "answers",
        "network", "seconds",
    }  # fmt: skip
    assert {(r.network, r.seconds) for r in responses} == {("", None)}
    assert "clerk-a" not in repr(responses)
    assert "司法局三楼" not in repr(responses)
    # ... the account that entered them is in the audit log.
    assert actions(ws).count(("clerk-a", "entry.save")) == 4
    assert ("clerk-a", "batch.finish") in actions(ws)
    summary = clerk.get(batch).text
    assert "本批小结" in summary
    assert "计入结果" in summary
    # Finishing again, or keying into a finished batch, changes nothing.
    assert clerk.post(batch + "finish").status == 409
    fields = [("csrf", clerk.csrf), ("entry_id", "late-entry-1"), *form_fields(papers[0])]
    assert clerk.request("POST", batch + "save", fields).status == 409
    assert len(stored(ws)) == 4


def test_a_save_sent_twice_is_kept_once(ws: Workspace, questionnaire: Questionnaire) -> None:
    clerk = signed_in(ws, "clerk-a")
    batch = new_batch(clerk)
    [paper] = mixed_papers(questionnaire, 1)
    page = clerk.get(batch).text
    fields = [("csrf", clerk.csrf), ("entry_id", entry_id(page)), *form_fields(paper)]
    for _ in range(3):  # a double click, then a retry after a timeout
        assert clerk.request("POST", batch + "save", fields).status == 303
    assert 'id="count">1<' in clerk.get(batch).text
    assert actions(ws).count(("clerk-a", "entry.save")) == 1


def test_a_wrong_paper_is_refused_with_its_questions_named_and_kept_on_the_form(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    clerk = signed_in(ws, "clerk-a")
    batch = new_batch(clerk)
    paper = mixed_papers(questionnaire, 1)[0]
    paper["q1"] = ["none", "not_handled"]  # the exclusive option with another
    del paper["q9"]
    answer = key(clerk, batch, paper)
    assert answer.status == 422
    assert "2 处需要修改" in answer.text
    assert "不存在以上情况" in answer.text
    assert re.search(r'name="q10" value="[a-z_]+"[^>]* checked>', answer.text)  # answers kept
    assert 'id="count">0<' in answer.text


def test_javascript_saves_answer_json_and_errors_name_the_question(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    clerk = signed_in(ws, "clerk-a")
    batch = new_batch(clerk)
    page = clerk.get(batch).text
    paper = mixed_papers(questionnaire, 2)[1]
    headers = {"accept": "application/json"}
    fields = [("csrf", clerk.csrf), ("entry_id", entry_id(page)), *form_fields(paper)]
    saved = clerk.request("POST", batch + "save", fields, headers)
    assert saved.status == 201
    body = saved.json()
    assert body["count"] == 1
    assert body["next"] != entry_id(page)
    bad = [("csrf", clerk.csrf), ("entry_id", body["next"]), ("q2", "maybe")]
    refused = clerk.request("POST", batch + "save", bad, headers)
    assert refused.status == 422
    codes = {(e["question"], e["code"]) for e in refused.json()["errors"]}
    assert ("q2", "unknown_option") in codes
    assert ("respondent", "required") in codes
    # The page's script comes from the workspace itself, allowed on this page only.
    assert "script-src 'self'" in clerk.get(batch).headers["Content-Security-Policy"]
    assert "script-src" not in clerk.get(ENTRY).headers["Content-Security-Policy"]
    script = re.search(r'<script src="([^"]+)"', page)
    assert script is not None
    answer = clerk.get(script.group(1))
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/javascript")


def test_the_last_paper_can_be_corrected_or_voided_and_both_are_audited(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    clerk = signed_in(ws, "clerk-a")
    batch = new_batch(clerk)
    first, second, fixed = mixed_papers(questionnaire, 3)
    key(clerk, batch, first)
    key(clerk, batch, second)
    page = clerk.get(batch).text
    last = re.search(r'name="entry_id" id="void-id" value="([^"]+)"', page)
    assert last is not None
    corrected = key(clerk, batch, fixed, correct=last.group(1))
    assert corrected.status == 303
    assert 'id="count">2<' in clerk.get(batch).text
    clerk.get(batch)
    assert clerk.post(batch + "void", {"entry_id": last.group(1)}).status == 303
    page = clerk.get(batch).text
    assert 'id="count">1<' in page
    assert "已作废" in page
    # Only the last one; the refusal's page offers a new paper, not the one it named.
    refused = clerk.post(batch + "void", {"entry_id": "not-the-last-one"})
    assert refused.status == 409
    assert entry_id(refused.text) != "not-the-last-one"
    assert clerk.post(batch + "finish").status == 303
    assert [dict(r.answers) for r in stored(ws)] == [stored_form(questionnaire, first)]
    done = actions(ws)
    assert ("clerk-a", "entry.correct") in done
    assert ("clerk-a", "entry.void") in done
    [void] = [e for e in ws.staff.audit.month("2026-11") if e.action == "entry.void"]
    assert void.before is not None
    assert void.before["entry"] == last.group(1)


def test_double_entry_lists_each_difference_and_counts_five_after_resolution(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    """The acceptance: two accounts key the same 5 papers with 2 deliberate differences."""
    first_clerk, second_clerk = signed_in(ws, "clerk-a"), signed_in(ws, "clerk-b")
    batch = new_batch(first_clerk, double_entry="1")
    papers = mixed_papers(questionnaire, 5)
    for paper in papers:
        key(first_clerk, batch, paper)
    assert first_clerk.post(batch + "finish").status == 303
    assert stored(ws) == []
    # The same account may not key the second pass.
    assert "须由另一个账号录入" in first_clerk.get(batch).text
    fields = [("csrf", first_clerk.csrf), ("entry_id", "a-forged-entry"), *form_fields(papers[0])]
    assert first_clerk.request("POST", batch + "save", fields).status == 409
    typos = [dict(p) for p in papers]
    typos[1]["q9"] = "dissatisfied" if papers[1]["q9"] != "dissatisfied" else "satisfied"
    typos[3]["q12"] = "unknown" if papers[3]["q12"] != "unknown" else "satisfied"
    for paper in typos:
        assert key(second_clerk, batch, paper).status == 303
    assert second_clerk.post(batch + "finish").status == 303
    page = second_clerk.get(batch).text
    assert "两遍录入的差异（2 处）" in page
    assert 'name="d-2-q9"' in page
    assert 'name="d-4-q12"' in page
    assert stored(ws) == []  # not resolved: not counted
    refused = second_clerk.post(batch + "resolve", {"d-2-q9": "1"})
    assert refused.status == 400
    assert stored(ws) == []
    resolved = second_clerk.post(batch + "resolve", {"d-2-q9": "1", "d-4-q12": "2"})
    assert resolved.status == 303
    expected = [stored_form(questionnaire, p) for p in papers]
    expected[3] = stored_form(questionnaire, typos[3])  # the second pass was right there
    assert len(stored(ws)) == 5
    assert same_papers([r.answers for r in stored(ws)], expected)
    [finish] = [e for e in ws.staff.audit.month("2026-11") if e.action == "batch.finish"]
    assert finish.actor == "clerk-b"
    assert finish.after is not None
    assert len(finish.after["resolutions"]) == 2


@pytest.mark.slow
def test_the_office_can_require_double_entry(ws: Workspace) -> None:
    office = signed_in(ws, "office-1")
    office.get("/workspace/office/")
    assert (
        office.post("/workspace/office/entry-policy", {"double_entry_required": "1"}).status == 303
    )
    assert "要求双录入" in office.get("/workspace/office/").text
    clerk = signed_in(ws, "clerk-a")
    batch = new_batch(clerk)  # no double_entry field: required anyway
    assert "双录入" in clerk.get(batch).text
    [store] = [ws.entry]
    assert store is not None
    assert all(b.double_entry for b in store.batches("sifaju"))
    assert ("office-1", "entry.policy") in actions(ws)


def test_other_departments_and_viewers_cannot_key(ws: Workspace) -> None:
    owner = signed_in(ws, "clerk-a")
    batch = new_batch(owner)
    for username in ("clerk-x", "viewer-1"):
        other = signed_in(ws, username)
        assert other.get(ENTRY).status == 403
        assert other.get(batch).status == 403
    assert signed_in(ws, "clerk-x").post(ENTRY, {"channel": "paper"}).status == 403


def test_a_self_channel_cannot_be_a_batch(ws: Workspace) -> None:
    clerk = signed_in(ws, "clerk-a")
    clerk.get(ENTRY)
    answer = clerk.post(ENTRY, {"channel": "leaflet"})
    assert answer.status == 400
    assert "请选择录入渠道" in answer.text
    meeting = clerk.post(ENTRY, {"channel": "meeting", "meeting_date": ""})
    assert meeting.status == 400
    assert "座谈会请填写日期" in meeting.text
