"""The standing handler of each department's conduct complaints: set by the office in the
workspace (checked, all or nothing, audited), used by the collector when a complaint arrives,
with the office still seeing and reassigning every complaint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.collector.handler import Handler
from manyi.complaints.model import ConductHandlers
from manyi.model import Questionnaire
from manyi.workspace.context import Workspace
from tests.apigw import LambdaContext
from tests.complaint_support import collector_of, complaint_fields, complaint_json
from tests.integration.test_complaints_workspace import signed_in
from tests.workspace_support import local_workspace, make_account

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=BEIJING)
PAGE = "/workspace/complaint-handlers/"


@pytest.fixture
def ws(tmp_path: Path, questionnaire: Questionnaire) -> Iterator[Workspace]:
    with local_workspace(tmp_path / "data", questionnaire, NOW, publish=False) as workspace:
        make_account(workspace, "office-1", "office")
        make_account(workspace, "viewer-1", "viewer")
        make_account(workspace, "clerk-a", "department", ["sifaju"])
        make_account(workspace, "jijian-a", "department", ["sifaju"])
        make_account(workspace, "clerk-b", "department", ["xinfangju"])
        yield workspace


@pytest.fixture
def collector(tmp_path: Path, questionnaire: Questionnaire, ws: Workspace) -> Handler:
    return collector_of(ws, tmp_path, questionnaire)


def send(collector: Handler, complaint_id: str, **fields: str) -> str:
    """A complaint through the collector's JSON route; its number."""
    sent = {**complaint_fields(happened_on="2026-11-10", **fields), "complaint_id": complaint_id}
    answer = collector(complaint_json(sent), LambdaContext())
    assert answer["statusCode"] == 201, answer["body"]
    number: str = json.loads(answer["body"])["number"]
    return number


def handlers(ws: Workspace) -> ConductHandlers:
    assert ws.complaints is not None
    return ws.complaints.store.handlers()


def test_the_office_names_a_handler_and_conduct_complaints_go_to_it_on_arrival(
    ws: Workspace, collector: Handler
) -> None:
    office = signed_in(ws)
    page = office.get(PAGE)
    assert page.status == 200
    assert 'name="handler-sifaju"' in page.text
    # Only the department's own active accounts and the office's are offered.
    sifaju = page.text.split('name="handler-sifaju"')[1].split("</select>")[0]
    assert "jijian-a" in sifaju
    assert "office-1" in sifaju
    assert "clerk-b" not in sifaju
    saved = office.post(PAGE, {"version": "0", "handler-sifaju": "jijian-a"})
    assert saved.status == 303
    assert handlers(ws) == ConductHandlers({"sifaju": "jijian-a"}, 1)
    (event,) = ws.staff.audit.history("complaint-handlers")
    assert (event.action, event.actor) == ("complaint.handlers", "office-1")
    assert (event.before, event.after) == ({"sifaju": ""}, {"sifaju": "jijian-a"})

    conduct = send(collector, "handlers-conduct-0001", category="abuse")
    action = send(collector, "handlers-action-00001", category="delay")
    elsewhere = send(collector, "handlers-elsewhere-01", category="bribe", department="xinfangju")
    assert len({conduct, action, elsewhere}) == 3
    assert ws.complaints is not None
    stored = {n: ws.complaints.store.get(n) for n in (conduct, action, elsewhere)}
    assert {n: c.handler for n, c in stored.items() if c} == {
        conduct: "jijian-a",  # the standing handler of 司法局's conduct complaints
        action: "",  # a department's action: the office's (法制机构)
        elsewhere: "",  # no standing handler named: the office assigns it
    }
    handler = signed_in(ws, "jijian-a")
    listing = handler.get("/workspace/complaints/").text
    assert conduct in listing
    assert action not in listing
    assert handler.get(f"/workspace/complaints/{conduct}").status == 200
    # Its own department's account: handles it blind, never the complainant's contact.
    assert handler.post(f"/workspace/complaints/{conduct}/contact").status == 403
    assert signed_in(ws, "clerk-a").get(f"/workspace/complaints/{conduct}").status == 403
    # The office still sees all, and may reassign.
    every = office.get("/workspace/complaints/").text
    assert all(n in every for n in (conduct, action, elsewhere))
    office.get(f"/workspace/complaints/{conduct}")
    moved = office.post(f"/workspace/complaints/{conduct}/assign", {"handler": "clerk-a"})
    assert moved.status == 303


def test_a_handler_who_cannot_handle_is_refused_and_nothing_is_saved(ws: Workspace) -> None:
    office = signed_in(ws)
    office.get(PAGE)
    refused = office.post(
        PAGE,
        {
            "version": "0",
            "handler-sifaju": "jijian-a",
            "handler-xinfangju": "clerk-a",  # another department's account
            "handler-gonganju": "nobody",
        },
    )
    assert refused.status == 422
    assert "2 个部门的办理人不能保存" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "clerk-a 不能办理" in refused.text
    assert handlers(ws) == ConductHandlers()
    assert ws.staff.audit.history("complaint-handlers") == []


def test_a_stale_form_is_refused_and_the_latest_shown(ws: Workspace) -> None:
    first, second = signed_in(ws), signed_in(ws)
    first.get(PAGE)
    second.get(PAGE)
    assert first.post(PAGE, {"version": "0", "handler-sifaju": "jijian-a"}).status == 303
    stale = second.post(PAGE, {"version": "0", "handler-sifaju": "clerk-a"})
    assert stale.status == 409
    assert "刚被别人修改过" in stale.text
    assert handlers(ws).of("sifaju") == "jijian-a"
    # Clearing it: back to the office assigning each.
    first.get(PAGE)
    assert first.post(PAGE, {"version": "1", "handler-sifaju": ""}).status == 303
    assert handlers(ws) == ConductHandlers({}, 2)
    # Saving without a change writes nothing.
    first.get(PAGE)
    assert first.post(PAGE, {"version": "2"}).status == 303
    assert handlers(ws).version == 2
    assert len(ws.staff.audit.history("complaint-handlers")) == 2


def test_a_disabled_handler_is_flagged_for_the_office(ws: Workspace, collector: Handler) -> None:
    office = signed_in(ws)
    office.get(PAGE)
    office.post(PAGE, {"version": "0", "handler-sifaju": "jijian-a"})
    number = send(collector, "handlers-disabled-001", category="abuse")
    account = ws.staff.accounts.get("jijian-a")
    assert account is not None
    ws.staff.accounts.replace(replace(account, disabled=True, version=account.version + 1))
    assert "账号已停用，请改派" in office.get("/workspace/complaints/").text
    assert "账号已停用，请改派" in office.get(f"/workspace/complaints/{number}").text
    page = office.get(PAGE).text
    assert "jijian-a 已停用或不再属于本部门" in page
    # Saved again as it stands, the stale name is refused: the office must choose anew.
    assert office.post(PAGE, {"version": "1", "handler-sifaju": "jijian-a"}).status == 422


def test_the_viewer_reads_the_settings_and_cannot_change_them(ws: Workspace) -> None:
    viewer = signed_in(ws, "viewer-1")
    page = viewer.get(PAGE)
    assert page.status == 200
    assert "<select" not in page.text
    assert viewer.post(PAGE, {"version": "0", "handler-sifaju": "jijian-a"}).status == 403
    assert signed_in(ws, "clerk-a").get(PAGE).status == 403
    assert handlers(ws) == ConductHandlers()
