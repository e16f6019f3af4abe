"""The aggregator's warnings in AWS: the month's alerts published to an SNS topic.

One message per department with warnings (message attribute `department` = its ID, `audience`
= department) and one digest for the office (`audience` = office), so that e-mail
subscriptions filter what they receive: the office's on {"audience": ["office"]}, a clerk's on
its departments' IDs (`manyi alerts subscribe`, manyi.results.warning_subscriptions). The
schedule asks daily; warnings go out on the office's alert days (`reporting.alert_days`) only,
or whenever the event says `"force": true` (on demand). A message holds figures and department
names, nothing personal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from manyi.alerts import Alert, is_alert_day, month_alerts
from manyi.calendar import OfficeCalendar
from manyi.model import Questionnaire
from manyi.results.warning_subscriptions import TOPIC_VARIABLE
from manyi.store.results.base import ResultsStore

# SNS takes subjects of at most 100 characters.
SUBJECT_LIMIT = 100


def warning_messages(
    questionnaire: Questionnaire, month: str, alerts: Sequence[Alert]
) -> list[dict[str, Any]]:
    """The SNS Publish requests (without TopicArn): per department, then the office's digest."""
    by_department: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_department.setdefault(alert.department.id, []).append(alert)
    messages = []
    for department, own in by_department.items():
        name = own[0].department.name
        body = [f"{name} {month} 满意度测评提醒（共{len(own)}条）：", ""]
        body += [f"{i}. {a.text}" for i, a in enumerate(own, start=1)]
        messages.append(
            _message(f"【提醒】{name} {month} 满意度测评", body, department, "department")
        )
    if alerts:
        body = [
            f"{month} 各部门满意度测评提醒（共{len(alerts)}条，{len(by_department)}个部门）：",
            "",
        ]
        body += [f"{i}. {a.text}" for i, a in enumerate(alerts, start=1)]
        office = questionnaire.office.name
        messages.append(_message(f"【提醒】{office} {month} 满意度测评", body, "", "office"))
    return messages


def _message(subject: str, lines: list[str], department: str, audience: str) -> dict[str, Any]:
    attributes = {"audience": {"DataType": "String", "StringValue": audience}}
    if department:
        attributes["department"] = {"DataType": "String", "StringValue": department}
    return {
        "Subject": subject[:SUBJECT_LIMIT],
        "Message": "\n".join(lines) + "\n",
        "MessageAttributes": attributes,
    }


def publish_warnings(
    questionnaire: Questionnaire,
    store: ResultsStore,
    now: datetime,
    client: Any,
    topic_arn: str,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Publish this month's warnings if today is an alert day (or forced); what was done."""
    month = OfficeCalendar.of(questionnaire.reporting).month(now)
    if not force and not is_alert_day(questionnaire, now):
        return {"action": "alerts", "month": month, "published": 0, "skipped": "not an alert day"}
    alerts = month_alerts(questionnaire, store, month, now)
    messages = warning_messages(questionnaire, month, alerts)
    for message in messages:
        client.publish(TopicArn=topic_arn, **message)
    return {"action": "alerts", "month": month, "alerts": len(alerts), "published": len(messages)}


def topic_from_environment() -> str | None:
    return os.environ.get(TOPIC_VARIABLE) or None
