"""The pressure question: `POST /api/pressure` counts one answer per department-month in a store
of its own, answers bad input with a clear 4xx, and its counts appear in the month's results."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto import mock_aws

from manyi.collector.handler import Handler, create_handler
from manyi.model import Questionnaire
from manyi.reports.json_export import month_json
from manyi.reports.view import month_view
from manyi.store.pressure.base import PressureStore
from manyi.store.pressure.dynamodb import DynamoDBPressureStore
from manyi.store.pressure.sqlite import SQLitePressureStore
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import LambdaContext, fixture
from tests.aws import REGION
from tests.cfn import create_tables

NOW = datetime(2026, 11, 27, 7, 33, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PressureStore]:
    if request.param == "sqlite":
        local = SQLitePressureStore.in_folder(tmp_path)
        yield local
        local.close()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        yield DynamoDBPressureStore(create_tables(client)["PressureTable"], client)


def test_counts_add_up_per_department_month_and_answer(store: PressureStore) -> None:
    for answer in ("yes", "no", "no", "declined"):
        store.add("2026-11", "sifaju", answer)
    store.add("2026-11", "gonganju", "no")
    store.add("2026-12", "sifaju", "yes")
    assert store.month_counts("2026-11") == {
        "sifaju": {"yes": 1, "no": 2, "declined": 1},
        "gonganju": {"no": 1},
    }
    assert store.month_counts("2026-10") == {}


@pytest.fixture
def handler(tmp_path: Path, questionnaire: Questionnaire) -> tuple[Handler, SQLitePressureStore]:
    publish(tmp_path / "questionnaires", questionnaire, NOW.date())
    pressure = SQLitePressureStore.in_folder(tmp_path)
    catalogue = Catalogue.open(tmp_path / "questionnaires")
    made = create_handler(MemorySubmissionStore(), catalogue, clock=lambda: NOW, pressure=pressure)
    return made, pressure


def post(handler: Handler, body: bytes, content_type: str) -> dict[str, Any]:
    event = fixture("post_submission_json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/api/pressure"
    event["headers"]["content-type"] = content_type
    event["body"] = base64.b64encode(body).decode("ascii")
    event["isBase64Encoded"] = True
    return handler(event, LambdaContext())


def test_json_and_plain_form_answers_are_counted(
    handler: tuple[Handler, SQLitePressureStore],
) -> None:
    app, pressure = handler
    answer = json.dumps({"department": "sifaju", "answer": "yes"}).encode()
    response = post(app, answer, "application/json")
    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == {"recorded": True}
    form = urlencode({"department": "sifaju", "answer": "no"}).encode()
    page = post(app, form, "application/x-www-form-urlencoded")
    assert page["statusCode"] == 200
    assert "已收到，谢谢您。" in page["body"]
    assert pressure.month_counts("2026-11") == {"sifaju": {"yes": 1, "no": 1}}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"department": "sifaju", "answer": "maybe"}, 422, "invalid_answers"),
        ({"department": "sifaju"}, 422, "invalid_answers"),
        ({"department": "nowhere", "answer": "yes"}, 404, "unknown_department"),
        ({"department": "sifaju", "answer": "yes", "submission_id": "x" * 12}, 400, "malformed"),
        (["not", "an", "object"], 400, "malformed"),
    ],
)
def test_bad_answers_get_a_clear_4xx_and_count_nothing(
    handler: tuple[Handler, SQLitePressureStore], body: Any, status: int, code: str
) -> None:
    app, pressure = handler
    response = post(app, json.dumps(body).encode(), "application/json")
    assert response["statusCode"] == status
    error = json.loads(response["body"])["error"]
    assert error["code"] == code
    assert error["message"]
    if status == 422:
        assert json.loads(response["body"])["errors"][0]["field"] == "answer"
    assert pressure.month_counts("2026-11") == {}


def test_the_counts_appear_in_the_month_results(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    pressure = SQLitePressureStore.in_folder(tmp_path)
    pressure.add("2026-11", "sifaju", "yes")
    results = SqliteResultsStore.in_folder(tmp_path)
    try:
        view = month_view(questionnaire, results, "2026-11", pressure=pressure)
    finally:
        results.close()
        pressure.close()
    departments = {d["department"]: d for d in month_json(view)["departments"]}
    assert departments["sifaju"]["pressure"] == {"yes": 1, "no": 0, "declined": 0}
    assert departments["gonganju"]["pressure"] == {"yes": 0, "no": 0, "declined": 0}
