"""What each region really gets: the template `manyi deploy` sends, expanded by the SAM translator.

cfn-lint's China schemas accept things CloudFront and Lambda refuse there, so these tests say
what the China regions must not get (cache, origin request and response headers policies,
origin access control, tracing, X-Ray permissions) and what every region must get (an origin
secret, an alarm key CloudWatch may use, a budget, a backup plan), on the expanded template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from manyi.deploy.parameters import reporting_parameters
from manyi.deploy.partition import for_partition
from manyi.deploy.stack import CodeLocation, deployable_template
from manyi.model import Questionnaire
from tests.cfn import Evaluator, load_template, translate

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow

CODE = CodeLocation("manyi-deploy", "manyi/manyi-prod/lambda-0123456789abcdef0123.zip")
SECRET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"
REGIONS = [("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"), ("ap-southeast-1", "aws")]
CHINA = [r for r in REGIONS if r[1] == "aws-cn"]
POLICY_TYPES = {
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::OriginAccessControl",
}


def parameters(**extra: str) -> dict[str, str]:
    given = {
        "Stage": "prod",
        "Cdn": "cloudfront",
        "BaseUrl": "https://manyi.example.gov.cn",
        "DomainName": "manyi.example.gov.cn",
        "IamCertificateId": "ASCAEXAMPLECERTIFICATE",
        "OriginSecret": SECRET,
    }
    return given | extra


class Deployment:
    """The template sent to one region, expanded, and an evaluator for its intrinsics."""

    def __init__(self, region: str, partition: str, given: dict[str, str]) -> None:
        sent = deployable_template(for_partition(load_template(), partition, region), CODE)
        self.expanded: dict[str, Any] = translate(sent, region, given)
        self.resources: dict[str, Any] = self.expanded["Resources"]
        self.evaluate = Evaluator(self.expanded, given, partition=partition, region=region)
        self.text = json.dumps(self.expanded)

    def of_type(self, kind: str) -> dict[str, Any]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}

    def live(self, kind: str) -> dict[str, Any]:
        """Resources of a type that this deployment's conditions keep."""
        return {
            k: r
            for k, r in self.of_type(kind).items()
            if "Condition" not in r or self.evaluate.condition(r["Condition"])
        }

    def distribution(self) -> dict[str, Any]:
        (distribution,) = self.live("AWS::CloudFront::Distribution").values()
        config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
        return config


@pytest.fixture(scope="module", params=REGIONS, ids=[r for r, _ in REGIONS])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    region, partition = request.param
    return Deployment(region, partition, parameters())


@pytest.fixture(scope="module", params=CHINA, ids=[r for r, _ in CHINA])
def china(request: pytest.FixtureRequest) -> Deployment:
    region, partition = request.param
    return Deployment(region, partition, parameters())


# -- the China regions -----------------------------------------------------------------------


def test_china_cloudfront_has_no_policies_and_no_origin_access_control(china: Deployment) -> None:
    assert not {r["Type"] for r in china.resources.values()} & POLICY_TYPES
    config = china.distribution()
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    for behaviour in behaviours:
        assert not {"CachePolicyId", "OriginRequestPolicyId", "ResponseHeadersPolicyId"} & set(
            behaviour
        )
        # The legacy settings CloudFront in China takes instead.
        assert "ForwardedValues" in behaviour
        assert {"MinTTL", "DefaultTTL", "MaxTTL"} <= set(behaviour)
    (api,) = [b for b in behaviours if b.get("PathPattern") == "/api/*"]
    assert [api[k] for k in ("MinTTL", "DefaultTTL", "MaxTTL")] == [0, 0, 0]
    (site,) = [o for o in config["Origins"] if o["Id"] == "site"]
    assert "OriginAccessControlId" not in site
    assert "origin-access-identity/cloudfront/" in json.dumps(site["S3OriginConfig"])
    assert "OriginAccessControl" not in china.text


def test_china_has_no_tracing_and_no_xray_permission(china: Deployment) -> None:
    for name, function in china.of_type("AWS::Lambda::Function").items():
        assert "TracingConfig" not in function["Properties"], name
    assert "xray:" not in china.text


def test_china_keys_the_rate_limit_on_cloudfronts_forwarded_for_entry(china: Deployment) -> None:
    collector = china.resources["CollectorFunction"]["Properties"]["Environment"]["Variables"]
    assert china.evaluate(collector["MANYI_CLIENT_ADDRESS_HEADER"]) == "X-Forwarded-For"
    assert china.evaluate(collector["MANYI_ORIGIN_SECRETS"]).split(",")[0] == SECRET


# -- every region ----------------------------------------------------------------------------


def test_cloudfront_sends_the_origin_secret_to_the_api(deployment: Deployment) -> None:
    (api,) = [o for o in deployment.distribution()["Origins"] if o["Id"] == "api"]
    headers = {
        h["HeaderName"]: deployment.evaluate(h["HeaderValue"])
        for h in api.get("OriginCustomHeaders", [])
    }
    assert headers == {"X-Manyi-Origin": SECRET}


@pytest.mark.parametrize(("region", "partition"), REGIONS)
@pytest.mark.parametrize("override", [{}, {"FunctionRuntime": "python3.12"}])
def test_runtime_and_architecture_come_from_the_region_mapping(
    region: str, partition: str, override: dict[str, str]
) -> None:
    deployment = Deployment(region, partition, parameters(**override))
    row = load_template()["Mappings"]["RegionDefaults"]
    expected = row.get(region, row["default"])
    functions = deployment.live("AWS::Lambda::Function")
    assert set(functions) >= {"CollectorFunction", "AggregatorFunction"}
    for name, function in functions.items():
        p = function["Properties"]
        runtime = override.get("FunctionRuntime", expected["Runtime"])
        assert deployment.evaluate(p["Runtime"]) == runtime, name
        assert deployment.evaluate(p["Architectures"]) == [expected["Architecture"]], name
        assert p["Code"] == {"S3Bucket": CODE.bucket, "S3Key": CODE.key}
    if region == "cn-northwest-1":
        assert expected == {"Runtime": "python3.12", "Architecture": "x86_64"}


def test_the_alarm_topics_key_lets_cloudwatch_publish(deployment: Deployment) -> None:
    topic = deployment.resources["AlarmTopic"]["Properties"]
    key_id = topic["KmsMasterKeyId"]
    assert key_id == {"Ref": "AlarmKey"}, "a customer-managed key: aws/sns shuts CloudWatch out"
    key = deployment.resources["AlarmKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]

    def allowed(service: str) -> set[str]:
        actions: set[str] = set()
        for s in statements:
            services = s["Principal"].get("Service", []) if isinstance(s["Principal"], dict) else []
            if s["Effect"] == "Allow" and service in services:
                actions |= {s["Action"]} if isinstance(s["Action"], str) else set(s["Action"])
        return actions

    # Publishing to an encrypted topic takes a data key, and decrypting it.
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= allowed("cloudwatch.amazonaws.com")
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= allowed("budgets.amazonaws.com")
    # The account keeps the key in hand (else nobody could ever change its policy).
    root = [s for s in statements if "AWS" in s["Principal"] and s["Action"] == "kms:*"]
    assert root
    assert ":root" in json.dumps(root)
    alarms = deployment.of_type("AWS::CloudWatch::Alarm")
    assert alarms
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_a_budget_warns_the_alarm_topic_in_the_regions_currency(deployment: Deployment) -> None:
    (budget,) = deployment.live("AWS::Budgets::Budget").values()
    limit = budget["Properties"]["Budget"]["BudgetLimit"]
    china = deployment.evaluate.values["AWS::Partition"] == "aws-cn"
    assert deployment.evaluate(limit["Unit"]) == ("CNY" if china else "USD")
    assert deployment.evaluate(limit["Amount"]) == "100"
    for notification in budget["Properties"]["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [
            {"SubscriptionType": "SNS", "Address": {"Ref": "AlarmTopic"}}
        ]
    policy = deployment.of_type("AWS::SNS::TopicPolicy")["AlarmTopicPolicy"]["Properties"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert "budgets.amazonaws.com" in statement["Principal"]["Service"]


def test_a_daily_backup_plan_covers_both_tables(deployment: Deployment) -> None:
    (plan,) = deployment.of_type("AWS::Backup::BackupPlan").values()
    (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["ScheduleExpression"].startswith("cron(0 ")  # once a day
    (selection,) = deployment.of_type("AWS::Backup::BackupSelection").values()
    assert selection["Properties"]["BackupSelection"]["Resources"] == [
        {"Fn::GetAtt": ["SubmissionsTable", "Arn"]},
        {"Fn::GetAtt": ["ResultsTable", "Arn"]},
    ]
    vault = deployment.resources["BackupVault"]
    assert vault["DeletionPolicy"] == "Retain"
    copies = deployment.evaluate(rule.get("CopyActions", {"Ref": "AWS::NoValue"}))
    region = deployment.evaluate.values["AWS::Region"]
    if region.startswith("cn-"):
        other = {"cn-north-1": "cn-northwest-1", "cn-northwest-1": "cn-north-1"}[region]
        (copy,) = copies
        arn = deployment.evaluate(copy["DestinationBackupVaultArn"])
        assert arn == f"arn:aws-cn:backup:{other}:123456789012:backup-vault:manyi-manyi-test-copies"
    else:
        assert copies == "AWS::NoValue"


def test_the_china_certificate_is_watched_before_it_ends(china: Deployment) -> None:
    (watch,) = china.live("AWS::Lambda::Function").keys() - {
        "CollectorFunction",
        "AggregatorFunction",
        "WorkspaceFunction",
        "RetentionFunction",
        "ComplaintsPurgeFunction",
    }
    assert watch == "CertificateWatchFunction"
    alarm = china.live("AWS::CloudWatch::Alarm")["CertificateExpiryAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["TreatMissingData"]) == (
        "CertificateDaysLeft",
        30,
        "breaching",
    )


@pytest.mark.parametrize("close_day", [25, 27])
def test_the_schedules_follow_the_reporting_settings(
    questionnaire: Questionnaire, close_day: int
) -> None:
    reporting = questionnaire.reporting._replace(close_day=close_day, timezone="Asia/Urumqi")
    given = parameters() | reporting_parameters(reporting)
    deployment = Deployment("cn-north-1", "aws-cn", given)
    schedules = {
        name: r["Properties"] for name, r in deployment.live("AWS::Scheduler::Schedule").items()
    }
    close = schedules["AggregatorFunctionMonthlyClose"]
    assert deployment.evaluate(close["ScheduleExpression"]) == f"cron(0 0 {close_day} * ? *)"
    # The hourly run, at half past on the same clock, never starts with the close.
    hourly = schedules["AggregatorFunctionHourly"]
    assert deployment.evaluate(hourly["ScheduleExpression"]) == "cron(30 * * * ? *)"
    for schedule in schedules.values():
        assert deployment.evaluate(schedule["ScheduleExpressionTimezone"]) == "Asia/Urumqi"


def test_a_region_without_budgets_in_cloudformation_is_sent_none() -> None:
    # Hong Kong is an opt-in region whose CloudFormation lacks AWS::Budgets::Budget.
    sent = for_partition(load_template(), "aws", "ap-east-1")
    assert "MonthlyBudgetAlarm" not in sent["Resources"]
    assert (
        "MonthlyBudgetAlarm" in for_partition(load_template(), "aws", "ap-southeast-1")["Resources"]
    )
