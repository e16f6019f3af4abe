"""The aggregator's schedule publishes the warnings to SNS (moto): per department and the office,
filtered by subscription, on alert days only unless forced."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3
import pytest

from manyi.aggregate import Counts, MonthlyResult
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.cli import main
from manyi.model import Questionnaire
from manyi.results.schedule import BadEvent, handle
from manyi.results.warning_subscriptions import OFFICE_FILTER, subscribe
from manyi.store.results.base import DepartmentMonthState
from tests.aws import REGION
from tests.cfn import load_template
from tests.integration.test_alerts import q3
from tests.results_aws import FakeAws

TWENTIETH = datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING)
ELEVENTH = datetime(2026, 11, 11, 9, 0, tzinfo=BEIJING)


def put(aws: FakeAws, department: str, month: str, counts: Counts) -> None:
    store = aws.backend().results
    state = store.state(department, month)
    result = MonthlyResult(department, month, counts)
    store.put_state(DepartmentMonthState(result, state.version + 1, "R#x"), state.version)


@pytest.fixture
def warnings_topic(fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, str]:
    """SNS and SQS clients, and the warnings topic the schedule publishes to."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="warnings")["TopicArn"]
    monkeypatch.setenv("WARNINGS_TOPIC", topic)
    return sns, sqs, topic


def synthetic_month(aws: FakeAws) -> None:
    """sifaju: 40% on the 20th and 12 乱收费 of 40 against 1%; gonganju: on pace, 2 of 3; every
    other department silent."""
    for month in ("2026-08", "2026-09", "2026-10"):
        put(aws, "sifaju", month, q3(100, 1))
        put(aws, "gonganju", month, q3(100, 1))
    put(aws, "sifaju", "2026-11", q3(40, 12))
    put(aws, "gonganju", "2026-11", q3(3, 2))
    aws.backend().results.set_served({("2026-11", "sifaju"): 100, ("2026-11", "gonganju"): 4})


def queue(sqs: Any, name: str) -> tuple[str, str]:
    """An SQS queue standing in for a mailbox: its URL and ARN."""
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def subscribed_queue(sns: Any, sqs: Any, topic: str, name: str, policy: dict[str, Any]) -> str:
    url, arn = queue(sqs, name)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"},
    )
    return url


def received(sqs: Any, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def test_the_schedule_publishes_the_synthetic_cases_to_the_office_and_each_department(
    fake_aws: FakeAws, questionnaire: Questionnaire, warnings_topic: tuple[Any, Any, str]
) -> None:
    sns, sqs, topic = warnings_topic
    office = subscribed_queue(sns, sqs, topic, "office", {"audience": ["office"]})
    sifaju = subscribed_queue(sns, sqs, topic, "sifaju", {"department": ["sifaju"]})
    gonganju = subscribed_queue(sns, sqs, topic, "gonganju", {"department": ["gonganju"]})
    synthetic_month(fake_aws)

    skipped = handle({"action": "alerts"}, questionnaire, fake_aws.backend(), ELEVENTH, sns)
    assert skipped["published"] == 0
    assert received(sqs, office) == []

    done = handle({"action": "alerts"}, questionnaire, fake_aws.backend(), TWENTIETH, sns)
    silent = len(questionnaire.departments) - 2
    assert done["alerts"] == 2 + silent
    assert done["published"] == 1 + silent + 1  # sifaju, the silent ones, the office
    mine = received(sqs, sifaju)
    assert len(mine) == 1
    assert "平顶山市司法局 2026-11 满意度测评提醒（共2条）" in mine[0]
    assert "按目前进度关账时测评率达不到目标" in mine[0]
    assert "第3题乱收费、乱罚款的比例明显上升，本月40人中12人（30.0%）" in mine[0]
    assert received(sqs, gonganju) == []  # on pace, and 2 of 3 is no alarm
    digest = received(sqs, office)
    assert len(digest) == 1
    assert f"共{2 + silent}条，{1 + silent}个部门" in digest[0]

    forced = handle({"action": "alerts", "force": True}, questionnaire, fake_aws.backend(),
                    ELEVENTH, sns)  # fmt: skip
    assert forced["published"] == done["published"]
    with pytest.raises(BadEvent):
        handle({"action": "alerts", "force": "yes"}, questionnaire, fake_aws.backend(), ELEVENTH,
               sns)  # fmt: skip


def test_without_a_topic_the_alerts_event_is_refused(
    fake_aws: FakeAws, questionnaire: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WARNINGS_TOPIC", raising=False)
    with pytest.raises(BadEvent, match="WARNINGS_TOPIC"):
        handle({"action": "alerts"}, questionnaire, fake_aws.backend(), TWENTIETH)


# -- who receives them: subscriptions with a filter per department ----------------------------


def delivered(sqs: Any, url: str) -> list[str]:
    """The messages a subscription made by manyi received (SNS's envelope opened)."""
    return [json.loads(body)["Message"] for body in received(sqs, url)]


def test_each_address_receives_only_the_departments_it_subscribed_to(
    fake_aws: FakeAws, questionnaire: Questionnaire, warnings_topic: tuple[Any, Any, str]
) -> None:
    sns, sqs, topic = warnings_topic
    (office, office_arn), (clerk, clerk_arn), (both, both_arn), (police, police_arn) = (
        queue(sqs, name) for name in ("office", "clerk", "both", "police")
    )
    subscribe(sns, topic, office_arn, office=True, protocol="sqs")
    subscribe(sns, topic, clerk_arn, departments=["sifaju"], protocol="sqs")
    subscribe(sns, topic, both_arn, departments=["gonganju"], protocol="sqs")
    outcome, made = subscribe(sns, topic, both_arn, departments=["renfangban"], protocol="sqs")
    assert outcome == "changed"
    assert made.departments == ("gonganju", "renfangban")
    subscribe(sns, topic, police_arn, departments=["gonganju"], protocol="sqs")
    synthetic_month(fake_aws)

    handle({"action": "alerts"}, questionnaire, fake_aws.backend(), TWENTIETH, sns)
    [own] = delivered(sqs, clerk)
    assert own.startswith("平顶山市司法局 2026-11 满意度测评提醒（共2条）")
    # Two departments' clerk: renfangban's (silent) warning, nothing of gonganju (on pace).
    [theirs] = delivered(sqs, both)
    assert theirs.startswith("平顶山市人民防空办公室 2026-11")
    assert "本月还没有收到问卷" in theirs
    assert delivered(sqs, police) == []
    [digest] = delivered(sqs, office)
    assert "各部门满意度测评提醒" in digest
    assert "平顶山市司法局" in digest


def test_manyi_alerts_subscribe_lists_changes_and_unsubscribes(
    fake_aws: FakeAws, capsys: pytest.CaptureFixture[str]
) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="manyi-test-warnings")["TopicArn"]
    # The stack's output names the topic, as `manyi deploy` leaves it.
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="manyi-test",
        TemplateBody=json.dumps(
            {
                "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"WarningsTopicArn": {"Value": topic}},
            }
        ),
    )
    by_stack = ["--stack", "manyi-test", "--region", REGION]
    by_arn = ["--topic-arn", topic]

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["alerts", *args])
        out, err = capsys.readouterr()
        return code, out, err

    clerk = ["--email", "Clerk@sifaju.example.cn"]
    code, out, _ = run("subscribe", *clerk, "--department", "sifaju", *by_stack)
    assert code == 0
    assert out.startswith("subscribed: Clerk@sifaju.example.cn: sifaju 平顶山市司法局")
    code, out, _ = run("subscribe", "--email", "clerk@sifaju.example.cn", "--department", "司法局",
                       *by_arn)  # fmt: skip
    assert (code, out.split(":")[0]) == (0, "unchanged")
    code, out, _ = run("subscribe", *clerk, "--department", "gonganju", *by_arn)
    assert out.startswith("changed: Clerk@sifaju.example.cn: gonganju 平顶山市公安局, sifaju")
    assert run("subscribe", "--email", "office@pds.example.cn", "--office", *by_arn)[0] == 0
    # One address, one kind of subscription; unknown departments and bad addresses are refused.
    code, _, err = run("subscribe", *clerk, "--office", *by_arn)
    assert code == 2
    assert "receives department warnings" in err
    assert run("subscribe", *clerk, "--department", "nowhere", *by_arn)[0] == 2
    code, _, err = run("subscribe", "--email", "not-an-address", "--office", *by_arn)
    assert (code, "is not an e-mail address" in err) == (2, True)
    code, out, _ = run("subscriptions", *by_arn)
    assert out.splitlines() == [
        "office@pds.example.cn: the office's digest",
        "Clerk@sifaju.example.cn: gonganju 平顶山市公安局, sifaju 平顶山市司法局",
    ]
    policies = [
        json.loads(
            sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"][
                "FilterPolicy"
            ]
        )
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    ]
    assert {"audience": ["department"], "department": ["gonganju", "sifaju"]} in policies
    assert OFFICE_FILTER in policies

    code, out, _ = run("unsubscribe", *clerk, "--department", "gonganju", *by_arn)
    assert out.startswith("changed: Clerk@sifaju.example.cn: sifaju 平顶山市司法局")
    assert run("unsubscribe", *clerk, *by_arn)[1].startswith("unsubscribed")
    assert run("unsubscribe", *clerk, *by_arn)[0] == 2
    code, _, err = run("subscriptions")
    assert code == 2
    assert "--topic-arn ARN or --stack NAME" in err


def test_the_template_names_the_topic_and_filters_the_office_as_manyi_does() -> None:
    template = load_template()
    outputs = template["Outputs"]
    assert outputs["WarningsTopicArn"]["Value"] == {"Ref": "WarningsTopic"}
    office = template["Resources"]["WarningsOfficeSubscription"]["Properties"]
    assert office["FilterPolicy"] == OFFICE_FILTER
    assert office["FilterPolicyScope"] == "MessageAttributes"
