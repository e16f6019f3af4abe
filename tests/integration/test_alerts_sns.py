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
from manyi.model import Questionnaire
from manyi.results.schedule import BadEvent, handle
from manyi.store.results.base import DepartmentMonthState
from tests.aws import REGION
from tests.integration.test_alerts import q3
from tests.results_aws import FakeAws

TWENTIETH = datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING)
ELEVENTH = datetime(2026, 11, 11, 9, 0, tzinfo=BEIJING)


def put(aws: FakeAws, department: str, month: str, counts: Counts) -> None:
    store = aws.backend().results
    state = store.state(department, month)
    result = MonthlyResult(department, month, counts)
    store.put_state(DepartmentMonthState(result, state.version + 1, "R#x"), state.version)


def subscribed_queue(sns: Any, sqs: Any, topic: str, name: str, policy: dict[str, Any]) -> str:
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn["QueueArn"],
        Attributes={"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"},
    )
    return url


def received(sqs: Any, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def test_the_schedule_publishes_the_synthetic_cases_to_the_office_and_each_department(
    fake_aws: FakeAws, questionnaire: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="warnings")["TopicArn"]
    monkeypatch.setenv("WARNINGS_TOPIC", topic)
    office = subscribed_queue(sns, sqs, topic, "office", {"audience": ["office"]})
    sifaju = subscribed_queue(sns, sqs, topic, "sifaju", {"department": ["sifaju"]})
    gonganju = subscribed_queue(sns, sqs, topic, "gonganju", {"department": ["gonganju"]})
    # sifaju: 40% on the 20th and 12 乱收费 of 40 against 1%; gonganju: on pace, 2 of 3.
    for month in ("2026-08", "2026-09", "2026-10"):
        put(fake_aws, "sifaju", month, q3(100, 1))
        put(fake_aws, "gonganju", month, q3(100, 1))
    put(fake_aws, "sifaju", "2026-11", q3(40, 12))
    put(fake_aws, "gonganju", "2026-11", q3(3, 2))
    fake_aws.backend().results.set_served({("2026-11", "sifaju"): 100, ("2026-11", "gonganju"): 4})

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
