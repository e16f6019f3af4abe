"""infra/template.yaml keeps the contracts: tables, buckets, functions, roles, schedules, ARNs."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.deploy.template import loads_template, resources_of_type
from manyi.model import Questionnaire
from tests.cfn import TEMPLATE_PATH, Evaluator, create_tables, load_template, table_environment

ROOT = Path(__file__).resolve().parents[2]
STAFF_TABLES = ("AccountsTable", "SessionsTable", "AuditTable", "EntryTable")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, kind)


def walk(value: Any) -> Any:
    """Every string in a template fragment."""
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    elif isinstance(value, str):
        yield value


# -- the loader ------------------------------------------------------------------------------


def test_loader_turns_short_tags_into_their_long_form() -> None:
    text = """
    AWSTemplateFormatVersion: 2010-09-09
    A: !Ref Bucket
    B: !GetAtt Table.StreamSpecification.StreamViewType
    C: !Sub "arn:${AWS::Partition}:s3:::${Bucket}"
    D: !If [IsChina, !Join ["", [a, !Select [0, !Split [",", "x,y"]]]], !Ref AWS::NoValue]
    E: !Equals [!Condition Other, !GetAtt [Api, Arn]]
    """
    data = loads_template(text)
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"
    assert data["A"] == {"Ref": "Bucket"}
    assert data["B"] == {"Fn::GetAtt": ["Table", "StreamSpecification.StreamViewType"]}
    assert data["C"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"}
    assert data["D"] == {
        "Fn::If": [
            "IsChina",
            {"Fn::Join": ["", ["a", {"Fn::Select": [0, {"Fn::Split": [",", "x,y"]}]}]]},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert data["E"] == {"Fn::Equals": [{"Condition": "Other"}, {"Fn::GetAtt": ["Api", "Arn"]}]}


# -- partitions ------------------------------------------------------------------------------


def test_no_arn_hard_codes_the_partition(template: dict[str, Any]) -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert "arn:aws" not in text
    arns = [s for s in walk(template) if "arn:" in s]
    assert arns, "the template builds ARNs"
    for arn in arns:
        for match in re.finditer(r"\barn:(\$\{[^}]*\}|[^:]*):", arn):
            assert match.group(1) == "${AWS::Partition}", arn
    # Service domains too: amazonaws.com.cn in China.
    endpoints = [s for s in walk(template) if "execute-api" in s]
    assert endpoints
    assert all("${AWS::URLSuffix}" in s for s in endpoints)


# -- data ------------------------------------------------------------------------------------


def test_tables_follow_the_storage_contract(template: dict[str, Any]) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")
    # The workspace's tables (accounts, sessions, audit, entry) have their own test:
    # tests/integration/test_workspace_lambda.py; the complaints table:
    # tests/integration/test_complaints_aws.py; the follow-up's cases:
    # tests/integration/test_followup_aws.py.
    personal = ("ComplaintsTable", "CasesTable")
    integrity = ("NetworkKeysTable", "PressureTable")
    assert set(tables) == {
        "SubmissionsTable",
        "ResultsTable",
        *personal,
        *integrity,
        *STAFF_TABLES,
    }
    keys = tables["NetworkKeysTable"]
    # Keys must go for good once their month is closed: no retention, no restorable backup.
    assert keys["DeletionPolicy"] == "Delete"
    assert "PointInTimeRecoverySpecification" not in keys["Properties"]
    assert "DeletionProtectionEnabled" not in keys["Properties"]
    assert keys["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "expires_at"
    for name, table in tables.items():
        if name in (*STAFF_TABLES, *personal, "NetworkKeysTable"):
            continue
        assert table["DeletionPolicy"] == "Retain", name
        assert table["UpdateReplacePolicy"] == "Retain", name
        p = table["Properties"]
        assert p["BillingMode"] == "PAY_PER_REQUEST"
        assert p["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
        assert {(a["AttributeName"], a["AttributeType"]) for a in p["AttributeDefinitions"]} == {
            ("pk", "S"),
            ("sk", "S"),
        }
        assert "GlobalSecondaryIndexes" not in p
        assert "LocalSecondaryIndexes" not in p
        assert p["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert p["SSESpecification"]["SSEEnabled"] is True


def test_moto_tables_come_from_the_template_and_take_the_contract_keys() -> None:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="cn-north-1")
        names = create_tables(dynamodb, {"SubmissionsTable": "test-submissions"})
        assert names == {
            "SubmissionsTable": "test-submissions",
            "ResultsTable": "ResultsTable",
            "ComplaintsTable": "ComplaintsTable",
            "CasesTable": "CasesTable",
            "NetworkKeysTable": "NetworkKeysTable",
            "PressureTable": "PressureTable",
            **{name: name for name in STAFF_TABLES},
        }
        assert table_environment(names) == {
            "SUBMISSIONS_TABLE": "test-submissions",
            "RESULTS_TABLE": "ResultsTable",
            "ACCOUNTS_TABLE": "AccountsTable",
            "SESSIONS_TABLE": "SessionsTable",
            "AUDIT_TABLE": "AuditTable",
            "ENTRY_TABLE": "EntryTable",
            "COMPLAINTS_TABLE": "ComplaintsTable",
            "CASES_TABLE": "CasesTable",
            "NETWORK_KEYS_TABLE": "NetworkKeysTable",
            "PRESSURE_TABLE": "PressureTable",
        }
        table = dynamodb.Table("test-submissions")
        table.put_item(Item={"pk": "DM#sifaju#2026-11", "sk": "R#2026-11-27T07:00:00Z#abc"})
        month = table.query(
            KeyConditionExpression="pk = :pk AND sk > :mark",
            ExpressionAttributeValues={":pk": "DM#sifaju#2026-11", ":mark": "R#2026-11-27"},
        )
        assert month["Count"] == 1
        client = dynamodb.meta.client
        ttl = client.describe_time_to_live(TableName="test-submissions")
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
        backups = client.describe_continuous_backups(TableName="test-submissions")
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def test_buckets_are_private_and_reports_are_versioned(template: dict[str, Any]) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    assert set(buckets) == {"SiteBucket", "ReportsBucket"}
    for name, bucket in buckets.items():
        p = bucket["Properties"]
        assert set(p["PublicAccessBlockConfiguration"].values()) == {True}, name
        assert len(p["PublicAccessBlockConfiguration"]) == 4
        assert p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        assert "WebsiteConfiguration" not in p
    reports = buckets["ReportsBucket"]["Properties"]
    assert reports["VersioningConfiguration"] == {"Status": "Enabled"}
    assert reports["LifecycleConfiguration"]["Rules"]
    policies = resources(template, "AWS::S3::BucketPolicy")
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statements[0]["Sid"] == "TlsOnly"
        # Nothing is granted to everyone: the only "*" principal is in the TLS deny.
        for statement in statements[1:]:
            assert "Fn::If" in statement or statement["Principal"] != "*"


def test_pages_and_api_share_one_origin(template: dict[str, Any]) -> None:
    distribution = resources(template, "AWS::CloudFront::Distribution")["SiteDistribution"]
    config = distribution["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    # The bucket stays private: origin access control, or in China an origin access identity.
    assert origins["site"]["OriginAccessControlId"]["Fn::If"][:2] == [
        "GlobalCloudFront",
        {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]},
    ]
    oai = origins["site"]["S3OriginConfig"]["OriginAccessIdentity"]["Fn::If"]
    assert oai[0] == "ChinaCloudFront"
    assert "${SiteOriginAccessIdentity}" in oai[1]["Fn::Sub"]
    conditions = template["Conditions"]
    assert conditions["IsChina"] == {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-cn"]}
    assert "execute-api" in origins["api"]["DomainName"]["Fn::Sub"]
    # /api/* and the staff workspace (tests/integration/test_workspace_lambda.py) go to the
    # HTTP API.
    api, _workspace = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["TargetOriginId"] == "api"
    assert "POST" in api["AllowedMethods"]
    # The collector gets the phone's address (for its rate limit), never the site's Host.
    policy_id = api["OriginRequestPolicyId"]["Fn::If"]
    assert policy_id[0] == "GlobalCloudFront"
    policy = template["Resources"][policy_id[1]["Ref"]]["Properties"]
    headers = policy["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert "CloudFront-Viewer-Address" in headers["Headers"]
    assert "Host" not in headers["Headers"]
    legacy = api["ForwardedValues"]["Fn::If"][2]
    assert "Host" not in legacy["Headers"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site"
    http_api = resources(template, "AWS::Serverless::HttpApi")["HttpApi"]["Properties"]
    settings = http_api["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottleRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottleBurstLimit"}
    # CORS only where there is no shared origin, and then only for the site's own origin.
    cors = http_api["CorsConfiguration"]["Fn::If"]
    assert cors[0] == "UseCors"
    assert cors[1]["AllowOrigins"] == [{"Ref": "BaseUrl"}]


# -- functions -------------------------------------------------------------------------------


def test_functions_run_current_runtimes_bounded_and_logged(template: dict[str, Any]) -> None:
    lifecycle = _runtime_lifecycle()
    rows = template["Mappings"]["RegionDefaults"]
    runtimes = {row["Runtime"] for row in rows.values()}
    runtimes |= set(template["Parameters"]["FunctionRuntime"]["AllowedValues"]) - {""}
    for runtime in runtimes:
        assert runtime in lifecycle, runtime
        assert date.fromisoformat(lifecycle[runtime]["deprecated"]) > date.today(), runtime
    assert {row["Architecture"] for row in rows.values()} <= {"arm64", "x86_64"}
    assert rows["default"] == {"Runtime": "python3.13", "Architecture": "arm64"}
    functions = resources(template, "AWS::Serverless::Function")
    assert set(functions) == {
        "CollectorFunction",
        "AggregatorFunction",
        "CertificateWatchFunction",
        "WorkspaceFunction",
        "RetentionFunction",
        "ComplaintsPurgeFunction",
    }
    sizes = template["Mappings"]["Functions"]
    log_groups = resources(template, "AWS::Logs::LogGroup")
    for name, function in functions.items():
        p = function["Properties"]
        # Each function's size comes from the one place that sets every function's.
        row = name.removesuffix("Function")
        assert p["MemorySize"] == {"Fn::FindInMap": ["Functions", row, "MemorySize"]}
        assert p["Timeout"] == {"Fn::FindInMap": ["Functions", row, "Timeout"]}
        assert sizes[row]["MemorySize"] >= 128
        assert 0 < sizes[row]["Timeout"] <= 900
        log_group = p["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[log_group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # Reserved only when asked (manyi deploy asks when the account's quota allows it).
    collector = functions["CollectorFunction"]["Properties"]
    aggregator = functions["AggregatorFunction"]["Properties"]
    assert collector["ReservedConcurrentExecutions"]["Fn::If"][0] == "Reserve"
    assert aggregator["ReservedConcurrentExecutions"] == {
        "Fn::If": ["Reserve", 1, {"Ref": "AWS::NoValue"}]
    }
    assert template["Parameters"]["ReserveConcurrency"]["Default"] == "no"


@pytest.mark.parametrize(
    ("function", "path"),
    [("Collector", "collector"), ("Aggregator", "aggregator"), ("Retention", "retention")],
)
def test_handlers_are_the_contract_entry_points(
    template: dict[str, Any], function: str, path: str
) -> None:
    handler = template["Resources"][f"{function}Function"]["Properties"]["Handler"]
    assert handler == f"lambda/{path}/app.lambda_handler"


def test_the_certificate_watch_handler_is_an_entry_point(template: dict[str, Any]) -> None:
    handler = template["Resources"]["CertificateWatchFunction"]["Properties"]["Handler"]
    assert handler == "lambda/certificate_watch/app.lambda_handler"


def test_environment_names_the_contract_variables(template: dict[str, Any]) -> None:
    functions = resources(template, "AWS::Serverless::Function")
    collector = functions["CollectorFunction"]["Properties"]["Environment"]["Variables"]
    aggregator = functions["AggregatorFunction"]["Properties"]["Environment"]["Variables"]
    assert collector["SUBMISSIONS_TABLE"] == {"Ref": "SubmissionsTable"}
    assert collector["POWERTOOLS_SERVICE_NAME"] == "collector"
    assert "RESULTS_TABLE" not in collector  # the collector never touches results
    assert aggregator["SUBMISSIONS_TABLE"] == {"Ref": "SubmissionsTable"}
    assert aggregator["RESULTS_TABLE"] == {"Ref": "ResultsTable"}
    assert aggregator["REPORTS_BUCKET"] == {"Ref": "ReportsBucket"}
    assert aggregator["POWERTOOLS_SERVICE_NAME"] == "aggregator"


def test_rate_limit_keys_on_the_phones_address_behind_cloudfront(
    template: dict[str, Any],
) -> None:
    functions = resources(template, "AWS::Serverless::Function")
    collector = functions["CollectorFunction"]["Properties"]["Environment"]["Variables"]
    # The header the collector reads is one CloudFront fills in: through the origin request
    # policy in the global partition, X-Forwarded-For in China (which has no such policy).
    assert collector["MANYI_CLIENT_ADDRESS_HEADER"] == {
        "Fn::If": [
            "UseCloudFront",
            {"Fn::If": ["IsChina", "X-Forwarded-For", "CloudFront-Viewer-Address"]},
            "",
        ]
    }
    policy = resources(template, "AWS::CloudFront::OriginRequestPolicy")["ApiOriginRequests"]
    headers = policy["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]
    assert "CloudFront-Viewer-Address" in headers
    # ... believed only beside the secret CloudFront adds, current or (rotating) previous.
    assert collector["MANYI_ORIGIN_SECRETS"]["Fn::If"][1] == {
        "Fn::Join": [",", [{"Ref": "OriginSecret"}, {"Ref": "PreviousOriginSecret"}]]
    }
    config = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    (api,) = [o for o in config["Origins"] if o["Id"] == "api"]
    assert api["OriginCustomHeaders"] == [
        {"HeaderName": "X-Manyi-Origin", "HeaderValue": {"Ref": "OriginSecret"}}
    ]
    for name in ("OriginSecret", "PreviousOriginSecret"):
        assert template["Parameters"][name]["NoEcho"] is True


# -- least privilege -------------------------------------------------------------------------


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every statement a role may get: both branches of a conditional one."""
    policies = template["Resources"][role]["Properties"]["Policies"]
    statements = []
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                _, *branches = statement["Fn::If"]
                statements += [b for b in branches if b != {"Ref": "AWS::NoValue"}]
            else:
                statements.append(statement)
    return statements


def grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, resource) pairs, resources written as their logical ID or text."""
    pairs = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        given = statement["Resource"]
        for resource in given if isinstance(given, list) else [given]:
            for action in [actions] if isinstance(actions, str) else actions:
                pairs.add((action, _resource_name(resource)))
    return pairs


def _resource_name(resource: Any) -> str:
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        return ".".join(resource["Fn::GetAtt"])
    if "Ref" in resource:
        return str(resource["Ref"])
    return str(resource["Fn::Sub"])


def test_collector_role_stores_submissions_and_nothing_else(template: dict[str, Any]) -> None:
    # Complaints too (their conditions: tests/integration/test_complaints_aws.py).
    assert grants(role_statements(template, "CollectorRole")) == {
        ("dynamodb:PutItem", "SubmissionsTable.Arn"),
        ("dynamodb:GetItem", "SubmissionsTable.Arn"),
        ("dynamodb:GetItem", "ComplaintsTable.Arn"),
        ("dynamodb:PutItem", "ComplaintsTable.Arn"),
        ("dynamodb:UpdateItem", "ComplaintsTable.Arn"),
        ("dynamodb:DeleteItem", "ComplaintsTable.Arn"),
        ("kms:GenerateDataKey", "ComplaintsKey.Arn"),
        # The day's network key (manyi/collector/network.py): read, or made where missing.
        ("dynamodb:PutItem", "NetworkKeysTable.Arn"),
        ("dynamodb:GetItem", "NetworkKeysTable.Arn"),
        # The pressure question's answer: one count goes up, nothing is read.
        ("dynamodb:UpdateItem", "PressureTable.Arn"),
        ("logs:CreateLogStream", "CollectorLogGroup.Arn"),
        ("logs:PutLogEvents", "CollectorLogGroup.Arn"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }


def test_aggregator_role_reads_submissions_keeps_results_writes_reports(
    template: dict[str, Any],
) -> None:
    pairs = grants(role_statements(template, "AggregatorRole"))
    on_submissions = {action for action, resource in pairs if resource == "SubmissionsTable.Arn"}
    assert on_submissions == {"dynamodb:Query", "dynamodb:GetItem"}
    assert ("dynamodb:PutItem", "ResultsTable.Arn") in pairs
    assert ("sqs:SendMessage", "AggregatorFailures.Arn") in pairs
    on_keys = {action for action, resource in pairs if resource == "NetworkKeysTable.Arn"}
    assert on_keys == {"dynamodb:Query", "dynamodb:DeleteItem"}  # destroys, never makes keys
    on_pressure = {action for action, resource in pairs if resource == "PressureTable.Arn"}
    assert on_pressure == {"dynamodb:Query"}
    # Reports: read (a HEAD, to put only what changed) and written, never deleted.
    on_reports = {(a, r) for a, r in pairs if a.startswith("s3:")}
    assert on_reports == {
        ("s3:GetObject", "${ReportsBucket.Arn}/*"),
        ("s3:PutObject", "${ReportsBucket.Arn}/*"),
        ("s3:ListBucket", "ReportsBucket.Arn"),
    }


def test_the_aggregator_publishes_warnings_to_their_encrypted_topic_and_nowhere_else(
    template: dict[str, Any],
) -> None:
    pairs = grants(role_statements(template, "AggregatorRole"))
    topic = template["Resources"]["WarningsTopic"]["Properties"]
    arn = (
        "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
        + topic["TopicName"]["Fn::Sub"]
    )
    assert {(a, r) for a, r in pairs if a.startswith("sns:")} == {("sns:Publish", arn)}
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmKey"}
    function = template["Resources"]["AggregatorFunction"]["Properties"]
    assert function["Environment"]["Variables"]["WARNINGS_TOPIC"] == {"Ref": "WarningsTopic"}
    daily = function["Events"]["DailyWarnings"]["Properties"]
    assert daily["Input"] == '{"action": "alerts"}'
    assert daily["ScheduleExpressionTimezone"] == {"Ref": "ReportingTimezone"}
    office = template["Resources"]["WarningsOfficeSubscription"]["Properties"]
    assert office["FilterPolicy"] == {"audience": ["office"]}


def test_only_what_has_no_resource_level_permissions_gets_a_wildcard(
    template: dict[str, Any],
) -> None:
    for role, definition in resources(template, "AWS::IAM::Role").items():
        if "Policies" not in definition["Properties"]:
            continue
        for action, resource in grants(role_statements(template, role)):
            assert "*" not in action, (role, action)
            if resource == "*":
                assert action.startswith("xray:") or action == "iam:ListServerCertificates", (
                    role,
                    action,
                )


def test_xray_only_where_there_is_tracing(template: dict[str, Any]) -> None:
    def conditions_of(role: str) -> list[str]:
        policy = template["Resources"][role]["Properties"]["Policies"][0]
        statements = policy["PolicyDocument"]["Statement"]
        return [s["Fn::If"][0] for s in statements if "Fn::If" in s]

    assert conditions_of("CollectorRole") == ["TraceCollector"]
    assert conditions_of("AggregatorRole") == ["IsChina"]
    assert template["Conditions"]["TraceCollector"]["Fn::And"][0] == {
        "Fn::Not": [{"Condition": "IsChina"}]
    }


# -- schedules and failures ------------------------------------------------------------------


def test_monthly_close_runs_on_the_questionnaires_close_day_on_its_clock(
    template: dict[str, Any], questionnaire: Questionnaire
) -> None:
    from manyi.deploy.parameters import reporting_parameters

    events = template["Resources"]["AggregatorFunction"]["Properties"]["Events"]
    close = events["MonthlyClose"]
    assert close["Type"] == "ScheduleV2"
    p = close["Properties"]
    # What `manyi deploy` passes, from questionnaire.yaml's reporting settings.
    given = reporting_parameters(questionnaire.reporting)
    evaluate = Evaluator(template, given, partition="aws-cn", region="cn-north-1")
    assert evaluate(p["ScheduleExpressionTimezone"]) == questionnaire.reporting.timezone
    _minute, _hour, day, month, weekday, year = evaluate(p["ScheduleExpression"])[5:-1].split()
    assert int(day) == questionnaire.reporting.close_day
    assert (month, weekday, year) == ("*", "?", "*")
    assert p["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["AggregatorFailures", "Arn"]}
    regular = events["Hourly"]["Properties"]
    assert regular["ScheduleExpression"] == "cron(30 * * * ? *)"
    assert regular["ScheduleExpressionTimezone"] == {"Ref": "ReportingTimezone"}
    # The template's own defaults agree with the questionnaire shipped in this repository.
    parameters = template["Parameters"]
    assert parameters["CloseDay"]["Default"] == questionnaire.reporting.close_day
    assert parameters["ReportingTimezone"]["Default"] == questionnaire.reporting.timezone


def test_aggregator_failures_land_in_a_queue_with_an_alarm(template: dict[str, Any]) -> None:
    p = template["Resources"]["AggregatorFunction"]["Properties"]
    failure = p["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert failure == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["AggregatorFailures", "Arn"]}}
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    watched = {
        (a["Properties"]["MetricName"], _dimension(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms.values()
    }
    assert {
        ("Errors", "CollectorFunction"),
        ("Throttles", "CollectorFunction"),
        ("Errors", "AggregatorFunction"),
        ("Throttles", "AggregatorFunction"),
        ("ApproximateNumberOfMessagesVisible", "AggregatorFailures"),
    } <= watched
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def _dimension(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def _runtime_lifecycle() -> dict[str, Any]:
    import json

    import cfnlint

    path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
