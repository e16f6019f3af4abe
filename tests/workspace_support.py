"""A workspace over temporary local stores, and a client that talks to it like a browser:
cookies kept, forms posted with the page's CSRF token, no network."""

from __future__ import annotations

import base64
import gzip
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from manyi.aggregate import Counts, MonthlyResult
from manyi.collector.handler import Handler
from manyi.complaints.sources import ComplaintSources
from manyi.followup.service import SEAL_KIND, Followup
from manyi.model import Questionnaire
from manyi.results.outputs import OutputFolder
from manyi.sealing import KeyFileWrapper, Sealer
from manyi.store.cases.sqlite import SQLiteCaseStore
from manyi.store.complaints.sqlite import SQLiteComplaintStore
from manyi.store.entry.sqlite import SQLiteEntryStore
from manyi.store.results.base import DepartmentMonthState
from manyi.store.staff.sqlite import local_staff_stores
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.workspace.accounts import add_account
from manyi.workspace.context import Settings, Workspace
from manyi.workspace.handler import create_handler
from manyi.workspace.local import SqliteResultsAnyThread
from manyi.workspace.passwords import ScryptCost
from manyi.workspace.reports import LocalReportFiles
from tests.apigw import LambdaContext
from tests.complaint_support import sealer as complaint_sealer

# Cheap hashes: the tests log in hundreds of times; the cost is stored with each hash.
TEST_COST = ScryptCost(n=2**8, r=8, p=1)
PASSWORD = "a-long-enough-Passw0rd"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


class Clock:
    """A clock the test sets; each reading is a microsecond later, as on a real machine, so
    that events keep their order."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def local_workspace(
    data: Path,
    questionnaire: Questionnaire,
    now: datetime,
    *,
    publish: bool = True,
    **settings: Any,
) -> Iterator[Workspace]:
    """`publish`: closing a month writes its report files (slow: every department's sheet)."""
    staff = local_staff_stores(data)
    cases = SQLiteCaseStore.in_folder(data)
    # The sealing key lives outside the data folder, as `manyi key create` insists.
    sealer = Sealer(KeyFileWrapper(os.urandom(32)), SEAL_KIND)
    results = SqliteResultsAnyThread(data / "results.sqlite3")
    submissions = SQLiteSubmissionStore(data / "submissions.sqlite3")
    complaints = ComplaintSources(SQLiteComplaintStore.in_folder(data), complaint_sealer())
    ws = Workspace(
        questionnaire=lambda: questionnaire,
        staff=staff,
        results=results,
        submissions=submissions,
        outputs=OutputFolder(data) if publish else None,
        reports=LocalReportFiles(data),
        settings=Settings(password_cost=TEST_COST, **settings),
        clock=Clock(now),
        entry=SQLiteEntryStore.in_folder(data),
        intake=submissions,
        complaints=complaints,
        followup=Followup(cases, staff.audit, sealer),
    )
    try:
        yield ws
    finally:
        if ws.entry is not None:
            ws.entry.close()
        complaints.store.close()
        cases.close()
        staff.close()
        results.close()
        submissions.close()


def make_account(
    ws: Workspace,
    username: str,
    role: str,
    departments: Sequence[str] = (),
    *,
    changed: bool = True,
    password: str = PASSWORD,
) -> None:
    """An account with `password`; `changed`: its first-login change is already done."""
    from dataclasses import replace

    account, _ = add_account(
        ws.staff,
        actor="test",
        now=ws.clock(),
        username=username,
        role=role,
        departments=departments,
        known_departments=[d.id for d in ws.questionnaire().departments],
        password=password,
        cost=TEST_COST,
    )
    if changed:
        ws.staff.accounts.replace(replace(account, must_change_password=False, version=2))


def put_result(
    ws: Workspace, department: str, month: str, counts: Counts, served: int | None = None
) -> None:
    store = ws.results
    state = store.state(department, month)
    new = DepartmentMonthState(
        MonthlyResult(department, month, counts), state.version + 1, "R#2026-11-20T00:00:00.000000Z"
    )
    store.put_state(new, state.version)
    if served is not None:
        store.set_served({(month, department): served})


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Client:
    """One browser: its cookies, its address, the CSRF token of the last page it read."""

    def __init__(
        self, ws: Workspace | Handler, address: str = "10.20.30.40", https: bool = False
    ) -> None:
        self.handler = create_handler(ws) if isinstance(ws, Workspace) else ws
        self.address = address
        self.https = https
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(
        self,
        method: str,
        target: str,
        form: Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        parts = urlsplit(target)
        sent = {"host": "manyi.example", **{k.lower(): v for k, v in (headers or {}).items()}}
        if self.https:
            sent["x-forwarded-proto"] = "https"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": parts.path,
            "rawQueryString": parts.query,
            "headers": sent,
            "requestContext": {
                "http": {"method": method, "path": parts.path, "sourceIp": self.address},
                "requestId": "test",
                "stage": "$default",
                "timeEpoch": int(datetime.now(UTC).timestamp() * 1000),
            },
            "isBase64Encoded": False,
        }
        if self.cookies:
            event["cookies"] = [f"{k}={v}" for k, v in self.cookies.items()]
        if body is not None:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
        elif form is not None:
            pairs = form.items() if isinstance(form, Mapping) else form
            encoded = urlencode(list(pairs), doseq=True).encode("utf-8")
            sent.setdefault("content-type", "application/x-www-form-urlencoded")
            event["body"] = base64.b64encode(encoded).decode("ascii")
            event["isBase64Encoded"] = True
        result = self.handler(event, LambdaContext())
        answered = str(result.get("body") or "")
        raw = (
            base64.b64decode(answered)
            if result.get("isBase64Encoded")
            else answered.encode("utf-8")
        )
        answer_headers = dict(result.get("headers") or {})
        if answer_headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        answer = Answer(int(result["statusCode"]), answer_headers, raw, result.get("cookies", []))
        self._keep(answer)
        return answer

    def _keep(self, answer: Answer) -> None:
        for set_cookie in answer.set_cookies:
            name, _, rest = set_cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in set_cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if answer.headers.get("Content-Type", "").startswith("text/html"):
            found = CSRF_FIELD.findall(answer.text)
            if found:
                self.csrf = unescape(found[-1])

    def get(self, target: str) -> Answer:
        return self.request("GET", target)

    def post(
        self, target: str, form: Mapping[str, Any] | None = None, *, csrf: bool = True
    ) -> Answer:
        fields: dict[str, Any] = dict(form or {})
        if csrf:
            fields.setdefault("csrf", self.csrf)
        return self.request("POST", target, fields)

    def upload(self, target: str, fields: Mapping[str, str], filename: str, data: bytes) -> Answer:
        """A multipart form with one file, as a browser sends a file input."""
        boundary = "----manyi-test-boundary-7f3a"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in {"csrf": self.csrf, **fields}.items()
        ]
        head = (
            "".join(parts).encode("utf-8")
            + (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
        )
        body = head + data + f"\r\n--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", target, None, {"content-type": content_type}, body)

    def log_in(self, username: str, password: str = PASSWORD) -> Answer:
        self.get("/workspace/login")
        return self.post("/workspace/login", {"username": username, "password": password})
