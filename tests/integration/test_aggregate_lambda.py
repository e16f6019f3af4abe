"""The scheduled aggregator against fake AWS (moto): DynamoDB tables from the template, S3."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire
from manyi.results.schedule import BadEvent, handle, parse_event
from manyi.results.service import RefusedRequest
from tests.aws import REGION
from tests.conftest import ROOT
from tests.results_aws import BUCKET, FakeAws, put_responses

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow

EVENTS = Path(__file__).parents[1] / "events"
# 12:00 on 20 November in Beijing: November is open, October has ended.
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
# 00:00 on 27 November in Beijing, when the close schedule fires.
CLOSE = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def test_hourly_runs_count_exactly_and_publish_the_month(
    fake_aws: FakeAws, questionnaire: Questionnaire
) -> None:
    put_responses(fake_aws, questionnaire, NOW - timedelta(hours=3), 7, "sifaju")
    put_responses(fake_aws, questionnaire, NOW - timedelta(hours=2), 4, "yexian")
    # Received inside the safety lag: left for the next run.
    put_responses(fake_aws, questionnaire, NOW - timedelta(seconds=30), 1, "jiaxian")
    summary = handle(event("aggregator_hourly.json"), questionnaire, fake_aws.backend(), NOW)
    assert summary["months"] == ["2026-10", "2026-11"]
    assert summary["read"] == 11
    assert "reports/2026-11/report.html" in fake_aws.object_keys()
    results = json.loads(fake_aws.object("reports/2026-11/results.json"))
    by_id = {d["department"]: d for d in results["departments"]}
    assert by_id["sifaju"]["responses"] == 7
    assert by_id["yexian"]["responses"] == 4
    assert by_id["jiaxian"]["responses"] == 0
    again = handle(event("scheduled_event.json"), questionnaire, fake_aws.backend(), NOW)
    assert again["read"] == again["written"] == 0
    later = handle(event("aggregator_hourly.json"), questionnaire, fake_aws.backend(),
                   NOW + timedelta(hours=1))  # fmt: skip
    assert later["read"] == 1
    verify = handle(event("aggregator_verify.json"), questionnaire, fake_aws.backend(), NOW)
    assert verify == {"action": "verify", "months": ["2026-11"], "agree": True, "disagreements": []}
    head = fake_aws.s3.head_object(Bucket=BUCKET, Key="reports/2026-11/results.xlsx")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"].startswith("application/vnd.openxmlformats")


def test_the_close_freezes_the_report_and_late_arrivals_go_apart(
    fake_aws: FakeAws, questionnaire: Questionnaire
) -> None:
    put_responses(fake_aws, questionnaire, CLOSE - timedelta(days=2), 5, "sifaju")
    early = handle(event("aggregator_close.json"), questionnaire, fake_aws.backend(),
                   CLOSE - timedelta(days=1))  # fmt: skip
    # The 26th in Beijing: too early to close November (October, never closed, is closed now).
    assert early["closed"] == ["2026-10"]
    summary = handle(event("aggregator_close.json"), questionnaire, fake_aws.backend(),
                     CLOSE + timedelta(minutes=5))  # fmt: skip
    assert summary["closed"] == ["2026-11"]
    frozen = fake_aws.object("reports/2026-11/report.html")
    frozen_json = json.loads(fake_aws.object("reports/2026-11/results.json"))
    assert frozen_json["status"] == "closed"
    put_responses(fake_aws, questionnaire, CLOSE + timedelta(hours=2), 3, "sifaju")
    handle(event("aggregator_hourly.json"), questionnaire, fake_aws.backend(),
           CLOSE + timedelta(hours=5))  # fmt: skip
    assert fake_aws.object("reports/2026-11/report.html") == frozen
    assert json.loads(fake_aws.object("reports/2026-11/results.json")) == frozen_json
    late = json.loads(fake_aws.object("reports/2026-11/late.json"))
    assert late["late_responses"] == 3
    assert late["departments"][0]["department"] == "sifaju"
    verify = handle({"action": "verify", "months": ["2026-11"]}, questionnaire,
                    fake_aws.backend(), CLOSE + timedelta(hours=5))  # fmt: skip
    assert verify["agree"] is True


def test_a_close_event_naming_a_month_before_its_close_day_is_refused(
    fake_aws: FakeAws, questionnaire: Questionnaire
) -> None:
    with pytest.raises(RefusedRequest, match="关账日"):
        handle({"action": "close", "months": ["2026-11"]}, questionnaire, fake_aws.backend(), NOW)
    assert fake_aws.backend().results.month_close("2026-11") is None
    summary = handle({"action": "close", "months": ["2026-11"]}, questionnaire,
                     fake_aws.backend(), CLOSE)  # fmt: skip
    assert summary["closed"] == ["2026-11"]
    [event] = fake_aws.backend().results.close_events("2026-11")
    assert (event.action, event.by, event.early) == ("close", "定时任务", False)


def test_a_closed_month_left_open_is_closed_by_the_next_close(
    fake_aws: FakeAws, questionnaire: Questionnaire
) -> None:
    put_responses(fake_aws, questionnaire, datetime(2026, 10, 10, tzinfo=UTC), 2, "sifaju")
    summary = handle(event("aggregator_close.json"), questionnaire, fake_aws.backend(), NOW)
    assert summary["closed"] == ["2026-10"]


@pytest.mark.parametrize(
    "bad",
    [
        {"action": "delete"},
        {"action": "aggregate", "months": "2026-11"},
        {"action": "aggregate", "months": ["2026-13"]},
        {"action": "aggregate", "months": []},
    ],
)
def test_bad_events_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(BadEvent):
        parse_event(bad)


@dataclass
class LambdaContext:
    function_name: str = "manyi-aggregator"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:agg"
    aws_request_id: str = "0f1e2d3c"


def test_the_lambda_entry_point_runs_the_hourly_schedule(
    fake_aws: FakeAws,
    questionnaire: Questionnaire,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "questionnaire"
    folder.mkdir()
    (folder / f"{questionnaire.version}.json").write_text(
        json.dumps(questionnaire.to_dict(), ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setenv("MANYI_QUESTIONNAIRES", str(folder))
    monkeypatch.setenv("SUBMISSIONS_TABLE", fake_aws.names.submissions_table or "")
    monkeypatch.setenv("RESULTS_TABLE", fake_aws.names.results_table)
    monkeypatch.setenv("REPORTS_BUCKET", BUCKET)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "aggregator")
    now = datetime.now(UTC)
    put_responses(fake_aws, questionnaire, now - timedelta(hours=1), 2, "sifaju")
    spec = importlib.util.spec_from_file_location(
        "aggregator_app", ROOT / "lambda" / "aggregator" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    summary = app.lambda_handler(event("aggregator_hourly.json"), LambdaContext())
    assert summary["action"] == "aggregate"
    assert summary["read"] >= 2  # the hour before may fall in the month before
    assert any(k.endswith("/results.json") for k in fake_aws.object_keys())
