"""Fuzzing a running `manyi serve` from its own /api/openapi.json with schemathesis.

Every operation of the document: survey submissions, complaints (投诉举报) and their status
lookups, the pressure question's answers, the health check. Bodies that follow the schema must
be stored (201; a complaint's replay 200), bodies that break it must be refused with a 4xx,
nothing may answer 5xx, every answer is one the document lists with the body it describes, and
every 201 for a body without the honeypot is in SQLite. A complaint's date has a rule no JSON
Schema can state (not after today, at most ten years back): a schema-valid complaint outside it
must be refused for that field alone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from manyi.calendar import OfficeCalendar
from manyi.collector.openapi import (
    answers_schema,
    complaint_schemas,
    pressure_schemas,
    submission_schema,
)
from manyi.complaints.intake import OLDEST_YEARS, parse_json
from manyi.model import Questionnaire
from manyi.sealing import create_key_file
from tests.serving import ROOT, Served, make_site, serving

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("fuzz")
    site = make_site(folder / "dist", questionnaire.to_dict())
    # Complaints with a name or phone need the sealing key.
    key = folder / "sealing.key"
    create_key_file(key, data_folder=folder / "data")
    # One fuzzer, one address: the rate limit would only test itself.
    with serving(folder / "data", site, "--rate-limit", "off", "--key-file", str(key)) as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: Served, questionnaire: Questionnaire) -> Any:
    loaded = schemathesis.openapi.from_url(
        f"http://127.0.0.1:{fuzzed_server.port}/api/openapi.json"
    )

    @loaded.hook("map_body")
    def dated_in_range(context: Any, body: Any) -> Any:
        """Most dates drawn for `format: date` are centuries away, which the collector rightly
        refuses: three complaints in four get a date it takes instead (a day in the last ten
        years, picked by the drawn one), the rest keep theirs and must be refused for it."""
        if context.operation.path != "/api/complaints" or not isinstance(body, dict):
            return body
        try:
            drawn = date.fromisoformat(str(body.get("happened_on")))
        except ValueError:
            return body
        if drawn.toordinal() % 4:
            today = OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC))
            body["happened_on"] = (today - timedelta(days=drawn.toordinal() % 3650)).isoformat()
        return body

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


def stored_ids(data: Path) -> set[str]:
    with sqlite3.connect(data / "submissions.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT submission_id FROM submission_ids")}


@cache
def _validator() -> Any:
    from manyi.loader import load_questionnaire

    q = load_questionnaire(ROOT / "questionnaire.yaml")
    submission = submission_schema(q, [q.version])
    submission["properties"]["answers"] = answers_schema(q)
    return jsonschema.Draft202012Validator(submission)


def submission_validator(body: object) -> bool:
    return bool(_validator().is_valid(body))


def row_count(data: Path) -> int:
    with sqlite3.connect(data / "submissions.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM responses").fetchone()[0])


@cache
def _request_validator(name: str) -> Any:
    """A validator of one of the document's own request schemas (Complaint, PressureAnswer)."""
    from manyi.loader import load_questionnaire

    q = load_questionnaire(ROOT / "questionnaire.yaml")
    return jsonschema.Draft202012Validator({**complaint_schemas(q), **pressure_schemas(q)}[name])


def complaint_numbers(data: Path) -> set[str]:
    with sqlite3.connect(data / "complaints.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT number FROM complaints")}


def date_in_range(text: object, questionnaire: Questionnaire) -> bool:
    """The date rule of a complaint the schema cannot say, as the server sees today."""
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return False
    today = OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC))
    return day <= today and day.year >= today.year - OLDEST_YEARS


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_own_document(
    case: Any, fuzzed_server: Served, questionnaire: Questionnaire
) -> None:
    path = case.operation.path
    if path == "/api/complaints":
        check_complaint(case, fuzzed_server, questionnaire)
    elif path == "/api/complaints/status":
        check_lookup(case, fuzzed_server)
    elif path == "/api/pressure":
        check_pressure(case, fuzzed_server)
    else:
        check_submission(case, fuzzed_server)


def check_submission(case: Any, served: Served) -> None:
    before = row_count(served.data)
    response = case.call(base_url=f"http://127.0.0.1:{served.port}", timeout=30)
    # Schemathesis' own rejection check is replaced by the one below, which knows the honeypot.
    case.validate_response(
        response,
        additional_checks=[schemathesis.checks.positive_data_acceptance],
        excluded_checks=[schemathesis.checks.negative_data_rejection],
    )
    assert response.status_code < 500
    body = case.body if isinstance(case.body, dict) else {}
    # A "negative" case is not always invalid (dropping an answer that does not apply is
    # fine), so the document itself decides.
    if response.status_code == 201 and not submission_validator(case.body):
        # The only schema-breaking body answered 201 is a bot's: it is never stored.
        why = [error.message for error in _validator().iter_errors(case.body)]
        assert isinstance(body.get("website"), str), (case.body, why)
        assert body["website"], (case.body, why)
        assert row_count(served.data) == before
    elif response.status_code == 201 and not body.get("website"):
        assert response.json()["submission_id"] in stored_ids(served.data)


# Schemathesis' own "valid data is accepted" and "invalid data is refused" checks, replaced for
# the complaint routes by the oracles below.
OWN_ACCEPTANCE_CHECKS = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]


def check_lookup(case: Any, served: Served) -> None:
    response = case.call(base_url=f"http://127.0.0.1:{served.port}", timeout=30)
    case.validate_response(response, excluded_checks=OWN_ACCEPTANCE_CHECKS)
    if case.method.upper() != "POST":
        assert response.status_code == 405
        return
    # A lookup that follows the schema finds nothing (404) or, after 20 misses, waits (429):
    # both are documented answers, so "valid data is accepted" does not apply here.
    assert response.status_code in (200, 400, 404, 429)


def sent_as_json(case: Any) -> bool:
    """Whether the case was sent as JSON: a negative case may send another Content-Type."""
    sent_type = (case.headers or {}).get("Content-Type", case.media_type or "application/json")
    return bool(sent_type.split(";")[0].strip().lower() == "application/json")


def pressure_total(data: Path) -> int:
    if not (data / "pressure.sqlite3").exists():
        return 0
    with sqlite3.connect(data / "pressure.sqlite3") as db:
        return int(db.execute("SELECT coalesce(sum(count), 0) FROM pressure").fetchone()[0])


def check_pressure(case: Any, served: Served) -> None:
    """A body the schema allows is counted once; any other is refused and counts nothing."""
    before = pressure_total(served.data)
    response = case.call(base_url=f"http://127.0.0.1:{served.port}", timeout=30)
    case.validate_response(response, excluded_checks=OWN_ACCEPTANCE_CHECKS)
    if case.method.upper() != "POST":
        assert response.status_code == 405
        return
    if sent_as_json(case) and _request_validator("PressureAnswer").is_valid(case.body):
        assert response.status_code == 201, (case.body, response.text)
        assert pressure_total(served.data) == before + 1
    else:
        assert response.status_code in (400, 404, 413, 415, 422), (case.body, response.text)
        assert pressure_total(served.data) == before


def as_received(body: object) -> object:
    """A complaint as the intake checks it, read by the intake's own parse: each field's text
    cleaned first, as the document says (a name of 41 characters, one of them a control
    character, is 40 long), and a date as people type it read (2026/1/3 is 2026-01-03)."""
    if not isinstance(body, dict):
        return body
    try:
        form = parse_json(json.dumps(body).encode())
    except ValueError:  # not a complaint's shape at all: the document alone decides
        return body
    return {**body, **{k: v for k, v in form.values.items() if k in body}}


def check_complaint(case: Any, served: Served, questionnaire: Questionnaire) -> None:
    before = (
        complaint_numbers(served.data) if (served.data / "complaints.sqlite3").exists() else set()
    )
    response = case.call(base_url=f"http://127.0.0.1:{served.port}", timeout=30)
    case.validate_response(response, excluded_checks=OWN_ACCEPTANCE_CHECKS)
    status = response.status_code
    if case.method.upper() != "POST":
        assert status == 405
        return
    received = as_received(case.body)
    sent = received if isinstance(received, dict) else {}
    if not sent_as_json(case) or not _request_validator("Complaint").is_valid(received):
        # Broken bodies are refused; a bot's (the honeypot) is told 201 and keeps nothing.
        assert status in (201, 400, 413, 415, 422), status
        if status in (200, 201):
            assert complaint_numbers(served.data) == before
        return
    if sent.get("website"):
        assert status == 201
        assert complaint_numbers(served.data) == before
        return
    if not date_in_range(sent["happened_on"], questionnaire):
        assert status == 422, (sent["happened_on"], response.text)
        assert {e["field"] for e in response.json()["errors"]} == {"happened_on"}
        return
    assert status in (200, 201), (sent, response.text)
    assert response.json()["number"] in complaint_numbers(served.data)


def test_an_exclusive_choice_in_a_question_that_does_not_apply_is_valid_and_accepted(
    fuzzed_server: Served, questionnaire: Questionnaire
) -> None:
    """Found by the fuzzer: Q3 (only after Q2 = 是) with 不存在以上情况 and another option."""
    from tests.apigw import submission_body

    body = submission_body(questionnaire, submission_id="exclusive-q3-dropped")
    body["answers"] = {**body["answers"], "q2": "no", "q3": ["rough", "none"]}
    assert submission_validator(body)
    status, _, answer = fuzzed_server.post_json(body)
    assert status == 201
    body["answers"]["q2"] = "yes"
    body["submission_id"] = "exclusive-q3-applies"
    assert not submission_validator(body)
    status, _, answer = fuzzed_server.post_json(body)
    assert status == 422
    assert [e["code"] for e in answer["errors"]] == ["exclusive"]
