"""`manyi deploy`: what CloudFormation receives, the uploads (moto S3) and the change-set dance.

moto's CloudFormation cannot expand the AWS::Serverless transform nor create CloudFront, HTTP
API or Scheduler resources, so: the template we send is expanded here by aws-sam-translator
(the library behind the transform) for both partitions, and the CloudFormation calls are
checked against botocore's Stubber, which validates every request against the service model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from manyi.calendar import OfficeCalendar
from manyi.cli import build_parser
from manyi.cli.deploy import Clients, deploy
from manyi.deploy.catalogue import CatalogueError, restore_versions
from manyi.deploy.health import HealthCheck
from manyi.deploy.partition import for_partition
from manyi.deploy.stack import (
    CAPABILITIES,
    CodeLocation,
    DeployError,
    deploy_stack,
    deployable_template,
    ensure_bucket,
    stack_parameters,
    template_argument,
    template_body,
    upload_artifact,
)
from manyi.deploy.template import load_template
from manyi.model import Questionnaire, normalized_with_version
from manyi.versions import publish
from tests.cfn import translate

REGION = "cn-north-1"
STACK = "manyi-prod"
STACK_ID = f"arn:aws-cn:cloudformation:{REGION}:123456789012:stack/{STACK}/1"
CODE = CodeLocation("manyi-deploy", "manyi/manyi-prod/lambda-0123456789abcdef0123.zip")


@pytest.mark.parametrize(
    ("region", "cdn"),
    [("cn-north-1", "cloudfront"), ("cn-northwest-1", "none"), ("ap-east-1", "cloudfront")],
)
def test_the_template_we_send_expands_in_both_partitions(region: str, cdn: str) -> None:
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    template = deployable_template(for_partition(load_template(), partition, region), CODE)
    assert template["Globals"]["Function"]["CodeUri"] == CODE.uri
    parameters = {
        "Stage": "prod",
        "Cdn": cdn,
        "BaseUrl": "https://manyi.example.cn",
        "OriginSecret": "x" * 40,
    }
    expanded = translate(template, region, parameters)
    resources = expanded["Resources"]
    functions = {k: r for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert {"CollectorFunction", "AggregatorFunction", "WorkspaceFunction"} <= set(functions)
    for function in functions.values():
        assert function["Properties"]["Code"] == {"S3Bucket": CODE.bucket, "S3Key": CODE.key}
    schedules = [r for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert {json.dumps(s["Properties"]["ScheduleExpressionTimezone"]) for s in schedules} == {
        json.dumps({"Ref": "ReportingTimezone"})
    }
    # What SAM generates builds its ARNs with the partition too.
    assert "arn:aws:" not in json.dumps(expanded)
    cors = resources["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]["Fn::If"]
    assert cors[1]["allowOrigins"] == ["https://manyi.example.cn"]


def test_body_is_json_and_compact() -> None:
    # Past CloudFormation's 51,200-byte TemplateBody limit the deploy sends a TemplateURL
    # (tested above); the body itself stays under its 1 MB limit.
    body = template_body(deployable_template(load_template(), CODE))
    assert len(body.encode("utf-8")) < 1_000_000
    assert json.loads(body)["Transform"] == "AWS::Serverless-2016-10-31"
    assert '"Fn::GetAtt"' in body
    assert "!Ref" not in body


def test_parameters_keep_their_values_on_update_and_typos_are_refused() -> None:
    template = load_template()
    assert stack_parameters(template, {"Stage": "dev"}, updating=False) == [
        {"ParameterKey": "Stage", "ParameterValue": "dev"}
    ]
    update = stack_parameters(template, {"Cdn": "none"}, updating=True)
    assert {"ParameterKey": "Cdn", "ParameterValue": "none"} in update
    assert {"ParameterKey": "Stage", "UsePreviousValue": True} in update
    assert len(update) == len(template["Parameters"])
    with pytest.raises(DeployError, match="Stgae"):
        stack_parameters(template, {"Stgae": "dev"}, updating=False)
    # A parameter the stack does not have yet (added to the template since) has no previous
    # value to keep: CloudFormation would refuse UsePreviousValue; it takes its default.
    older = stack_parameters(template, {}, updating=True, existing={"Stage", "Cdn"})
    assert older == [
        {"ParameterKey": "Stage", "UsePreviousValue": True},
        {"ParameterKey": "Cdn", "UsePreviousValue": True},
    ]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("s3", region_name=REGION)


def test_the_deployment_bucket_is_made_private_once(s3: Any) -> None:
    assert ensure_bucket(s3, "manyi-deploy", REGION) is True
    assert ensure_bucket(s3, "manyi-deploy", REGION) is False
    block = s3.get_public_access_block(Bucket="manyi-deploy")["PublicAccessBlockConfiguration"]
    assert set(block.values()) == {True}
    rules = s3.get_bucket_encryption(Bucket="manyi-deploy")["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_code_is_uploaded_under_its_content(s3: Any, tmp_path: Path) -> None:
    ensure_bucket(s3, "manyi-deploy", REGION)
    artifact = tmp_path / "lambda.zip"
    artifact.write_bytes(b"PK first")
    first = upload_artifact(s3, artifact, "manyi-deploy", STACK)
    assert upload_artifact(s3, artifact, "manyi-deploy", STACK) == first
    artifact.write_bytes(b"PK second")
    second = upload_artifact(s3, artifact, "manyi-deploy", STACK)
    assert second.key != first.key
    listed = s3.list_objects_v2(Bucket="manyi-deploy")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted([first.key, second.key])
    assert second.uri == f"s3://manyi-deploy/{second.key}"


def test_a_large_template_goes_through_the_bucket(s3: Any) -> None:
    ensure_bucket(s3, "manyi-deploy", REGION)
    small = template_argument(s3, "{}", "manyi-deploy", STACK, REGION, "amazonaws.com.cn")
    assert small == {"TemplateBody": "{}"}
    large_body = json.dumps({"Description": "x" * 60_000})
    large = template_argument(s3, large_body, "manyi-deploy", STACK, REGION, "amazonaws.com.cn")
    url = large["TemplateURL"]
    assert url.startswith(f"https://manyi-deploy.s3.{REGION}.amazonaws.com.cn/manyi/{STACK}/")
    key = url.split(".amazonaws.com.cn/", 1)[1]
    assert s3.get_object(Bucket="manyi-deploy", Key=key)["Body"].read() == large_body.encode()


# -- the change set --------------------------------------------------------------------------


def cloudformation() -> tuple[Any, Stubber]:
    client = boto3.client(
        "cloudformation",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, Stubber(client)


def no_stack(stubber: Stubber) -> None:
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {STACK} does not exist",
        http_status_code=400,
        expected_params={"StackName": STACK},
    )


def stack(
    stubber: Stubber,
    status: str,
    outputs: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
) -> None:
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": STACK,
                    "StackId": STACK_ID,
                    "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
                    "StackStatus": status,
                    "Parameters": [
                        {"ParameterKey": k, "ParameterValue": v}
                        for k, v in (parameters or {}).items()
                    ],
                    "Outputs": [
                        {"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()
                    ],
                }
            ]
        },
        {"StackName": STACK},
    )


def change_set(stubber: Stubber, status: str, reason: str = "", changes: int = 0) -> None:
    stubber.add_response(
        "describe_change_set",
        {
            "ChangeSetName": "manyi-x",
            "StackName": STACK,
            "Status": status,
            "StatusReason": reason,
            "Changes": [
                {
                    "Type": "Resource",
                    "ResourceChange": {
                        "Action": "Add",
                        "LogicalResourceId": f"Resource{i}",
                        "ResourceType": "AWS::DynamoDB::Table",
                    },
                }
                for i in range(changes)
            ],
        },
        {"StackName": STACK, "ChangeSetName": ANY},
    )


OUTPUTS = {"SiteBucketName": "manyi-site-abc", "DistributionId": "E2EXAMPLE"}


def test_a_new_stack_is_created_through_a_change_set() -> None:
    client, stubber = cloudformation()
    template = load_template()
    no_stack(stubber)
    stubber.add_response(
        "create_change_set",
        {
            "Id": "arn:aws-cn:cloudformation:cn-north-1:123456789012:changeSet/x/1",
            "StackId": STACK_ID,
        },
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": "CREATE",
            "Parameters": [{"ParameterKey": "Stage", "ParameterValue": "prod"}],
            "Capabilities": CAPABILITIES,
            "Tags": [{"Key": "project", "Value": "manyi"}],
            "Description": "manyi deploy",
            "TemplateBody": "{}",
        },
    )
    change_set(stubber, "CREATE_PENDING")
    change_set(stubber, "CREATE_COMPLETE", changes=2)
    stubber.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stack(stubber, "REVIEW_IN_PROGRESS")
    stack(stubber, "CREATE_IN_PROGRESS")
    stack(stubber, "CREATE_COMPLETE", OUTPUTS)
    stack(stubber, "CREATE_COMPLETE", OUTPUTS)
    lines: list[str] = []
    sleeps: list[float] = []
    with stubber:
        result = deploy_stack(
            client,
            stack=STACK,
            template=template,
            parameters={"Stage": "prod"},
            template_source={"TemplateBody": "{}"},
            tags={"project": "manyi"},
            log=lines.append,
            sleep=sleeps.append,
        )
    stubber.assert_no_pending_responses()
    assert result.changed
    assert result.outputs == OUTPUTS
    assert result.changes == (
        "Add Resource0 AWS::DynamoDB::Table",
        "Add Resource1 AWS::DynamoDB::Table",
    )
    assert len(sleeps) == 3
    assert lines[-1] == f"stack {STACK}: CREATE_COMPLETE"


def test_nothing_to_change_is_not_an_error() -> None:
    client, stubber = cloudformation()
    stack(stubber, "UPDATE_COMPLETE")
    stubber.add_response(
        "create_change_set",
        {"Id": "cs", "StackId": STACK_ID},
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": "UPDATE",
            "Parameters": ANY,
            "Capabilities": CAPABILITIES,
            "Tags": ANY,
            "Description": ANY,
            "TemplateBody": "{}",
        },
    )
    change_set(
        stubber,
        "FAILED",
        "The submitted information didn't contain changes. Submit different information.",
    )
    stubber.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stack(stubber, "UPDATE_COMPLETE", OUTPUTS)
    with stubber:
        result = deploy_stack(
            client,
            stack=STACK,
            template=load_template(),
            parameters={},
            template_source={"TemplateBody": "{}"},
            tags={},
            sleep=lambda _: None,
        )
    assert not result.changed
    assert result.outputs == OUTPUTS


def test_a_rolled_back_stack_says_what_failed() -> None:
    client, stubber = cloudformation()
    stack(stubber, "UPDATE_COMPLETE")
    stubber.add_response("create_change_set", {"Id": "cs", "StackId": STACK_ID}, None)
    change_set(stubber, "CREATE_COMPLETE", changes=1)
    stubber.add_response("execute_change_set", {}, None)
    stack(stubber, "UPDATE_ROLLBACK_COMPLETE")
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": STACK_ID,
                    "EventId": "2",
                    "StackName": STACK,
                    "LogicalResourceId": STACK,
                    "Timestamp": datetime(2026, 11, 27, 8, 1, tzinfo=UTC),
                    "ResourceStatus": "UPDATE_ROLLBACK_IN_PROGRESS",
                },
                {
                    "StackId": STACK_ID,
                    "EventId": "1",
                    "StackName": STACK,
                    "LogicalResourceId": "CollectorFunction",
                    "Timestamp": datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
                    "ResourceStatus": "UPDATE_FAILED",
                    "ResourceStatusReason": "Specified ReservedConcurrentExecutions ... 10",
                },
            ]
        },
        {"StackName": STACK},
    )
    with stubber, pytest.raises(DeployError, match="CollectorFunction: Specified Reserved"):
        deploy_stack(
            client,
            stack=STACK,
            template=load_template(),
            parameters={},
            template_source={"TemplateBody": "{}"},
            tags={},
            sleep=lambda _: None,
        )


def test_a_stack_that_never_got_created_must_be_deleted_first() -> None:
    client, stubber = cloudformation()
    stack(stubber, "ROLLBACK_COMPLETE")
    with stubber, pytest.raises(DeployError, match="Delete it"):
        deploy_stack(
            client,
            stack=STACK,
            template=load_template(),
            parameters={},
            template_source={"TemplateBody": "{}"},
            tags={},
        )


# -- the whole command -----------------------------------------------------------------------


def earlier(questionnaire: Questionnaire) -> dict[str, Any]:
    data = questionnaire.to_dict()
    del data["version"]
    data["title"] = "依法行政调查问卷（试行）"
    return normalized_with_version(data)


def test_restore_brings_back_the_versions_a_fresh_checkout_lacks(
    s3: Any, tmp_path: Path, questionnaire: Questionnaire
) -> None:
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    published = tmp_path / "published"
    old = Questionnaire.from_dict(earlier(questionnaire))
    today = OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC))
    publish(published, old, today - timedelta(days=40))
    publish(published, questionnaire, today - timedelta(days=3))
    for path in published.iterdir():
        s3.put_object(Bucket="site", Key=f"api/questionnaire/{path.name}", Body=path.read_bytes())
    dist = tmp_path / "dist"
    # A fresh checkout: `manyi build` wrote the current version only, and packaging once
    # started a history of its own.
    publish(dist / "api" / "questionnaire", questionnaire, today)
    restored = restore_versions(s3, "site", dist)
    assert sorted(restored) == sorted([f"{old.version}.json", "versions.json"])
    history = json.loads((dist / "api/questionnaire/versions.json").read_text(encoding="utf-8"))
    assert history == json.loads((published / "versions.json").read_text(encoding="utf-8"))
    assert restore_versions(s3, "site", dist) == []


def test_restore_keeps_the_deployed_history_and_appends_what_only_this_machine_has(
    s3: Any, tmp_path: Path, questionnaire: Questionnaire
) -> None:
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    old = Questionnaire.from_dict(earlier(questionnaire))
    other = Questionnaire.from_dict({**earlier(questionnaire), "title": "另一台机器部署的版本"})
    other = Questionnaire.from_dict(normalized_with_version(without_version(other)))
    day = OfficeCalendar("Asia/Shanghai", 27).today(datetime.now(UTC)) - timedelta(days=90)
    published = tmp_path / "published"
    # Deployed: old, then (from another machine) other, on day 50.
    publish(published, old, day)
    publish(published, other, day + timedelta(days=50))
    for path in published.iterdir():
        s3.put_object(Bucket="site", Key=f"api/questionnaire/{path.name}", Body=path.read_bytes())
    # This machine packaged old on day 20 and the current questionnaire on day 40.
    local = tmp_path / "dist" / "api" / "questionnaire"
    publish(local, old, day + timedelta(days=20))
    publish(local, questionnaire, day + timedelta(days=40))
    restore_versions(s3, "site", tmp_path / "dist")
    merged = json.loads((local / "versions.json").read_text(encoding="utf-8"))["versions"]
    # Neither re-dated (old keeps its deployed date) nor reordered by date (other, deployed
    # last, stays after old); the undeployed current version follows.
    assert [(e["version"], e["published"]) for e in merged] == [
        (old.version, day.isoformat()),
        (other.version, (day + timedelta(days=50)).isoformat()),
        (questionnaire.version, (day + timedelta(days=40)).isoformat()),
    ]


def test_a_broken_history_in_the_bucket_stops_the_restore_with_its_name(
    s3: Any, tmp_path: Path, questionnaire: Questionnaire
) -> None:
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="site", Key="api/questionnaire/versions.json", Body=b'{"versions": 1}')
    publish(tmp_path / "dist" / "api" / "questionnaire", questionnaire, datetime(2026, 1, 1).date())
    with pytest.raises(CatalogueError, match=r"s3://site/api/questionnaire/versions\.json"):
        restore_versions(s3, "site", tmp_path / "dist")


def without_version(questionnaire: Questionnaire) -> dict[str, Any]:
    return {k: v for k, v in questionnaire.to_dict().items() if k != "version"}


# A stack deployed from an earlier template: no origin secret, no reporting parameters yet.
EARLIER_PARAMETERS = {"Stage": "prod", "Cdn": "cloudfront", "CollectorConcurrency": "20"}


def stubbed(service: str, region: str) -> tuple[Any, Stubber]:
    client = boto3.client(
        service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


@pytest.mark.slow
def test_deploy_restores_packages_uploads_updates_and_checks_health(
    s3: Any, tmp_path: Path, questionnaire: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    old = Questionnaire.from_dict(earlier(questionnaire))
    s3.put_object(
        Bucket="site",
        Key=f"api/questionnaire/{old.version}.json",
        Body=json.dumps(old.to_dict(), ensure_ascii=False).encode(),
    )
    dist = tmp_path / "dist" / "api" / "questionnaire"
    dist.mkdir(parents=True)
    (dist / f"{questionnaire.version}.json").write_text(
        json.dumps(questionnaire.to_dict(), ensure_ascii=False), encoding="utf-8"
    )
    client, stubber = cloudformation()
    outputs = {
        **OUTPUTS,
        "SiteBucketName": "site",
        "HealthUrl": "https://manyi.example.cn/api/health",
    }
    stack(stubber, "UPDATE_COMPLETE")
    stack(stubber, "UPDATE_COMPLETE", parameters=EARLIER_PARAMETERS)
    stack(stubber, "UPDATE_COMPLETE", {"SiteBucketName": "site"})
    stack(stubber, "UPDATE_COMPLETE")
    stubber.add_response("create_change_set", {"Id": "cs", "StackId": STACK_ID}, None)
    change_set(stubber, "CREATE_COMPLETE", changes=1)
    stubber.add_response("execute_change_set", {}, None)
    stack(stubber, "UPDATE_COMPLETE", outputs)
    stack(stubber, "UPDATE_COMPLETE", outputs)
    # A new account's quota: nothing can be reserved.
    lambda_client, lambda_stub = stubbed("lambda", REGION)
    limits = {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}
    lambda_stub.add_response("get_account_settings", {"AccountLimit": limits}, {})
    # AWS Backup takes over DynamoDB backups here, to copy them to Ningxia.
    backup_here, backup_stub = stubbed("backup", REGION)
    backup_stub.add_response("describe_region_settings", {}, {})
    backup_stub.add_response(
        "update_region_settings",
        {},
        {
            "ResourceTypeOptInPreference": {"DynamoDB": True},
            "ResourceTypeManagementPreference": {"DynamoDB": True},
        },
    )
    backup_there = boto3.client("backup", region_name="cn-northwest-1")  # moto

    def other(service: str, where: str | None) -> Any:
        return {
            ("lambda", None): lambda_client,
            ("backup", None): backup_here,
            ("backup", "cn-northwest-1"): backup_there,
        }[service, where]

    args = build_parser().parse_args(
        [
            "deploy",
            "--stack",
            STACK,
            "--artifact-bucket",
            "manyi-deploy",
            "--region",
            REGION,
            "--grace-days",
            "45",
            "--parameter",
            "AlarmEmail=fzb@example.cn",
            "--dist",
            str(tmp_path / "dist"),
            "--cache",
            str(tmp_path / "build"),
        ]
    )
    clients = Clients(s3, client, REGION, "aws-cn", other)
    lines: list[str] = []
    sent: list[dict[str, Any]] = []
    checked: list[tuple[Any, ...]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    def check(url: str, version: str, **context: Any) -> HealthCheck:
        checked.append((url, version, context["china"]))
        return HealthCheck(False, ("健康检查失败：示例。",))

    client.meta.events.register("provide-client-params.cloudformation.CreateChangeSet", capture)
    with stubber, lambda_stub, backup_stub:
        assert deploy(args, clients, lines.append, check) == 2
    for stub in (stubber, lambda_stub, backup_stub):
        stub.assert_no_pending_responses()
    (request,) = sent
    # The template is over CloudFormation's 51,200-byte body limit: it goes by URL, a copy in
    # the deployment bucket.
    assert "TemplateBody" not in request
    key = request["TemplateURL"].split(".com.cn/", 1)[1]
    body = s3.get_object(Bucket="manyi-deploy", Key=key)["Body"].read().decode("utf-8")
    template = json.loads(body)
    # What China lacks is not sent there; the code is the uploaded artifact.
    assert "OriginAccessControl" not in body
    assert "CachePolicyId" not in body
    assert template["Globals"]["Function"]["CodeUri"].startswith(
        f"s3://manyi-deploy/manyi/{STACK}/"
    )
    given = {p["ParameterKey"]: p for p in request["Parameters"]}
    assert given["VersionGraceDays"]["ParameterValue"] == "45"
    assert given["AlarmEmail"]["ParameterValue"] == "fzb@example.cn"
    # The schedules follow questionnaire.yaml; a new secret, since the stack had none.
    assert given["CloseDay"]["ParameterValue"] == str(questionnaire.reporting.close_day)
    assert given["ReportingTimezone"]["ParameterValue"] == questionnaire.reporting.timezone
    assert len(given["OriginSecret"]["ParameterValue"]) == 64
    assert given["ReserveConcurrency"]["ParameterValue"] == "no"
    assert given["Stage"] == {"ParameterKey": "Stage", "UsePreviousValue": True}
    assert "FunctionRuntime" not in given  # new to the stack: its default
    assert any(
        "no concurrency reserved" in line and "get-account-settings" in line for line in lines
    )
    # The copy vault now waits in the other China region.
    assert backup_there.describe_backup_vault(BackupVaultName=f"manyi-{STACK}-copies")
    assert (dist / f"{old.version}.json").exists()  # restored from the site bucket
    assert f"next: manyi publish --bucket site --distribution {OUTPUTS['DistributionId']}" in lines
    code = [o["Key"] for o in s3.list_objects_v2(Bucket="manyi-deploy")["Contents"]]
    assert sorted(k.rsplit("-", 1)[0] for k in code) == [
        f"manyi/{STACK}/lambda",
        f"manyi/{STACK}/template",
    ]
    # The health check ran through the site's address, and its Chinese advice was printed.
    assert checked == [("https://manyi.example.cn/api/health", questionnaire.version, True)]
    assert "健康检查失败：示例。" in capsys.readouterr().err
