"""The follow-up in AWS: the cases table and the KMS key as the template defines them, only the
workspace's role may decrypt, and cases sealed under KMS data keys in moto open on the call
screen's path while the table holds no party's name or phone in clear; the daily retention run
(RetentionFunction on its schedule) purges what is due with no more than its role grants."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.deploy.template import resources_of_type
from manyi.followup.importing import read_case_file
from manyi.followup.schedule import ACTION, ACTOR, BadEvent, handle
from manyi.followup.service import SEAL_KIND, import_cases, open_party, purge
from manyi.model import Questionnaire
from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores
from manyi.workspace.handler import aws_followup
from tests.apigw import LambdaContext
from tests.aws import REGION
from tests.cfn import create_tables, load_template, table_environment
from tests.conftest import ROOT
from tests.integration.test_infra_template import grants, role_statements

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
CSV = (
    "决定书文号,案件类别,适用程序,当事人名称,联系电话,执法证号,承办人,结案日期\n"
    "平市监罚〔2026〕9号,处罚,简易程序,郑记九号商行,0375-2663000,H9,承办人丙,2026/11/09\n"
).encode()


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_only_the_workspace_may_seal_and_open_personal_data(template: dict[str, Any]) -> None:
    key = template["Resources"]["PersonalDataKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    for role, resource in resources_of_type(template, "AWS::IAM::Role").items():
        if "Policies" not in resource["Properties"]:
            continue  # managed policies only (e.g. backups): none names the key
        kms = {a for a, r in grants(role_statements(template, role)) if a.startswith("kms:")}
        if role == "WorkspaceRole":
            assert kms == {"kms:GenerateDataKey", "kms:Decrypt"}
        else:
            assert "kms:Decrypt" not in kms, role
    on_cases = {
        a for a, r in grants(role_statements(template, "WorkspaceRole")) if "CasesTable" in r
    }
    assert on_cases == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}


def test_every_use_of_a_key_is_bound_to_that_keys_purpose(template: dict[str, Any]) -> None:
    """Two keys, one purpose each (docs/followup.md, "Two keys"): every KMS grant of every role
    names one key and the sealing context of that key's records, so a data key of one purpose
    never opens under the other's grant."""
    from manyi.complaints.model import SEALED_KIND as COMPLAINT_KIND

    purpose = {"PersonalDataKey": SEAL_KIND, "ComplaintsKey": COMPLAINT_KIND}
    keys = resources_of_type(template, "AWS::KMS::Key")
    assert {"PersonalDataKey", "ComplaintsKey"} <= set(keys)
    seen = set()
    for role, resource in resources_of_type(template, "AWS::IAM::Role").items():
        if "Policies" not in resource["Properties"]:
            continue
        for statement in role_statements(template, role):
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if not any(a.startswith("kms:") for a in actions):
                continue
            key = statement["Resource"]["Fn::GetAtt"][0]
            condition = statement["Condition"]["StringEquals"]
            assert condition == {"kms:EncryptionContext:kind": purpose[key]}, (role, key)
            seen.add((role, key))
    assert seen == {
        ("CollectorRole", "ComplaintsKey"),
        ("WorkspaceRole", "ComplaintsKey"),
        ("WorkspaceRole", "PersonalDataKey"),
    }


@pytest.mark.slow
def test_cases_sealed_under_kms_open_for_the_visitor_and_purge(
    questionnaire: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert questionnaire.followup is not None
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        names = create_tables(dynamodb)
        key = kms.create_key(Description="test")["KeyMetadata"]["Arn"]
        for variable, value in table_environment(names).items():
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("PERSONAL_DATA_KEY", key)
        staff = aws_staff_stores(StaffTables.from_environment(), dynamodb)
        fu = aws_followup(staff.audit, dynamodb, kms)
        assert fu is not None
        case_file = read_case_file("cases.csv", CSV, NOW.date())
        assert import_cases(fu, "shichangjianguanju", case_file, NOW, "office-1").added == 1
        (case,) = fu.store.month("shichangjianguanju", "2026-11")
        assert open_party(fu, case, NOW, "office-1") == {
            "party_name": "郑记九号商行",
            "party_phone": "03752663000",
        }
        raw = json.dumps(dynamodb.scan(TableName=names["CasesTable"])["Items"], ensure_ascii=False)
        assert "郑记九号商行" not in raw
        assert "03752663000" not in raw
        done = case.next_version(done_at="2026-01-01T00:00:00.000000Z")
        fu.store.replace(done)
        assert purge(fu, questionnaire.followup, NOW, "system") == 1
        assert fu.store.month("shichangjianguanju", "2026-11")[0].party is None


# -- the daily purge: RetentionFunction on its schedule ---------------------------------------


def test_the_retention_schedule_runs_daily_on_the_office_clock_with_a_narrow_event(
    template: dict[str, Any],
) -> None:
    function = template["Resources"]["RetentionFunction"]["Properties"]
    assert function["Handler"] == "lambda/retention/app.lambda_handler"
    (schedule,) = function["Events"].values()
    assert schedule["Type"] == "ScheduleV2"
    p = schedule["Properties"]
    assert p["ScheduleExpression"] == "cron(15 3 * * ? *)"  # daily, 03:15
    assert p["ScheduleExpressionTimezone"] == {"Ref": "ReportingTimezone"}
    assert json.loads(p["Input"]) == {"action": ACTION}
    variables = function["Environment"]["Variables"]
    assert set(variables) >= {"CASES_TABLE", "AUDIT_TABLE", "MANYI_QUESTIONNAIRES"}
    assert "PERSONAL_DATA_KEY" not in variables  # nothing to open, nothing to seal
    alarm = template["Resources"]["RetentionErrorsAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "RetentionFunction"}}]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_retention_role_may_drop_fields_and_nothing_else(template: dict[str, Any]) -> None:
    statements = role_statements(template, "RetentionRole")
    assert grants(statements) == {
        ("dynamodb:Query", "${CasesTable.Arn}/index/personal_done"),
        ("dynamodb:PutItem", "CasesTable.Arn"),
        ("dynamodb:PutItem", "AuditTable.Arn"),
        ("logs:CreateLogStream", "RetentionLogGroup.Arn"),
        ("logs:PutLogEvents", "RetentionLogGroup.Arn"),
    }
    leading = {
        s["Resource"]["Fn::GetAtt"][0]: s["Condition"]["ForAllValues:StringLike"][
            "dynamodb:LeadingKeys"
        ]
        for s in statements
        if s["Action"] == "dynamodb:PutItem"
    }
    assert leading == {"CasesTable": ["C#*"], "AuditTable": ["A#*"]}


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"action": "aggregate"},
        {"action": ACTION, "retention_days": 0},  # no shortening the retention by event
        {"detail-type": "Scheduled Event", "source": "aws.events"},
        [],
    ],
)
def test_the_retention_function_refuses_any_other_event(
    event: Any, questionnaire: Questionnaire
) -> None:
    with pytest.raises(BadEvent):
        handle(event, questionnaire, None, NOW)  # type: ignore[arg-type]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_the_scheduled_event_purges_what_is_due_in_moto(
    template: dict[str, Any],
    questionnaire: Questionnaire,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The entry point, its environment from the template, the schedule's own input; every
    DynamoDB call it makes is one its role grants, on the resource the grant names."""
    assert questionnaire.followup is not None
    retention = questionnaire.followup.retention_days
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / f"{questionnaire.version}.json").write_text(
        json.dumps(questionnaire.to_dict(), ensure_ascii=False), encoding="utf-8"
    )
    (schedule,) = template["Resources"]["RetentionFunction"]["Properties"]["Events"].values()
    now = datetime.now(UTC)
    closed = {"1": retention + 40, "2": 20, "3": 5}  # days ago
    calls: list[tuple[str, dict[str, Any]]] = []
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        names = create_tables(dynamodb)
        for variable, value in table_environment(names).items():
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        monkeypatch.setenv("MANYI_QUESTIONNAIRES", str(folder))
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "retention")
        monkeypatch.setenv("PERSONAL_DATA_KEY", kms.create_key()["KeyMetadata"]["Arn"])
        staff = aws_staff_stores(StaffTables.from_environment(), dynamodb)
        workspace = aws_followup(staff.audit, dynamodb, kms)
        assert workspace is not None
        header = "案件编号,案件类别,适用程序,当事人,联系电话,承办人执法证号,承办人,办结日期"
        lines = [header] + [
            f"平市监罚〔2026〕{n}号,处罚,一般程序,郑记{n}号商行,1390000000{n},H{n},承办人,"
            f"{(now - timedelta(days=days)).date()}"
            for n, days in closed.items()
        ]
        case_file = read_case_file("c.csv", "\n".join(lines).encode(), now.date())
        import_cases(workspace, "shichangjianguanju", case_file, now, "office-1")
        months = {(now - timedelta(days=days)).strftime("%Y-%m") for days in closed.values()}
        cases = {
            c.case_number[-2]: c
            for month in months
            for c in workspace.store.month("shichangjianguanju", month)
        }
        # Case 1 done long ago, case 2 done within the retention time, case 3 still open.
        cases["1"] = cases["1"].next_version(done_at=_stamp(now - timedelta(days=retention + 1)))
        cases["2"] = cases["2"].next_version(done_at=_stamp(now - timedelta(days=3)))
        workspace.store.replace(cases["1"])
        workspace.store.replace(cases["2"])

        def record_call(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls.append((model.name, dict(params)))

        # The function makes its own client from boto3's default session: listen there (a
        # session of this test's own, put back afterwards).
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        boto3.setup_default_session(region_name=REGION)
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-parameter-build.dynamodb", record_call)
        spec = importlib.util.spec_from_file_location(
            "retention_app", ROOT / "lambda" / "retention" / "app.py"
        )
        assert spec is not None
        assert spec.loader is not None
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        event = json.loads(schedule["Properties"]["Input"])
        summary = app.lambda_handler(event, LambdaContext())
        assert summary == {"action": ACTION, "purged": 1, "retention_days": retention}
        assert app.lambda_handler(event, LambdaContext())["purged"] == 0

        after = {}
        for key, case in cases.items():
            found = workspace.store.get(case.department, case.month, case.case_id)
            assert found is not None
            after[key] = found
        assert after["1"].party is None
        assert after["1"].purged_at
        assert after["2"].party is not None
        assert after["3"].party is not None

        def counted(case: Any) -> Any:
            """What the figures read of a case: everything but its personal fields."""
            return replace(case, party=None, purged_at="", version=0)

        assert {k: counted(v) for k, v in after.items()} == {
            k: counted(v) for k, v in cases.items()
        }
        purges = [
            e for e in staff.audit.month(now.strftime("%Y-%m")) if e.action == "followup.purge"
        ]
        assert [(e.actor, (e.after or {})["cases"]) for e in purges] == [(ACTOR, 1)]
    granted = grants(role_statements(template, "RetentionRole"))
    physical = {v: k for k, v in names.items()}
    for operation, params in calls:
        table = physical[params["TableName"]]
        index = params.get("IndexName")
        resource = f"${{{table}.Arn}}/index/{index}" if index else f"{table}.Arn"
        assert (f"dynamodb:{operation}", resource) in granted, (operation, resource)
        if operation == "PutItem":
            prefix = {"CasesTable": "C#", "AuditTable": "A#"}[table]
            assert params["Item"]["pk"]["S"].startswith(prefix)
    assert {operation for operation, _ in calls} == {"Query", "PutItem"}
