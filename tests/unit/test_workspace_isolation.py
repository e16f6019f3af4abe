"""Nothing of department B reaches department A: every page and download A's account can open
is the same, byte for byte, whatever B has (responses, served count, notes), and never names B.
A property test: hypothesis draws B's month; A's is fixed."""

from __future__ import annotations

import random
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.aggregate import Tally
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.model import Questionnaire
from manyi.submission import StoredSubmission
from manyi.workspace.context import Workspace
from manyi.workspace.pages.department import EXPORTS
from tests.results_data import random_answers
from tests.workspace_support import Client, local_workspace, make_account, put_result

NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
A, B = "sifaju", "xinfangju"
MONTHS = ("2026-11", "2026-10")
CSRF = re.compile(r'name="csrf" value="[^"]*"')
CHANNELS = ("leaflet", "wechat", "phone", "meeting", "visit")


def counts(questionnaire: Questionnaire, department: str, n: int, seed: int) -> Any:
    rnd = random.Random(seed)
    tally = Tally()
    for i in range(n):
        answers = random_answers(questionnaire, rnd)
        tally.add(
            StoredSubmission(
                f"s{i:05d}", department, MONTHS[0], "2026-11-02T00:00:00.000000Z",
                questionnaire.version, rnd.choice(CHANNELS), answers,
            )
        )  # fmt: skip
    return tally.counts()


@contextmanager
def workspace_with(
    questionnaire: Questionnaire, b_month: dict[str, Any] | None
) -> Iterator[Workspace]:
    with (
        tempfile.TemporaryDirectory() as folder,
        local_workspace(Path(folder), questionnaire, NOW, publish=False) as ws,
    ):
        make_account(ws, "clerk-a", "department", [A])
        make_account(ws, "clerk-b", "department", [B])
        for month, n, served in ((MONTHS[0], 23, 40), (MONTHS[1], 31, 35)):
            put_result(ws, A, month, counts(questionnaire, A, n, seed=n), served)
        if b_month is not None:
            for month in MONTHS:
                put_result(ws, B, month, counts(questionnaire, B, b_month["n"], b_month["seed"]))
            clerk_b = Client(ws, "10.2.0.1")
            clerk_b.log_in("clerk-b")
            clerk_b.get(f"/workspace/d/{B}/")
            form = {"month": MONTHS[0], "count": str(b_month["served"]), "note": b_month["note"]}
            assert clerk_b.post(f"/workspace/d/{B}/served", form).status == 303
        yield ws


def everything_a_sees(ws: Workspace) -> dict[str, Any]:
    clerk = Client(ws, "10.1.0.1")
    clerk.log_in("clerk-a")
    seen: dict[str, Any] = {}
    paths = ["/workspace/", "/workspace/password", f"/workspace/d/{A}/"]
    paths += [f"/workspace/d/{A}/?month={m}" for m in MONTHS]
    paths += [f"/workspace/d/{A}/{m}/{name}" for m in MONTHS for name in EXPORTS]
    for path in paths:
        answer = clerk.get(path)
        assert answer.status in (200, 303), (path, answer.status)
        seen[path] = (answer.status, answer.location, readable(answer.headers, answer.body))
    return seen


def readable(headers: Any, body: bytes) -> Any:
    """A page without its CSRF token; a workbook as its cells, a Word file as its texts (the zips
    have timestamps)."""
    content_type = headers.get("Content-Type", "")
    if content_type.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
        from openpyxl import load_workbook

        book = load_workbook(BytesIO(body))
        return [[[c.value for c in row] for row in sheet.iter_rows()] for sheet in book]
    if content_type.startswith("application/vnd.openxmlformats-officedocument.wordprocessing"):
        from docx import Document

        document = Document(BytesIO(body))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return [p.text for p in document.paragraphs] + cells
    return CSRF.sub("", body.decode("utf-8"))


@pytest.mark.slow
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(min_value=0, max_value=25),
    seed=st.integers(min_value=0, max_value=1000),
    served=st.integers(min_value=0, max_value=100_000),
    note=st.text(max_size=30),
)
def test_nothing_of_department_b_reaches_department_a(
    questionnaire: Questionnaire, n: int, seed: int, served: int, note: str
) -> None:
    b_month = {"n": n, "seed": seed, "served": served, "note": note}
    with workspace_with(questionnaire, None) as alone:
        without_b = everything_a_sees(alone)
    with workspace_with(questionnaire, b_month) as shared:
        with_b = everything_a_sees(shared)
    assert with_b == without_b
    b = questionnaire.department(B)
    assert b is not None
    text = repr(with_b)
    assert B not in text
    assert b.name not in text
