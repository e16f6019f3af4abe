"""A restore rehearsal in moto: lose answers, get them back with `manyi restore-table`, recount.

The tables are the template's own (tests/cfn.py); the stack is a stand-in whose outputs name
them, as the real stack's do. The daily backup is a DynamoDB backup taken before the accident;
responses that arrive after it must survive the restore.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.cli import main
from manyi.model import Questionnaire
from manyi.results.backends import AwsNames, aws_backend
from manyi.results.schedule import handle
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.submission import StoredSubmission, utc_timestamp
from tests.apigw import valid_answers
from tests.cfn import create_tables
from tests.responses import OFFICE

REGION = "cn-north-1"
STACK = "manyi-prod"
TABLES = {"SubmissionsTable": "manyi-prod-submissions", "ResultsTable": "manyi-prod-results"}
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
MONTH = OFFICE.month(NOW)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_tables(dynamodb, TABLES)
        outputs = {
            "SubmissionsTableName": {"Value": TABLES["SubmissionsTable"]},
            "ResultsTableName": {"Value": TABLES["ResultsTable"]},
        }
        stand_in = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName=STACK, TemplateBody=json.dumps(stand_in)
        )
        yield dynamodb


def answers_of(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        k: tuple(v) if isinstance(v, list) else v for k, v in valid_answers(questionnaire).items()
    }


def submit(
    store: DynamoDBSubmissionStore, questionnaire: Questionnaire, n: int
) -> StoredSubmission:
    at = NOW + timedelta(minutes=n)
    record = StoredSubmission(
        submission_id=f"restore-{n:04d}",
        department=("sifaju", "gonganju")[n % 2],
        month=OFFICE.month(at),
        received_at=utc_timestamp(at),
        version=questionnaire.version,
        channel="leaflet",
        answers=answers_of(questionnaire),
    )
    stored, new = store.put(record)
    assert new
    return stored


def stored_ids(store: DynamoDBSubmissionStore) -> set[str]:
    return {
        s.submission.submission_id
        for department in ("sifaju", "gonganju")
        for s in store.department_month(department, MONTH)
    }


@pytest.mark.slow
def test_lost_responses_come_back_and_the_recount_agrees(
    aws: Any, questionnaire: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    store = DynamoDBSubmissionStore(TABLES["SubmissionsTable"], client=aws)
    backend = aws_backend(
        AwsNames(TABLES["SubmissionsTable"], TABLES["ResultsTable"], None, REGION), dynamodb=aws
    )
    first = [submit(store, questionnaire, n) for n in range(30)]
    later = NOW + timedelta(hours=1)
    assert handle({"action": "aggregate", "months": [MONTH]}, questionnaire, backend, later)
    # The nightly backup, then the accident: a script deletes a third of the responses.
    backup = aws.create_backup(TableName=TABLES["SubmissionsTable"], BackupName="nightly")
    lost = first[::3]
    for record in lost:
        key = {"pk": {"S": f"DM#{record.department}#{record.month}"}}
        key["sk"] = {"S": f"R#{record.received_at}#{record.submission_id}"}
        aws.delete_item(TableName=TABLES["SubmissionsTable"], Key=key)
    # Answers keep arriving after the backup was taken.
    after = [submit(store, questionnaire, n) for n in range(100, 105)]
    assert stored_ids(store) == {s.submission_id for s in first + after} - {
        s.submission_id for s in lost
    }
    verify = {"action": "verify", "months": [MONTH]}
    assert handle(verify, questionnaire, backend, later)["agree"] is False

    arn = backup["BackupDetails"]["BackupArn"]
    arguments = ["restore-table", "--stack", STACK, "--table", "submissions", "--from-backup", arn]
    assert main(arguments) == 0
    out = capsys.readouterr()
    assert f"{len(lost)} item(s) copied back" in out.out
    assert "manyi aggregate --aws --verify" in out.err
    # Every response is back, those received after the backup too, each stored once.
    assert stored_ids(store) == {s.submission_id for s in first + after}
    assert store.put(lost[0]._replace(received_at=utc_timestamp(later))) == (lost[0], False)
    # The recount agrees once the aggregator has counted what arrived since.
    assert handle({"action": "aggregate", "months": [MONTH]}, questionnaire, backend, later)
    assert handle(verify, questionnaire, backend, later)["agree"] is True

    # Once more, from the restored table left behind: nothing to copy.
    restored = next(name for name in aws.list_tables()["TableNames"] if "-restored-" in name)
    again = ["restore-table", "--stack", STACK, "--table", "submissions", "--from-table", restored]
    assert main(again) == 0
    assert "0 item(s) copied back" in capsys.readouterr().out


def test_a_point_in_time_restore_makes_a_new_table_and_copies_back(
    aws: Any, questionnaire: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    store = DynamoDBSubmissionStore(TABLES["SubmissionsTable"], client=aws)
    submit(store, questionnaire, 1)
    arguments = ["restore-table", "--stack", STACK, "--table", "submissions", "--latest"]
    assert main(arguments) == 0
    names = aws.list_tables()["TableNames"]
    assert any(name.startswith(f"{TABLES['SubmissionsTable']}-restored-") for name in names)
    out = capsys.readouterr().out
    assert "0 item(s) copied back" in out
    assert "2 already there and kept" in out


def test_a_time_without_a_zone_or_an_unknown_stack_is_refused(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [
        "restore-table",
        "--stack",
        STACK,
        "--table",
        "results",
        "--time",
        "2026-11-20T08:00",
    ]
    assert main(arguments) == 2
    assert "+08:00" in capsys.readouterr().err
    missing = ["restore-table", "--stack", "nope", "--table", "results", "--latest"]
    assert main(missing) == 2
    assert "AWS refused" in capsys.readouterr().err


def test_results_come_back_too(aws: Any) -> None:
    aws.put_item(
        TableName=TABLES["ResultsTable"], Item={"pk": {"S": "M#2026-11"}, "sk": {"S": "x"}}
    )
    backup = aws.create_backup(TableName=TABLES["ResultsTable"], BackupName="nightly")
    aws.delete_item(
        TableName=TABLES["ResultsTable"], Key={"pk": {"S": "M#2026-11"}, "sk": {"S": "x"}}
    )
    arn = backup["BackupDetails"]["BackupArn"]
    assert (
        main(["restore-table", "--stack", STACK, "--table", "results", "--from-backup", arn]) == 0
    )
    assert aws.scan(TableName=TABLES["ResultsTable"])["Count"] == 1
