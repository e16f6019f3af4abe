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
    # Complaint items, and the office's setting of standing handlers.
    assert table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["Y#*", "H#*"]
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


# -- the retention purge ---------------------------------------------------------------------


def test_the_purge_function_finds_due_complaints_rewrites_them_and_appends_audit_only(
    template: dict[str, Any],
) -> None:
    by_sid = {s["Sid"]: s for s in statements(template, "ComplaintsPurgeRole")}
    assert set(by_sid) == {"FindDueComplaints", "PurgeComplaints", "AppendAudit", "Logs"}
    find = by_sid["FindDueComplaints"]
    assert find["Action"] == "dynamodb:Query"
    assert find["Resource"] == {"Fn::Sub": "${ComplaintsTable.Arn}/index/personal_closed"}
    rewrite = by_sid["PurgeComplaints"]
    assert rewrite["Action"] == "dynamodb:PutItem"
    assert on(rewrite, "ComplaintsTable")
    assert rewrite["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["Y#*"]
    audit = by_sid["AppendAudit"]
    assert (audit["Action"], audit["Resource"]) == (
        "dynamodb:PutItem",
        {"Fn::GetAtt": ["AuditTable", "Arn"]},
    )
    # No key at all: the sealed fields are dropped unopened.
    text = json.dumps(by_sid)
    assert "kms:" not in text
    assert "ComplaintsKey" not in text
    assert "DeleteItem" not in text


def test_the_purge_runs_daily_on_the_offices_clock(template: dict[str, Any]) -> None:
    function = template["Resources"]["ComplaintsPurgeFunction"]["Properties"]
    assert function["Handler"] == "lambda/complaints_purge/app.lambda_handler"
    assert function["Role"] == {"Fn::GetAtt": ["ComplaintsPurgeRole", "Arn"]}
    variables = function["Environment"]["Variables"]
    assert variables["COMPLAINTS_TABLE"] == {"Ref": "ComplaintsTable"}
    assert variables["AUDIT_TABLE"] == {"Ref": "AuditTable"}
    assert "COMPLAINTS_KEY_ID" not in variables
    (daily,) = function["Events"].values()
    assert daily["Type"] == "ScheduleV2"
    assert daily["Properties"]["ScheduleExpression"] == "cron(30 3 * * ? *)"
    assert daily["Properties"]["ScheduleExpressionTimezone"] == {"Ref": "ReportingTimezone"}
    alarm = template["Resources"]["ComplaintsPurgeErrorsAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "ComplaintsPurgeFunction"}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    index = {
        i["IndexName"]: i
        for i in template["Resources"]["ComplaintsTable"]["Properties"]["GlobalSecondaryIndexes"]
    }
    assert [k["AttributeName"] for k in index["personal_closed"]["KeySchema"]] == [
        "personal",
        "closed_on",
    ]


def test_the_scheduled_purge_over_moto_removes_what_is_due_once(
    aws: tuple[Any, Any],
    tmp_path: Path,
    questionnaire: Questionnaire,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from manyi.complaints.model import Step
    from manyi.complaints.retention import aws_purge
    from manyi.store.staff.dynamodb import DynamoDBAuditLog

    dynamodb, kms = aws
    monkeypatch.setenv("AUDIT_TABLE", "AuditTable")
    publish(tmp_path / "questionnaires", questionnaire, datetime(2026, 11, 1).date())
    monkeypatch.setenv("MANYI_QUESTIONNAIRES", str(tmp_path / "questionnaires"))
    sources = aws_complaint_sources(dynamodb, kms)
    assert sources.sealer is not None
    numbers = []
    for n, closed_on in enumerate(("2026-11-20", "2026-11-21")):
        draft = replace(
            _drafted(sources, f"aws-retention-0000{n}"),
            received_on="2026-11-18",
            received_at="2026-11-18T02:00:00.000000Z",
        )
        stored, _ = sources.store.add(draft)
        final = stored.moved(
            Step(f"{closed_on}T02:00:00Z", closed_on, "refused", "office-1", "不属于受理范围")
        )
        sources.store.replace(final)
        numbers.append(stored.number)
    now = datetime(2028, 11, 20, 4, 0, tzinfo=UTC)  # noon in Beijing, two years on
    result = aws_purge(now, dynamodb)
    assert result.purged == (numbers[0],)
    purged = sources.store.get(numbers[0])
    assert purged is not None
    assert (purged.contact, purged.account, purged.steps[-1].note) == (None, "", "")
    items = dynamodb.scan(TableName="ComplaintsTable")["Items"]
    assert "不属于受理范围" in json.dumps(items, ensure_ascii=False)  # the other one's, not due
    audit = DynamoDBAuditLog("AuditTable", dynamodb).history(f"complaint/{numbers[0]}")
    assert [(e.action, e.actor) for e in audit] == [("complaint.purge", "system")]
    assert aws_purge(now, dynamodb).purged == ()
    assert aws_purge(datetime(2028, 11, 21, 4, 0, tzinfo=UTC), dynamodb).purged == (numbers[1],)
    assert "不属于受理范围" not in json.dumps(
        dynamodb.scan(TableName="ComplaintsTable")["Items"], ensure_ascii=False
    )


def _drafted(sources: Any, complaint_id: str) -> Any:
    """A complaint as the collector makes it, its contact sealed under KMS."""
    from manyi.complaints.model import Complaint, code_hash, key_hash, receipt_code

    hashed = key_hash(complaint_id)
    return Complaint(
        number="",
        key_hash=hashed,
        code_hash=code_hash(hashed, receipt_code(complaint_id)),
        department="sifaju",
        category="abuse",
        about="conduct",
        subject="三号窗口",
        account="工作人员辱骂我。",
        happened_on="2026-11-17",
        received_at="",
        received_on="",
        contact=sources.sealer.seal(hashed, {"name": NAME, "phone": PHONE}),
    )
