"""Complaints in AWS: the table and key as the template defines them, least privilege for each
function, and the two functions over moto (the collector seals with a KMS data key, the
workspace opens it; nothing calls AWS for real)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.collector.handler import create_handler
from manyi.collector.ratelimit import RateLimit
from manyi.complaints.sources import aws_complaint_sources
from manyi.model import Questionnaire
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import LambdaContext
from tests.aws import REGION
from tests.cfn import create_tables, load_template
from tests.complaint_support import NAME, PHONE, complaint_fields, complaint_json


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    [policy] = template["Resources"][role]["Properties"]["Policies"]
    return [s for s in policy["PolicyDocument"]["Statement"] if "Fn::If" not in s]


def on(statement: dict[str, Any], resource: str) -> bool:
    return statement.get("Resource") == {"Fn::GetAtt": [resource, "Arn"]}


def test_the_table_is_retained_recoverable_encrypted_and_protected(
    template: dict[str, Any],
) -> None:
    table = template["Resources"]["ComplaintsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    key = template["Resources"]["ComplaintsKey"]
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True


def test_the_collector_only_adds_counts_and_seals(template: dict[str, Any]) -> None:
    mine = statements(template, "CollectorRole")
    on_table = {s["Sid"]: s for s in mine if on(s, "ComplaintsTable")}
    assert on_table["ReadComplaints"]["Action"] == "dynamodb:GetItem"
    leading = {
        sid: s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        for sid, s in on_table.items()
        if "Condition" in s
    }
    # A complaint item (Y#) may be added, never updated or deleted by the public function.
    assert leading == {
        "AddComplaints": ["Y#*", "K#*"],
        "CountComplaints": ["N#*", "W#*"],
        "ClearWrongCodes": ["W#*"],
    }
    [kms] = [s for s in mine if on(s, "ComplaintsKey")]
    assert kms["Action"] == "kms:GenerateDataKey"  # no Decrypt: it cannot open what it sealed
    assert kms["Condition"] == {"StringEquals": {"kms:EncryptionContext:kind": "complaint"}}


def test_the_workspace_reads_replaces_and_opens_but_never_deletes(
    template: dict[str, Any],
) -> None:
    mine = statements(template, "WorkspaceRole")
    [table] = [s for s in mine if on(s, "ComplaintsTable")]
    assert sorted(table["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
    assert table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["Y#*"]
    [kms] = [s for s in mine if on(s, "ComplaintsKey")]
    assert kms["Action"] == "kms:Decrypt"


def test_both_functions_are_told_the_table_and_key(template: dict[str, Any]) -> None:
    for function in ("CollectorFunction", "WorkspaceFunction"):
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables["COMPLAINTS_TABLE"] == {"Ref": "ComplaintsTable"}
        assert variables["COMPLAINTS_KEY_ID"] == {"Fn::GetAtt": ["ComplaintsKey", "Arn"]}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        names = create_tables(dynamodb)
        key = kms.create_key(Description="complaints")["KeyMetadata"]["Arn"]
        monkeypatch.setenv("COMPLAINTS_TABLE", names["ComplaintsTable"])
        monkeypatch.setenv("COMPLAINTS_KEY_ID", key)
        yield dynamodb, kms


def test_sealed_by_the_collector_with_kms_opened_by_the_workspace(
    aws: tuple[Any, Any], tmp_path: Path, questionnaire: Questionnaire
) -> None:
    dynamodb, kms = aws
    from datetime import UTC, datetime

    now = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    publish(tmp_path / "questionnaires", questionnaire, now.date())
    sources = aws_complaint_sources(dynamodb, kms)
    handler = create_handler(
        DynamoDBSubmissionStore("SubmissionsTable", client=dynamodb),
        Catalogue.open(tmp_path / "questionnaires"),
        rate_limit=RateLimit(),
        clock=lambda: now,
        complaints=lambda: sources,
    )
    sent = {**complaint_fields(), "complaint_id": "kms-sealed-000000001"}
    answer = handler(complaint_json(sent), LambdaContext())
    assert answer["statusCode"] == 201, answer["body"]
    number = json.loads(answer["body"])["number"]
    items = dynamodb.scan(TableName="ComplaintsTable")["Items"]
    assert NAME not in str(items)
    assert PHONE not in str(items)
    stored = sources.store.get(number)
    assert stored is not None
    assert stored.contact is not None
    assert sources.sealer is not None
    assert sources.sealer.open(stored.key_hash, stored.contact) == {"name": NAME, "phone": PHONE}
