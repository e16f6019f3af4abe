"""A misconfigured AWS (missing table, denied access, unknown operation) is said once, in words:
by the office's commands, the aggregator and the collector; only what is transient is "retry"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from manyi.cli import main
from manyi.collector.handler import create_handler
from manyi.model import Questionnaire
from manyi.store.errors import StoreMisconfigured, StoreUnavailable
from manyi.store.results.dynamodb import DynamoDBResultsStore
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import LambdaContext, collector_log, json_body, json_event, submission_body
from tests.aws import REGION, SUBMISSIONS_TABLE, create_submissions_table
from tests.throttling import THROTTLED_TABLE

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _refusal(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


DENIED = _refusal(
    "AccessDeniedException",
    "User: arn:aws-cn:iam::123456789012:user/clerk is not authorized to perform: "
    "dynamodb:PutItem on resource: table/manyi-results",
)
UNKNOWN_OPERATION = _refusal("UnknownOperationException", "")


class RefusingClient:
    """A moto client whose every call is refused with one AWS error."""

    def __init__(self, client: Any, response: dict[str, Any]) -> None:
        self._client = client
        self._response = response
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        def refuse(**request: Any) -> Any:
            self.calls += 1
            raise ClientError(self._response, name)

        return refuse


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("SUBMISSIONS_TABLE", "RESULTS_TABLE", "REPORTS_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_submissions_table(client)
        yield client


def test_the_stores_tell_a_missing_table_from_a_busy_one(dynamodb: Any) -> None:
    submissions = DynamoDBSubmissionStore("no-such-table", client=dynamodb)
    with pytest.raises(StoreMisconfigured, match="'no-such-table' does not exist"):
        list(submissions.department_month("sifaju", "2026-11"))
    results = DynamoDBResultsStore("no-such-table", dynamodb)
    with pytest.raises(StoreMisconfigured, match="'no-such-table' does not exist"):
        results.served("2026-11")
    denied = DynamoDBResultsStore("manyi-results", RefusingClient(dynamodb, DENIED))
    with pytest.raises(StoreMisconfigured, match=r"denied.*dynamodb:PutItem"):
        denied.set_served({("2026-11", "sifaju"): 3})
    unknown = DynamoDBSubmissionStore(
        SUBMISSIONS_TABLE, RefusingClient(dynamodb, UNKNOWN_OPERATION)
    )
    with pytest.raises(StoreMisconfigured, match="does not know this operation"):
        unknown.get("sub-0001")
    throttled = DynamoDBResultsStore("manyi-results", RefusingClient(dynamodb, THROTTLED_TABLE))
    with pytest.raises(StoreUnavailable, match="ProvisionedThroughputExceeded"):
        throttled.month_states("2026-11")


@pytest.mark.parametrize(
    "arguments",
    [
        ["served", "set", "sifaju", "3", "--month", "2026-11"],
        ["served", "list", "--month", "2026-11"],
        ["aggregate", "--month", "2026-11", "--lag", "0"],
        ["results", "--month", "2026-11"],
    ],
)
def test_a_command_against_a_missing_table_says_so_once(
    dynamodb: Any, arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    tables = ["--submissions-table", "no-such-subs", "--results-table", "no-such-results"]
    assert main([*arguments, "--aws", *tables, "--region", REGION]) == 2
    err = capsys.readouterr().err
    assert err.count("does not exist in this account and region") == 1, err
    assert err.startswith(f"manyi {arguments[0]}: DynamoDB table 'no-such-")
    assert "Traceback" not in err
    assert "botocore" not in err


@pytest.mark.parametrize(
    ("response", "words"), [(DENIED, "denied"), (UNKNOWN_OPERATION, "operation")]
)
def test_denied_access_and_an_unknown_operation_say_what_to_check(
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    response: dict[str, Any],
    words: str,
) -> None:
    refusing = RefusingClient(dynamodb, response)
    monkeypatch.setattr("manyi.results.backends.aws_client", lambda service, region: refusing)
    tables = ["--submissions-table", SUBMISSIONS_TABLE, "--results-table", "manyi-results"]
    for arguments in (["served", "set", "sifaju", "3"], ["aggregate", "--lag", "0"]):
        assert main([*arguments, "--month", "2026-11", "--aws", *tables]) == 2
        err = capsys.readouterr().err
        assert words in err
        assert len(err.strip().splitlines()) == 1, err
    assert refusing.calls == 2  # each command stopped at its first refusal


def test_the_collector_answers_a_misconfiguration_as_an_error_not_busy(
    dynamodb: Any, tmp_path: Path, questionnaire: Questionnaire
) -> None:
    publish(tmp_path, questionnaire, NOW.date())
    store = DynamoDBSubmissionStore("no-such-table", client=dynamodb)
    handler = create_handler(store, Catalogue.open(tmp_path), clock=lambda: NOW)
    with collector_log() as lines:
        response = handler(json_event(submission_body(questionnaire)), LambdaContext())
    assert response["statusCode"] == 500
    assert "Retry-After" not in response["headers"]
    body = json_body(response)
    assert body["error"]["code"] == "server_error"
    assert "还没有保存" in body["error"]["message"]
    assert "no-such-table" not in response["body"]  # what to fix is for the operator's log
    logged = json.loads(lines.getvalue().splitlines()[-1])
    assert logged["level"] == "ERROR"
    assert "'no-such-table' does not exist" in logged["reason"]
