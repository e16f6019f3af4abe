"""The workspace in `manyi serve`: mounted at /workspace/ beside the collector, its URL printed,
the aggregator's timer counting in the background and closing on the close day."""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from manyi.aggregate import Counts
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.staff.sqlite import local_staff_stores
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.submission import StoredSubmission
from manyi.traits import Traits
from manyi.workspace.timer import AggregatorTimer
from tests.responses import OFFICE
from tests.serving import make_site, serving
from tests.workspace_support import PASSWORD, make_account

FORM = "application/x-www-form-urlencoded"


def log_in(port: int, username: str) -> str:
    """The session cookie of a login through the real server (every Set-Cookie header)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/workspace/login")
    page = conn.getresponse().read().decode()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    token = found.group(1)
    form = f"username={username}&password={PASSWORD}&csrf={token}"
    headers = {"Content-Type": FORM, "Cookie": f"manyi_login={token}"}
    conn.request("POST", "/workspace/login", form.encode(), headers)
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 303
    cookies = answer.headers.get_all("Set-Cookie") or []
    session = next(c for c in cookies if c.startswith("manyi_session="))
    conn.close()
    return session.split(";")[0].split("=", 1)[1]


@pytest.mark.slow
def test_manyi_serve_mounts_the_workspace_and_counts_in_the_background(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    data = tmp_path / "data"
    site = make_site(tmp_path / "site", questionnaire.to_dict())
    from tests.workspace_support import local_workspace

    with local_workspace(data, questionnaire, datetime.now(BEIJING)) as ws:
        make_account(ws, "office-1", "office")
    with serving(data, site, "--aggregate-every", "0.01") as served:
        log = (data / "serve.log").read_text(encoding="utf-8")
        assert re.search(r"workspace \(工作台\): http://127\.0\.0\.1:\d+/workspace/", log)
        status, headers, _ = served.request("GET", "/workspace/office/")
        assert status == 303
        assert headers["Location"].startswith("/workspace/login")
        session = log_in(served.port, "office-1")
        status, _, page = served.request(
            "GET", "/workspace/office/", None, {"Cookie": f"manyi_session={session}"}
        )
        assert status == 200
        assert "全市总览" in page.decode()
        # The collector still answers beside it.
        assert served.request("GET", "/api/health")[0] == 200
        # The timer ran: this month's files are written.
        month_files = data / "reports" / OFFICE.month(datetime.now(BEIJING)) / "results.json"
        deadline = time.monotonic() + 30
        while not month_files.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert json.loads(month_files.read_text(encoding="utf-8"))["status"] in ("open", "closed")


@pytest.mark.slow
def test_the_timer_counts_and_closes_on_the_close_day_but_not_a_reopened_month(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    submissions = SQLiteSubmissionStore(tmp_path / "submissions.sqlite3")
    staff = local_staff_stores(tmp_path)
    answers = {"respondent": "person"}
    submissions.put(
        StoredSubmission(
            "sub-000001", "sifaju", "2026-11", "2026-11-10T02:00:00.000000Z",
            questionnaire.version, "leaflet", answers,
        )
    )  # fmt: skip
    now = [datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING)]
    timer = AggregatorTimer(
        tmp_path, lambda: questionnaire, submissions, staff.audit, clock=lambda: now[0]
    )
    summary = timer.tick()
    assert summary["read"] == 1
    results = SqliteResultsStore.in_folder(tmp_path)
    assert results.month_close("2026-11") is None
    counted = Counts(
        responses=1, channels={"leaflet": 1}, versions={questionnaire.version: 1},
        answered={"respondent": 1}, options={"respondent": {"person": 1}},
    )  # fmt: skip
    # The whole, and the same one response as its only segment (channel/respondent type);
    # of the integrity traits only the day it arrived (no scale answers, no network, no time).
    assert results.state("sifaju", "2026-11").result.counts == replace(
        counted, segments={"leaflet/person": counted}, traits=Traits(days={"10": 1})
    )
    # On the close day the month closes itself, and says so in the audit log.
    now[0] = datetime(2026, 11, 27, 0, 10, tzinfo=BEIJING)
    assert timer.tick()["closed"] == ["2026-11"]
    assert results.month_close("2026-11") is not None
    [event] = staff.audit.history("month/2026-11")
    assert (event.actor, event.action) == ("system", "month.close")
    # Reopened by the office: it stays open at the next ticks.
    from manyi.workspace.months import MonthBooks, reopen_month

    books = MonthBooks(questionnaire, results, submissions, None, staff.audit)
    reopen_month(books, actor="office-1", month="2026-11", reason="补录", now=now[0])
    now[0] = datetime(2026, 11, 27, 0, 20, tzinfo=BEIJING)
    assert timer.tick()["closed"] == []
    assert results.month_close("2026-11") is None
    results.close()
    staff.close()
    submissions.close()
