"""The retention purge of complaints: what is due goes (name, phone, account of events, replies),
what the figures count stays, each complaint purged is audited, a second run does nothing, no
removed text is left in the file's bytes, and `manyi complaints purge` and `manyi serve`'s
timer run the same purge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.complaints.figures import month_figures
from manyi.complaints.model import Complaint, Status, Step
from manyi.complaints.retention import last_due_day, purge
from manyi.model import Questionnaire
from manyi.store.complaints.base import ComplaintStore
from manyi.workspace.context import Workspace
from tests.cli import run_manyi
from tests.complaint_support import NAME, PHONE, add_sample_complaint
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=BEIJING)
ACCOUNT = "办理营业执照时，工作人员辱骂我，还让我改天再来。"
REPLY = "经核查，已对窗口工作人员王某批评教育。"


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path / "data", questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office")
        yield workspace


def store_of(ws: Workspace) -> ComplaintStore:
    assert ws.complaints is not None
    return ws.complaints.store


def closed(ws: Workspace, complaint_id: str, received: str, final: Status, day: str) -> Complaint:
    """A complaint received on `received`, accepted then, and made final on `day`."""
    stored = add_sample_complaint(ws, complaint_id=complaint_id, received_on=received)
    steps = [Step(f"{received}T03:00:00.000000Z", received, "accepted", "office-1")]
    if final == "refused":
        steps = []
    steps.append(Step(f"{day}T03:00:00.000000Z", day, final, "office-1", REPLY))
    for step in steps:
        stored = stored.moved(step)
        store_of(ws).replace(stored)
    return stored


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=BEIJING)


def test_the_retention_ends_on_the_same_day_years_later() -> None:
    assert last_due_day(date(2028, 11, 16), 2) == date(2026, 11, 16)
    assert last_due_day(date(2028, 2, 29), 2) == date(2026, 2, 28)
    assert last_due_day(date(2029, 3, 1), 1) == date(2028, 3, 1)


def test_due_complaints_lose_their_personal_fields_and_keep_their_counts(
    ws: Workspace, questionnaire: Questionnaire, tmp_path: Path
) -> None:
    store = store_of(ws)
    due = closed(ws, "retention-due-000001", "2026-03-02", "concluded", "2026-03-20")
    boundary = closed(ws, "retention-edge-00001", "2026-03-03", "refused", "2026-03-23")
    young = closed(ws, "retention-young-0001", "2026-03-04", "concluded", "2026-03-24")
    still_open = add_sample_complaint(
        ws, complaint_id="retention-open-00001", received_on="2026-03-05"
    )
    anonymous = add_sample_complaint(
        ws, complaint_id="retention-anon-00001", received_on="2026-03-06", name="", phone=""
    )
    settings = questionnaire.complaints
    before = month_figures(store.year(2026), "2026-03", settings)
    assert before.received == 5

    result = purge(store, ws.staff.audit, questionnaire, at("2028-03-23"), "system")

    assert result.closed_on_or_before == "2026-03-23"
    assert set(result.purged) == {due.number, boundary.number}
    assert result.skipped == ()
    for number in (due.number, boundary.number):
        gone = store.get(number)
        assert gone is not None
        assert (gone.account, gone.subject, gone.happened_on, gone.contact) == ("", "", "", None)
        assert [s.note for s in gone.steps] == [""] * len(gone.steps)
        assert gone.purged_at.startswith("2028-03-23")
    kept = {c.number: c for c in store.year(2026)}
    assert kept[young.number].account == ACCOUNT
    assert kept[young.number].steps[-1].note == REPLY
    assert kept[still_open.number].contact is not None
    assert kept[anonymous.number].account == ACCOUNT
    # Every figure of the month is the same: statuses, days, categories, on-time.
    assert month_figures(store.year(2026), "2026-03", settings) == before

    events = [e for e in ws.staff.audit.month("2028-03") if e.action == "complaint.purge"]
    assert sorted(e.target for e in events) == sorted(
        [f"complaint/{due.number}", f"complaint/{boundary.number}"]
    )
    assert {e.actor for e in events} == {"system"}
    assert events[0].after is not None
    assert events[0].after["retention_years"] == 2

    # Again: nothing is due any more, nothing is written, nothing is audited.
    again = purge(store, ws.staff.audit, questionnaire, at("2028-03-23"), "system")
    assert again.purged == ()
    assert len(ws.staff.audit.month("2028-03")) == len(events)
    # A day later the young one is due.
    later = purge(store, ws.staff.audit, questionnaire, at("2028-03-24"), "system")
    assert later.purged == (young.number,)

    # The removed text is in neither the file nor its log: overwritten, not just unlinked.
    data = tmp_path / "data"
    raw = b"".join(p.read_bytes() for p in data.glob("complaints.sqlite3*"))
    assert REPLY.encode() not in raw
    assert "王小明".encode() not in raw  # sealed anyway, never clear
    assert ACCOUNT.encode() in raw  # the open and anonymous complaints still hold theirs


def test_the_workspace_says_what_was_removed_and_offers_no_contact(
    ws: Workspace, questionnaire: Questionnaire
) -> None:
    due = closed(ws, "retention-page-00001", "2026-03-02", "concluded", "2026-03-20")
    purge(store_of(ws), ws.staff.audit, questionnaire, at("2028-11-16"), "system")
    office = Client(ws, "10.1.1.1")
    assert office.log_in("office-1").status == 303
    page = office.get(f"/workspace/complaints/{due.number}")
    assert page.status == 200
    assert 'id="purged"' in page.text
    assert "2 年" in page.text
    for gone in (ACCOUNT, REPLY, "查看联系方式"):
        assert gone not in page.text
    opened = office.post(f"/workspace/complaints/{due.number}/contact", {})
    assert opened.status == 200
    assert NAME not in opened.text
    assert PHONE not in opened.text
    # Nothing was opened, so nothing is in the log as a view.
    history = ws.staff.audit.history(f"complaint/{due.number}")
    assert "complaint.contact" not in [e.action for e in history]


def test_the_command_purges_once_and_reports_counts_only(
    ws: Workspace, questionnaire: Questionnaire, tmp_path: Path
) -> None:
    old = closed(ws, "retention-cli-000001", "2019-03-02", "concluded", "2019-03-20")
    data = tmp_path / "data"
    first = run_manyi("complaints", "purge", "--data", str(data))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["purged"] == 1
    assert old.number not in first.stdout
    second = run_manyi("complaints", "purge", "--data", str(data))
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["purged"] == 0
    events = ws.staff.audit.history(f"complaint/{old.number}")
    assert [e.action for e in events] == ["complaint.purge"]
    assert events[0].actor.startswith("cli:")


def test_the_command_refuses_a_missing_folder_and_a_bad_questionnaire(tmp_path: Path) -> None:
    missing = run_manyi("complaints", "purge", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no data folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_manyi("complaints", "purge", "--data", str(empty))
    assert nothing.returncode == 0
    assert not (empty / "complaints.sqlite3").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("complaints:\n  retention_years: 0\n", encoding="utf-8")
    refused = run_manyi("complaints", "purge", "--data", str(empty), "--questionnaire", str(bad))
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr


@pytest.mark.slow
def test_serves_timer_purges_what_is_due(
    ws: Workspace, questionnaire: Questionnaire, tmp_path: Path
) -> None:
    from manyi.workspace.timer import AggregatorTimer

    closed(ws, "retention-timer-0001", "2019-03-02", "concluded", "2019-03-20")
    fresh = closed(ws, "retention-timer-0002", "2026-11-02", "concluded", "2026-11-10")
    assert ws.submissions is not None
    timer = AggregatorTimer(
        tmp_path / "data", lambda: questionnaire, ws.submissions, ws.staff.audit,
        clock=ws.clock, complaints=store_of(ws),
    )  # fmt: skip
    assert timer.tick()["complaints_purged"] == 1
    purged = {c.number: bool(c.purged_at) for c in store_of(ws).recent(2026)}
    assert purged[fresh.number] is False
    assert store_of(ws).year(2019)[0].purged_at
    assert timer.tick()["complaints_purged"] == 0


def test_the_purge_never_loads_the_cipher() -> None:
    """It drops sealed fields unopened: the function's cold start loads no cipher code (and
    could not open a field if it tried: its role has no key)."""
    import subprocess
    import sys

    from tests.cli import ROOT

    code = (
        "import runpy, sys; runpy.run_path('lambda/complaints_purge/app.py');"
        "print('cryptography' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
