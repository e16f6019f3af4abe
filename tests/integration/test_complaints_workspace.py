"""Complaints in the workspace: handling with working-day deadlines, routing and assignment,
contact details only to the office and the assigned handler (audited), the status page after
each step, the stored-XSS corpus through every field, and no name or phone anywhere in clear."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.collector.handler import Handler
from manyi.complaints.deadlines import deadlines, urgency
from manyi.complaints.figures import month_figures
from manyi.complaints.model import Complaint, ComplaintSettings, Step
from manyi.model import Questionnaire
from manyi.workspace.context import Workspace
from tests.apigw import LambdaContext, collector_log
from tests.complaint_support import (
    NAME,
    PHONE,
    add_sample_complaint,
    collector_of,
    complaint_fields,
    complaint_json,
    lookup_form,
)
from tests.integration.test_workspace_security import PAYLOADS, assert_inert
from tests.workspace_support import Client, local_workspace, make_account

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=BEIJING)  # a Monday
SETTINGS = ComplaintSettings()


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path / "data", questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office")
        make_account(workspace, "viewer-1", "viewer")
        make_account(workspace, "clerk-a", "department", ["sifaju"])
        make_account(workspace, "clerk-b", "department", ["xinfangju"])
        yield workspace


@pytest.fixture
def collector(tmp_path: Path, questionnaire: Questionnaire, ws: Workspace) -> Handler:
    return collector_of(ws, tmp_path, questionnaire)


def signed_in(ws: Workspace, username: str = "office-1") -> Client:
    client = Client(ws, "10.1.1.1")
    assert client.log_in(username).status == 303
    client.get("/workspace/password")
    return client


def send(collector: Handler, **fields: str) -> dict[str, Any]:
    fields = {"happened_on": "2026-11-10", **fields}
    event = complaint_json({**complaint_fields(**fields), "complaint_id": f"id-{len(fields)}-" * 4})
    answer = collector(event, LambdaContext())
    assert answer["statusCode"] in (200, 201), answer["body"]
    result: dict[str, Any] = json.loads(answer["body"])
    return result


def act(client: Client, number: str, status: str, note: str = "") -> Any:
    client.get(f"/workspace/complaints/{number}")
    return client.post(f"/workspace/complaints/{number}/status", {"status": status, "note": note})


# -- deadlines on the Chinese calendar ----------------------------------------------------


def complaint_on(received_on: str, *steps: tuple[str, str]) -> Complaint:
    complaint = Complaint(
        number="2025-sifaju-0001",
        key_hash="k",
        code_hash="c",
        department="sifaju",
        category="delay",
        about="action",
        subject="",
        account="",
        happened_on=received_on,
        received_at=f"{received_on}T01:00:00Z",
        received_on=received_on,
    )
    for day, status in steps:
        complaint = complaint.moved(Step(f"{day}T01:00:00Z", day, status, "office-1", "x"))  # type: ignore[arg-type]
    return complaint


def test_accepting_across_national_day_2025_counts_the_make_up_saturday() -> None:
    # 2025: 1–8 October off; Saturday 11 October a make-up working day (国办发明电〔2024〕12号).
    found = deadlines(complaint_on("2025-09-30"), SETTINGS)
    assert found.accept_due == date(2025, 10, 14)  # 9, 10, 11 (Sat), 13, 14
    assert urgency(complaint_on("2025-09-30"), SETTINGS, date(2025, 10, 13)) == "near"
    assert urgency(complaint_on("2025-09-30"), SETTINGS, date(2025, 10, 15)) == "overdue"


def test_accepting_across_national_day_2026_counts_the_make_up_saturday() -> None:
    # 2026: 1–7 October off; Saturday 10 October a make-up working day; Friday 25 September
    # (Mid-Autumn) off, Sunday 20 September worked.
    assert deadlines(complaint_on("2026-09-29"), SETTINGS).accept_due == date(2026, 10, 12)
    # Received Friday 18 September: Sunday 20 (worked), 21, 22, 23, 24.
    assert deadlines(complaint_on("2026-09-18"), SETTINGS).accept_due == date(2026, 9, 24)


def test_concluding_and_one_extension_in_working_days() -> None:
    accepted = complaint_on("2026-09-01", ("2026-09-02", "accepted"))
    due = deadlines(accepted, SETTINGS).conclude_due
    # 30 working days from 2 September 2026 over Mid-Autumn and National Day: 20 September
    # and 10 October worked, 25 September and 1–7 October off.
    assert due == date(2026, 10, 20)
    extended = accepted.moved(Step("2026-10-09T01:00:00Z", "2026-10-09", "extended", "o", "x"))
    assert deadlines(extended, SETTINGS).conclude_due == date(2026, 11, 17)  # 50 in all


def test_a_deadline_in_a_year_the_calendar_lacks_is_refused_with_a_message(
    ws: Workspace,
) -> None:
    stored = add_sample_complaint(ws, received_on="2026-12-28", complaint_id="late-december-01")
    found = deadlines(stored, SETTINGS)
    assert found.accept_due is None
    assert "2027" in found.problem
    assert "chinese-calendar" in found.problem
    assert urgency(stored, SETTINGS, date(2026, 12, 29)) == "unknown"
    page = signed_in(ws).get(f"/workspace/complaints/{stored.number}")
    assert page.status == 200
    assert "2027" in page.text
    assert "chinese-calendar" in page.text


# -- handling ------------------------------------------------------------------------------


def test_accept_extend_conclude_shows_on_the_status_page(ws: Workspace, collector: Handler) -> None:
    receipt = send(collector, category="delay")  # a department's action: the office's
    number, code = receipt["number"], receipt["code"]
    office = signed_in(ws)
    assert act(office, number, "extended").status == 409  # not before acceptance
    assert act(office, number, "accepted").status == 303
    page = collector(lookup_form(number, code), LambdaContext())["body"]
    assert "已受理" in page
    assert act(office, number, "extended").status == 422  # a reason is required
    assert act(office, number, "extended", "需要调取现场录像").status == 303
    assert act(office, number, "extended", "again").status == 409  # only one extension
    reply = "经核查，已责令限期办理，并对相关人员批评教育。"
    assert act(office, number, "concluded", reply).status == 303
    page = collector(lookup_form(number, code), LambdaContext())["body"]
    for shown in ("已办结", "已延期办理", "需要调取现场录像", reply):
        assert shown in page
    for hidden in (NAME, PHONE, "辱骂我"):
        assert hidden not in page
    history = ws.staff.audit.history(f"complaint/{number}")
    assert [e.action for e in history] == ["complaint.status"] * 3
    # The reply itself stays with the complaint (and goes with the retention purge); the
    # audit log, kept for good, proves it by length and hash.
    assert history[-1].after == {
        "status": "concluded",
        "note_chars": len(reply),
        "note_sha256": hashlib.sha256(reply.encode()).hexdigest(),
    }


def test_the_contact_is_opened_only_on_its_post_and_every_view_is_audited(
    ws: Workspace, collector: Handler
) -> None:
    number = send(collector)["number"]
    office = signed_in(ws)
    page = office.get(f"/workspace/complaints/{number}")
    assert NAME not in page.text
    assert "查看联系方式" in page.text
    shown = office.post(f"/workspace/complaints/{number}/contact")
    assert shown.status == 200
    assert NAME in shown.text
    assert PHONE in shown.text
    office.post(f"/workspace/complaints/{number}/contact")
    views = list(ws.staff.audit.history(f"complaint/{number}"))
    assert [(e.action, e.actor) for e in views] == [("complaint.contact", "office-1")] * 2
    assert NAME not in json.dumps([e.to_dict() for e in views], ensure_ascii=False)


def test_a_conduct_complaint_goes_to_its_department_which_never_sees_the_contact(
    ws: Workspace, collector: Handler
) -> None:
    number = send(collector, category="bribe")["number"]
    office = signed_in(ws)
    office.get(f"/workspace/complaints/{number}")
    # Routing: clerk-b (another department) cannot be chosen; clerk-a (its own) can.
    assert (
        office.post(f"/workspace/complaints/{number}/assign", {"handler": "clerk-b"}).status == 422
    )
    assert (
        office.post(f"/workspace/complaints/{number}/assign", {"handler": "clerk-a"}).status == 303
    )
    clerk = signed_in(ws, "clerk-a")
    listing = clerk.get("/workspace/complaints/")
    assert number in listing.text
    page = clerk.get(f"/workspace/complaints/{number}")
    assert page.status == 200
    assert "收钱收礼" in page.text
    assert NAME not in page.text
    assert "查看联系方式" not in page.text
    refused = clerk.post(f"/workspace/complaints/{number}/contact")
    assert refused.status == 403
    assert NAME not in refused.text
    assert act(clerk, number, "accepted").status == 303  # the handler handles it
    other = signed_in(ws, "clerk-b")
    assert number not in other.get("/workspace/complaints/").text
    assert other.get(f"/workspace/complaints/{number}").status == 403
    viewer = signed_in(ws, "viewer-1")
    assert viewer.get(f"/workspace/complaints/{number}").status == 200
    assert viewer.post(f"/workspace/complaints/{number}/contact").status == 403


def test_an_action_complaint_cannot_be_given_to_a_department(
    ws: Workspace, collector: Handler
) -> None:
    number = send(collector, category="delay")["number"]
    office = signed_in(ws)
    office.get(f"/workspace/complaints/{number}")
    assert (
        office.post(f"/workspace/complaints/{number}/assign", {"handler": "clerk-a"}).status == 422
    )
    assert (
        office.post(f"/workspace/complaints/{number}/assign", {"handler": "office-1"}).status == 303
    )


def test_overdue_and_near_due_are_at_the_top(ws: Workspace) -> None:
    # Today is Monday 16 November 2026; accept within 5 working days of receipt.
    overdue = add_sample_complaint(ws, received_on="2026-11-02", complaint_id="overdue-000001")
    near = add_sample_complaint(ws, received_on="2026-11-11", complaint_id="near-000000001")
    fresh = add_sample_complaint(ws, received_on="2026-11-16", complaint_id="fresh-00000001")
    office = signed_in(ws)
    page = office.get("/workspace/complaints/").text
    urgent = page.split('id="urgent-title"')[1].split('id="open-title"')[0]
    assert urgent.index(overdue.number) < urgent.index(near.number)
    assert fresh.number not in urgent
    assert "已超期" in urgent
    assert "即将到期" in urgent
    # The top of the office's own page says so too; a handler's page counts only its own.
    assert "1 件已超期，1 件即将到期" in office.get("/workspace/office/").text
    ws.complaints.store.replace(replace(near, handler="clerk-a", version=2))  # type: ignore[union-attr]
    clerk = signed_in(ws, "clerk-a").get("/workspace/d/sifaju/").text
    assert "0 件已超期，1 件即将到期" in clerk


# -- figures and exports -------------------------------------------------------------------


def test_month_figures_count_by_category_department_status_and_on_time(ws: Workspace) -> None:
    a = add_sample_complaint(ws, received_on="2026-11-02", complaint_id="fig-a-00000001")
    b = add_sample_complaint(
        ws, received_on="2026-11-03", complaint_id="fig-b-00000001", category="delay"
    )
    add_sample_complaint(
        ws, received_on="2026-10-30", complaint_id="fig-c-00000001", department="xinfangju"
    )
    store = ws.complaints.store  # type: ignore[union-attr]
    accepted = a.moved(Step("2026-11-03T01:00:00Z", "2026-11-03", "accepted", "o"))
    store.replace(accepted)
    store.replace(accepted.moved(Step("2026-11-10T01:00:00Z", "2026-11-10", "concluded", "o", "r")))
    late = b.moved(Step("2026-11-13T01:00:00Z", "2026-11-13", "refused", "o", "r"))  # > 5 days
    store.replace(late)
    found = month_figures(store.year(2026), "2026-11", SETTINGS)
    assert found.received == 2
    assert found.by_category["abuse"] == 1
    assert found.by_category["delay"] == 1
    assert found.by_category["other"] == 0
    assert found.by_department == {"sifaju": 2}
    assert (found.by_status["concluded"], found.by_status["refused"]) == (1, 1)
    assert (found.closed, found.closed_on_time, found.on_time_rate) == (2, 1, 0.5)
    page = signed_in(ws).get("/workspace/complaint-figures/2026-11/")
    assert "50.0%" in page.text


# -- stored XSS ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_xss_corpus_through_every_complaint_field_executes_nothing(
    ws: Workspace, collector: Handler, payload: str
) -> None:
    number = send(
        collector,
        subject=payload[:100],
        account=payload,
        name=payload[:40],
        phone="13800000000",
    )["number"]
    office = signed_in(ws)
    office.get(f"/workspace/complaints/{number}")
    act(office, number, "refused", payload)
    office.get(f"/workspace/complaints/{number}")
    office.post(f"/workspace/complaints/{number}/assign", {"handler": payload[:40]})
    pages = [
        office.get("/workspace/complaints/"),
        office.get(f"/workspace/complaints/{number}"),
        office.post(f"/workspace/complaints/{number}/contact"),
        office.get("/workspace/complaint-figures/2026-11/"),
        office.get("/workspace/audit/"),
        office.get("/workspace/complaints/" + payload.replace("/", "")[:20]),
    ]
    for page in pages:
        assert page.status < 500
        assert_inert(page.text)
    shown = pages[1].text
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&#34;").replace("'", "&#39;") in shown
    csv = office.get("/workspace/complaint-figures/2026-11/export.csv").text
    assert payload not in csv  # typed text never goes into exports
    assert not any(cell.startswith("=") for line in csv.splitlines() for cell in line.split(","))


# -- no name or phone in clear anywhere ------------------------------------------------------


def test_no_name_or_phone_in_the_data_folder_logs_or_exports(
    tmp_path: Path, ws: Workspace, collector: Handler, questionnaire: Questionnaire
) -> None:
    with collector_log() as log:
        number = send(collector)["number"]
        refused = complaint_json(complaint_fields(phone="bad " + PHONE))
        assert collector(refused, LambdaContext())["statusCode"] == 422
    office = signed_in(ws)
    office.post(f"/workspace/complaints/{number}/contact")
    act(office, number, "accepted")
    exported = office.get("/workspace/complaint-figures/2026-11/export.csv").body
    figures = month_figures(ws.complaints.store.year(2026), "2026-11", SETTINGS)  # type: ignore[union-attr]
    audit = office.get("/workspace/audit/").text
    blobs = [p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert blobs
    written = [*blobs, log.getvalue().encode(), exported, repr(figures).encode(), audit.encode()]
    for secret in (NAME, PHONE):
        assert not any(secret.encode() in blob for blob in written), secret
    assert (tmp_path / "data" / "complaints.sqlite3").exists()
    assert exported.startswith("\ufeff受理编号".encode())


@contextmanager
def every_log() -> Iterator[io.StringIO]:
    """What the collector's and the workspace's Powertools loggers and the root logger (the
    timer, the purge) would write, as one text."""
    lines = io.StringIO()
    capture = logging.StreamHandler(lines)
    capture.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("manyi-collector", "manyi-workspace", "")]
    for logger in loggers:
        logger.addHandler(capture)
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        logging.getLogger().setLevel(root_level)
        for logger in loggers:
            logger.removeHandler(capture)


def test_a_complaints_whole_life_leaves_no_name_or_phone_in_clear_anywhere(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    """Taken, its contact opened, handled, the month closed with its reports written, every
    export downloaded, then purged: a grep of the data folder, every log line, every export
    and every report file finds neither the name nor the phone."""
    from manyi.complaints.retention import purge

    data = tmp_path / "data"
    with local_workspace(data, questionnaire, NOW) as ws, ExitStack() as logging_from_here:
        make_account(ws, "office-1", "office")
        collector = collector_of(ws, tmp_path, questionnaire)
        office = signed_in(ws)
        # Powertools sets its loggers up when a handler is made: capture from here on.
        log = logging_from_here.enter_context(every_log())
        number = send(collector)["number"]
        refused = complaint_json(complaint_fields(phone="bad " + PHONE))
        assert collector(refused, LambdaContext())["statusCode"] == 422
        opened = office.post(f"/workspace/complaints/{number}/contact")
        assert NAME in opened.text  # opened for the office, on this answer only
        act(office, number, "accepted")
        act(office, number, "concluded", f"已电话答复投诉人（{NAME[0]}先生）。")
        office.get("/workspace/office/")
        closed = office.post("/workspace/office/2026-11/close", {"reason": "验收：提前关账"})
        assert closed.status == 303
        downloads = [
            office.get("/workspace/complaint-figures/2026-11/export.csv").body,
            office.get("/workspace/audit/export.xlsx").body,
            office.get("/workspace/audit/").body,
            office.get("/workspace/office/2026-11/").body,
        ]
        assert ws.complaints is not None
        purge(ws.complaints.store, ws.staff.audit, questionnaire, ws.clock(), "system")
        files = [p for p in data.rglob("*") if p.is_file()]
        reports = [p for p in files if "report" in p.name or p.suffix in (".docx", ".xlsx")]
        assert reports, sorted(p.name for p in files)
        written = [p.read_bytes() for p in files] + downloads + [log.getvalue().encode()]
        assert "complaint refused" in log.getvalue()
    for secret in (NAME, PHONE):
        found = [i for i, blob in enumerate(written) if secret.encode() in blob]
        assert found == [], (secret, found)
