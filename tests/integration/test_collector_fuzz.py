"""Fuzzing a running `manyi serve` from its own /api/openapi.json with schemathesis.

Bodies that follow the schema must be stored (201), bodies that break it must be refused with
a 4xx, nothing may answer 5xx, and every 201 for a body without the honeypot is in SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from manyi.collector.openapi import answers_schema, submission_schema
from manyi.model import Questionnaire
from tests.serving import ROOT, Served, make_site, serving

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("fuzz")
    site = make_site(folder / "dist", questionnaire.to_dict())
    # One fuzzer, one address: the rate limit would only test itself.
    with serving(folder / "data", site, "--rate-limit", "off") as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: Served) -> Any:
    return schemathesis.openapi.from_url(f"http://127.0.0.1:{fuzzed_server.port}/api/openapi.json")


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


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_own_document(case: Any, fuzzed_server: Served) -> None:
    before = row_count(fuzzed_server.data)
    response = case.call(base_url=f"http://127.0.0.1:{fuzzed_server.port}", timeout=30)
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
        assert row_count(fuzzed_server.data) == before
    elif response.status_code == 201 and not body.get("website"):
        assert response.json()["submission_id"] in stored_ids(fuzzed_server.data)


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
