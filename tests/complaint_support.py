"""Complaints for the tests: a collector over a temporary complaints file sealed with a fresh
key, and the events that post a complaint or look one up."""

from __future__ import annotations

import base64
import copy
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from manyi.collector.handler import Handler, create_handler
from manyi.collector.ratelimit import RateLimit
from manyi.complaints.model import SEALED_KIND, Complaint, code_hash, key_hash, receipt_code
from manyi.complaints.sources import ComplaintSources
from manyi.model import Questionnaire
from manyi.sealing import KeyFileWrapper, Sealer
from manyi.store.complaints.base import ComplaintStore
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.versions import Catalogue, publish
from manyi.workspace.context import Workspace
from tests.apigw import fixture

NAME = "王小明"
PHONE = "13912345678"


def sealer() -> Sealer:
    return Sealer(KeyFileWrapper(os.urandom(32)), SEALED_KIND)


def sources(store: ComplaintStore, with_key: bool = True) -> ComplaintSources:
    return ComplaintSources(store, sealer() if with_key else None)


def complaint_fields(**changes: str) -> dict[str, str]:
    fields = {
        "department": "sifaju",
        "category": "abuse",
        "subject": "三号窗口",
        "account": "办理营业执照时，工作人员辱骂我，还让我改天再来。",
        "happened_on": "2026-11-20",
        "name": NAME,
        "phone": PHONE,
        "website": "",
    }
    fields.update(changes)
    return fields


def _event(path: str, body: bytes, content_type: str, cookies: list[str] | None) -> dict[str, Any]:
    event = copy.deepcopy(fixture("post_submission_form"))
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["headers"]["content-type"] = content_type
    event["body"] = base64.b64encode(body).decode("ascii")
    event["isBase64Encoded"] = True
    if cookies:
        event["cookies"] = cookies
    return event


def complaint_json(fields: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    return _event("/api/complaints", body, "application/json", None)


def complaint_form(fields: dict[str, str], cookies: list[str] | None = None) -> dict[str, Any]:
    body = urlencode(fields).encode("utf-8")
    return _event("/api/complaints", body, "application/x-www-form-urlencoded", cookies)


def lookup_form(number: str, code: str) -> dict[str, Any]:
    body = urlencode({"number": number, "code": code}).encode("utf-8")
    return _event("/api/complaints/status", body, "application/x-www-form-urlencoded", None)


def lookup_json(number: str, code: str) -> dict[str, Any]:
    body = json.dumps({"number": number, "code": code}).encode("utf-8")
    return _event("/api/complaints/status", body, "application/json", None)


def add_sample_complaint(
    ws: Workspace,
    *,
    handler: str = "",
    complaint_id: str = "sample-complaint-0001",
    received_on: str = "2026-11-10",
    **fields: str,
) -> Complaint:
    """A complaint stored as the collector stores it (sealed contact), with `fields` changed."""
    assert ws.complaints is not None
    assert ws.complaints.sealer is not None
    given = complaint_fields(**fields)
    hashed = key_hash(complaint_id)
    contact = {k: given[k] for k in ("name", "phone") if given[k]}
    complaint = Complaint(
        number="",
        key_hash=hashed,
        code_hash=code_hash(hashed, receipt_code(complaint_id)),
        department=given["department"],
        category=given["category"],
        about=ws.questionnaire().complaints.about(given["category"]),
        subject=given["subject"],
        account=given["account"],
        happened_on=given["happened_on"],
        received_at=f"{received_on}T02:00:00.000000Z",
        received_on=received_on,
        contact=ws.complaints.sealer.seal(hashed, contact) if contact else None,
        handler=handler,
    )
    stored, _ = ws.complaints.store.add(complaint)
    return stored


def collector_of(ws: Workspace, folder: Path, questionnaire: Questionnaire) -> Handler:
    """A collector beside the workspace: its questionnaire published in `folder`, the
    workspace's data folder and complaints, the workspace's clock."""
    publish(folder / "questionnaires", questionnaire, ws.clock().date())
    return create_handler(
        SQLiteSubmissionStore(folder / "data" / "submissions.sqlite3"),
        Catalogue.open(folder / "questionnaires"),
        rate_limit=RateLimit(),
        clock=lambda: ws.clock(),
        complaints=ws.complaints,
    )
