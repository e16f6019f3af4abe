"""The workspace in AWS: its function, tables and role in the template, and the app through the
Lambda entry point (lambda/workspace/app.py) against moto, tables built from the template."""

from __future__ import annotations

import csv
import io
import json
import re
import runpy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.deploy.template import resources_of_type
from manyi.entry_import import columns
from manyi.model import Questionnaire
from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.submission import StoredSubmission, utc_timestamp
from manyi.versions import publish
from manyi.workspace.accounts import add_account
from tests.aws import REGION
from tests.cfn import create_tables, load_template, table_environment
from tests.entry_papers import form_fields, mixed_papers
from tests.integration.test_infra_template import grants, role_statements
from tests.integration.test_workspace_entry_files import cells_for
from tests.responses import OFFICE
from tests.workspace_support import PASSWORD, TEST_COST, Client

ROOT = Path(__file__).resolve().parents[2]
STAFF_TABLES = ("AccountsTable", "SessionsTable", "AuditTable", "EntryTable")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


# -- the template -------------------------------------------------------------------------


def test_the_staff_tables_are_retained_recoverable_encrypted_and_sessions_expire(
    template: dict[str, Any],
) -> None:
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    for name in STAFF_TABLES:
        table = tables[name]
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        p = table["Properties"]
        assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert p["SSESpecification"]["SSEEnabled"] is True
        assert p["BillingMode"] == "PAY_PER_REQUEST"
    ttl = tables["SessionsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    [index] = tables["AuditTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_target"


def test_the_workspace_function_is_behind_cloudfront_at_workspace(template: dict[str, Any]) -> None:
    function = template["Resources"]["WorkspaceFunction"]["Properties"]
    assert function["Handler"] == "lambda/workspace/app.lambda_handler"
    assert (ROOT / "lambda" / "workspace" / "app.py").is_file()
    paths = {e["Properties"]["Path"] for e in function["Events"].values()}
    assert paths == {"/workspace", "/workspace/{proxy+}"}
    assert function["Environment"]["Variables"]["MANYI_SECURE_COOKIES"] == "true"
    config = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    [workspace] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/workspace*"]
    assert workspace["TargetOriginId"] == "api"
    # The global partition: no caching, the session cookies through an origin request policy.
    global_only, no_value = "GlobalCloudFront", {"Ref": "AWS::NoValue"}
    caching = workspace["CachePolicyId"]["Fn::If"]
    assert caching == [global_only, "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", no_value]
    policy_name = workspace["OriginRequestPolicyId"]["Fn::If"][1]["Ref"]
    policy = template["Resources"][policy_name]["Properties"]
    cookies = policy["OriginRequestPolicyConfig"]["CookiesConfig"]
    assert cookies == {"CookieBehavior": "whitelist", "Cookies": ["manyi_session", "manyi_login"]}
    # China: the legacy settings, never cached, the same cookies forwarded.
    legacy = workspace["ForwardedValues"]["Fn::If"][2]
    assert legacy["Cookies"] == {
        "Forward": "whitelist",
        "WhitelistedNames": ["manyi_session", "manyi_login"],
    }
    assert workspace["MaxTTL"] == {"Fn::If": [global_only, no_value, 0]}


def test_the_workspace_role_appends_to_the_audit_log_and_cannot_rewrite_it(
    template: dict[str, Any],
) -> None:
    pairs = grants(role_statements(template, "WorkspaceRole"))
    on_audit = {a for a, r in pairs if r.startswith("AuditTable") or "AuditTable" in r}
    assert on_audit == {"dynamodb:PutItem", "dynamodb:Query"}
    # Staff entry stores responses by conditional puts, as the collector does: never an
    # update or a delete of one.
    on_submissions = {a for a, r in pairs if r == "SubmissionsTable.Arn"}
    assert on_submissions == {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"}
    on_entry = {a for a, r in pairs if r == "EntryTable.Arn"}
    assert on_entry == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}
    assert {a for a, r in pairs if r == "${ReportsBucket.Arn}/*"} == {
        "s3:GetObject",
        "s3:PutObject",
    }
    assert not any(a.endswith(("Scan", "BatchWriteItem", "DeleteTable")) for a, _ in pairs)
    assert not any(r == "*" and not a.startswith("xray:") for a, r in pairs)


# -- the app in moto ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_app_runs_through_the_lambda_entry_point(
    tmp_path: Path, questionnaire: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    month = OFFICE.month(now)
    folder = tmp_path / "questionnaires"
    publish(folder, questionnaire, now.astimezone(BEIJING).date())
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(dynamodb)
        s3 = boto3.client("s3", region_name=REGION)
        bucket = "manyi-reports-test"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for variable, value in {
            **table_environment(names),
            "REPORTS_BUCKET": bucket,
            "MANYI_QUESTIONNAIRES": str(folder),
            "MANYI_SECURE_COOKIES": "true",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_SERVICE_NAME": "workspace",
        }.items():
            monkeypatch.setenv(variable, value)
        staff = aws_staff_stores(StaffTables.from_environment(), dynamodb)
        for username, role, departments in (
            ("office-1", "office", []),
            ("clerk-a", "department", ["sifaju"]),
        ):
            add_account(
                staff, actor="test", now=now, username=username, role=role,
                departments=departments, known_departments=["sifaju"], password=PASSWORD,
                cost=TEST_COST,
            )  # fmt: skip
        DynamoDBSubmissionStore(names["SubmissionsTable"], dynamodb).put(
            StoredSubmission(
                "sub-00000001", "sifaju", month, utc_timestamp(now.replace(microsecond=0)),
                questionnaire.version, "leaflet", {"respondent": "person"},
            )
        )  # fmt: skip
        handler = runpy.run_path(str(ROOT / "lambda" / "workspace" / "app.py"))["lambda_handler"]

        clerk = Client(handler, "10.1.0.1", https=True)
        login = clerk.log_in("clerk-a")
        # First login: the password must change first; every cookie is Secure in AWS.
        assert login.location == "/workspace/password"
        assert all("Secure" in c for c in login.set_cookies)
        clerk.get("/workspace/password")
        new = {
            "current": PASSWORD,
            "new": "a long clerk passphrase",
            "repeat": "a long clerk passphrase",
        }
        assert clerk.post("/workspace/password", new).status == 303
        clerk.get("/workspace/d/sifaju/")
        assert (
            clerk.post("/workspace/d/sifaju/served", {"month": month, "count": "80"}).status == 303
        )
        assert clerk.get("/workspace/office/").status == 403
        # Staff entry in AWS: a batch keyed and finished, a file imported, both into the
        # submission store the collector writes.
        clerk.get("/workspace/d/sifaju/entry/")
        batch = clerk.post("/workspace/d/sifaju/entry/", {"channel": "phone"}).location
        papers = mixed_papers(questionnaire, 2)
        for paper in papers:
            keying = clerk.get(batch).text
            entry = re.search(r'name="entry_id" value="([^"]+)"', keying)
            assert entry is not None
            fields = [("csrf", clerk.csrf), ("entry_id", entry.group(1)), *form_fields(paper)]
            assert clerk.request("POST", batch + "save", fields).status == 303
        assert clerk.post(batch + "finish").status == 303
        template_file = clerk.get("/workspace/d/sifaju/entry/template.xlsx?channel=paper").body
        assert template_file.startswith(b"PK")
        header = ["问卷编号", *(c.header for c in columns(questionnaire))]
        text = io.StringIO()
        csv.writer(text).writerows([header, ["L-1", *cells_for(questionnaire, papers[0])]])
        clerk.get("/workspace/d/sifaju/entry/")
        for _ in range(2):
            uploaded = clerk.upload(
                "/workspace/d/sifaju/entry/import", {"channel": "paper"}, "a.csv",
                text.getvalue().encode("gbk"),
            )  # fmt: skip
            assert uploaded.status == 200, uploaded.text[-500:]
        responses = [
            s.submission
            for s in DynamoDBSubmissionStore(names["SubmissionsTable"], dynamodb).department_month(
                "sifaju", month
            )
        ]
        assert sorted(r.channel for r in responses) == ["leaflet", "paper", "phone", "phone"]

        office = Client(handler, "10.2.0.1", https=True)
        office.log_in("office-1")
        office.get("/workspace/password")
        office.post(
            "/workspace/password",
            {**new, "new": "an office passphrase", "repeat": "an office passphrase"},
        )
        page = office.get("/workspace/office/")
        assert page.status == 200
        closed = office.post(f"/workspace/office/{month}/close", {"reason": "测试关账"})
        assert closed.status == 303, closed.text
        # The close counted the response, froze the month and published its files to the bucket.
        report = json.loads(
            s3.get_object(Bucket=bucket, Key=f"reports/{month}/results.json")["Body"].read()
        )
        assert report["status"] == "closed"
        assert report["departments"][0]["served"] == 80
        through_workspace = office.get(f"/workspace/office/{month}/reports/results.json")
        assert json.loads(through_workspace.body) == report
        office.get("/workspace/office/")
        assert office.post(f"/workspace/office/{month}/reopen", {"reason": "补录"}).status == 303
        items = dynamodb.scan(TableName=names["ResultsTable"])["Items"]
        assert not any(item["sk"]["S"] == "CLOSE" for item in items)
        actions = [e.action for e in staff.audit.month(month)]
        assert "served.set" in actions
        assert actions.count("month.close") == actions.count("month.reopen") == 1
        audit = office.get("/workspace/audit/")
        assert "填报服务对象数" in audit.text
