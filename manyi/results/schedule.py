"""What the scheduled aggregator does with an EventBridge event: aggregate, close or verify.

The schedules (infra/template.yaml) send their own input:
- `{"action": "aggregate"}` hourly: count what is new in the office's month and the one before,
  and rewrite their (open) results and reports;
- `{"action": "close"}` at 00:00 on the close day (`reporting.close_day` and `timezone`): close
  this month — on or after its close day only, so a misfired schedule cannot freeze a month
  early — and the one before if it was never closed, then write the frozen reports;
- `{"action": "verify", "months": ["YYYY-MM"]}` by hand: recount from scratch and compare;
- `{"action": "alerts"}` daily: publish the month's warnings to the SNS topic on the office's
  alert days (`{"action": "alerts", "force": true}`: now, whatever the day; see warnings.py).
`"months"` may name the months of any action (e.g. to catch up after an outage); a close of a
named month before its close day is refused. A plain EventBridge "Scheduled Event" (no input)
counts as aggregate. Anything else is refused: a reopen needs a person and a reason
(`manyi aggregate --aws --reopen`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from manyi.calendar import parse_month
from manyi.errors import ManyiError
from manyi.model import Questionnaire
from manyi.results.backends import Backend
from manyi.results.service import Action, Request, run_aggregator
from manyi.results.warning_subscriptions import TOPIC_VARIABLE
from manyi.results.warnings import publish_warnings, topic_from_environment

ACTIONS: tuple[Action, ...] = ("aggregate", "close", "verify")
# Who the close events of the schedule name.
SCHEDULE = "定时任务"
logger = logging.getLogger(__name__)


class BadEvent(ManyiError, ValueError):
    """The event asks for something the aggregator does not do."""


def parse_event(event: Mapping[str, Any]) -> Request:
    if not isinstance(event, Mapping):
        raise BadEvent("the event must be a JSON object")
    if event.get("detail-type") == "Scheduled Event":
        return Request("aggregate", None, by=SCHEDULE)
    action = event.get("action", "aggregate")
    if action not in ACTIONS:
        raise BadEvent(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    months = event.get("months")
    if months is None:
        return Request(action, None, by=SCHEDULE)
    if not isinstance(months, list) or not months or not all(isinstance(m, str) for m in months):
        raise BadEvent("`months` must be a non-empty list of YYYY-MM")
    try:
        return Request(action, tuple(sorted({parse_month(m) for m in months})), by=SCHEDULE)
    except ValueError as error:
        raise BadEvent(str(error)) from None


def handle(
    event: Mapping[str, Any],
    questionnaire: Questionnaire,
    backend: Backend,
    now: datetime,
    sns: Any = None,
) -> dict[str, Any]:
    if isinstance(event, Mapping) and event.get("action") == "alerts":
        return _alerts(event, questionnaire, backend, now, sns)
    request = parse_event(event)
    summary = run_aggregator(questionnaire, backend, request, now)
    if summary.unlisted:
        logger.warning("departments not in the questionnaire, counted by ID: %s", summary.unlisted)
    if request.action == "verify":
        for d in summary.disagreements:
            logger.error(
                "verify: %s %s stored %d+%d, recounted %d+%d",
                d.department, d.month, d.stored.counts.responses, d.stored.late.responses,
                d.recomputed.counts.responses, d.recomputed.late.responses,
            )  # fmt: skip
        return {
            "action": "verify",
            "months": summary.months,
            "agree": not summary.disagreements,
            "disagreements": [f"{d.department} {d.month}" for d in summary.disagreements],
        }
    if request.action == "close" and not summary.closed and not summary.already_closed:
        logger.warning("close: nothing to close on %s (before the close day)", now)
    result = {
        "action": request.action,
        "months": summary.months,
        "read": summary.read,
        "written": summary.written,
        "closed": summary.closed,
        "published": summary.published,
    }
    logger.info("aggregator run: %s", result)
    return result


def _alerts(
    event: Mapping[str, Any],
    questionnaire: Questionnaire,
    backend: Backend,
    now: datetime,
    sns: Any,
) -> dict[str, Any]:
    topic = topic_from_environment()
    if topic is None:
        raise BadEvent(f"alerts need the topic: ${TOPIC_VARIABLE} is not set")
    if sns is None:
        import boto3

        sns = boto3.client("sns")
    force = event.get("force", False)
    if not isinstance(force, bool):
        raise BadEvent("`force` must be true or false")
    result = publish_warnings(questionnaire, backend.results, now, sns, topic, force=force)
    logger.info("aggregator alerts: %s", result)
    return result
