"""The follow-up in AWS: the cases table and the KMS key as the template defines them, only the
workspace's role may decrypt, and cases sealed under KMS data keys in moto open on the call
screen's path while the table holds no party's name or phone in clear."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.deploy.template import resources_of_type
from manyi.followup.importing import read_case_file
from manyi.followup.service import import_cases, open_party, purge
from manyi.model import Questionnaire
from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores
from manyi.workspace.handler import aws_followup
from tests.aws import REGION
from tests.cfn import create_tables, load_template, table_environment
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
