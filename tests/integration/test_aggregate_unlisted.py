"""A department removed from questionnaire.yaml keeps its data: counted, verified, shown by ID."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from manyi.cli import main
from manyi.model import Questionnaire
from manyi.results.service import Request, run_aggregator
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from tests.conftest import ROOT
from tests.responses import OFFICE, stored
from tests.results_aws import FakeAws, put_responses

MONTH = "2026-11"
START = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
ANSWERS: dict[str, str | tuple[str, ...]] = {"respondent": "person", "q9": "satisfied"}


def _without_gonganju(tmp_path: Path) -> Path:
    text = (ROOT / "questionnaire.yaml").read_text(encoding="utf-8")
    line = "  - {id: gonganju, name: 平顶山市公安局, kind: city_department}\n"
    assert line in text
    path = tmp_path / "questionnaire.yaml"
    path.write_text(text.replace(line, ""), encoding="utf-8")
    return path


def _put(data: Path, department: str, n: int, start: datetime = START) -> None:
    store = SQLiteSubmissionStore(data / "submissions.sqlite3")
    try:
        for i in range(n):
            moment = start + timedelta(minutes=i)
            store.put(stored(f"{department}-{moment:%m%d%H%M}-{i}", moment, ANSWERS,
                             department=department))  # fmt: skip
    finally:
        store.close()


def test_a_removed_department_is_counted_shown_by_id_and_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    _put(data, "sifaju", 3)
    _put(data, "gonganju", 4)  # collected while the file still listed it
    options = ["--month", MONTH, "--data", str(data), "--questionnaire",
               str(_without_gonganju(tmp_path))]  # fmt: skip
    assert main(["aggregate", "--lag", "0", *options]) == 0
    out = capsys.readouterr()
    assert "read 7 new response(s)" in out.out
    assert "gonganju 已不在 questionnaire.yaml 中" in out.err
    assert main(["results", "--format", "json", *options]) == 0
    document = json.loads(capsys.readouterr().out)
    by_id = {d["department"]: d for d in document["departments"]}
    assert by_id["gonganju"]["responses"] == 4
    assert by_id["gonganju"]["listed"] is False
    assert by_id["gonganju"]["department_name"] == "gonganju"
    assert document["unlisted_departments"] == ["gonganju"]
    assert document["city"]["responses"] == 7
    report = (data / "reports" / MONTH / "report.html").read_text(encoding="utf-8")
    assert "gonganju（已不在问卷中）" in report
    assert main(["results", *options]) == 0
    assert "gonganju 已不在 questionnaire.yaml 中" in capsys.readouterr().out
    # Verify checks it too: a response it missed is a disagreement, not silence.
    _put(data, "gonganju", 1, START - timedelta(days=1))
    assert main(["aggregate", "--verify", *options]) == 1
    assert "gonganju 2026-11: stored 4 + 0 late, recounted 5" in capsys.readouterr().err


@pytest.mark.slow
def test_in_aws_a_department_counted_once_stays_counted_after_its_removal(
    fake_aws: FakeAws,
    questionnaire: Questionnaire,
) -> None:
    now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    put_responses(fake_aws, questionnaire, now - timedelta(hours=3), 2, "sifaju")
    run_aggregator(questionnaire, fake_aws.backend(), Request("aggregate"), now)
    removed = replace(
        questionnaire, departments=tuple(d for d in questionnaire.departments if d.id != "gonganju")
    )
    # Its first responses of a new month come after the removal (from a page still open).
    december = now + timedelta(days=15)
    put_responses(fake_aws, questionnaire, december - timedelta(hours=2), 3, "gonganju")
    summary = run_aggregator(removed, fake_aws.backend(), Request("aggregate"), december)
    assert summary.unlisted == ["gonganju"]
    state = fake_aws.backend().results.state("gonganju", OFFICE.month(december))
    assert state.result.counts.responses == 3
    verify = run_aggregator(removed, fake_aws.backend(), Request("verify"), december)
    assert verify.disagreements == []
    assert verify.checked == 2 * (len(removed.departments) + 1)
