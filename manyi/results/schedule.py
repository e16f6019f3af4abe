"""What the scheduled aggregator does with an EventBridge event: aggregate, close or verify.

The schedules (infra/template.yaml) send their own input:
- `{"action": "aggregate"}` hourly: count what is new in this Beijing month and the one before,
  and rewrite their (open) results and reports;
- `{"action": "close"}` at 00:00 on the close day, Asia/Shanghai: close this month — on or after
  `reporting.close_day` only, so a misfired schedule cannot freeze a month early — and the one
  before if it was never closed, then write the frozen reports;
- `{"action": "verify", "months": ["YYYY-MM"]}` by hand: recount from scratch and compare.
`"months"` may name the months of any action (e.g. to catch up after an outage). A plain
EventBridge "Scheduled Event" (no input) counts as aggregate. Anything else is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from manyi.calendar import OfficeCalendar, parse_month, previous_month
from manyi.model import Questionnaire
from manyi.results.backends import Backend
from manyi.results.outputs import publish_month
from manyi.results.run import Aggregator, default_months

ACTIONS = ("aggregate", "close", "verify")
logger = logging.getLogger(__name__)


class BadEvent(ValueError):
    """The event asks for something the aggregator does not do."""


@dataclass(frozen=True)
class Request:
    action: str
    months: tuple[str, ...] | None


def parse_event(event: Mapping[str, Any]) -> Request:
    if not isinstance(event, Mapping):
        raise BadEvent("the event must be a JSON object")
    if event.get("detail-type") == "Scheduled Event":
        return Request("aggregate", None)
    action = event.get("action", "aggregate")
    if action not in ACTIONS:
        raise BadEvent(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    months = event.get("months")
    if months is None:
        return Request(action, None)
    if not isinstance(months, list) or not months or not all(isinstance(m, str) for m in months):
        raise BadEvent("`months` must be a non-empty list of YYYY-MM")
    try:
        return Request(action, tuple(sorted({parse_month(m) for m in months})))
    except ValueError as error:
        raise BadEvent(str(error)) from None


def months_to_close(questionnaire: Questionnaire, backend: Backend, now: datetime) -> list[str]:
    """This month once its close day has come (Beijing time), and last month if still open.

    Last month is open only when its own close never ran (an outage); closing it now puts all
    of it in the report, since it has ended.
    """
    calendar = OfficeCalendar.of(questionnaire.reporting)
    current = calendar.month(now)
    out = []
    last = previous_month(current)
    if backend.results.month_close(last) is None:
        out.append(last)
    if calendar.early_close(current, now) is None:
        out.append(current)
    return out


def handle(
    event: Mapping[str, Any], questionnaire: Questionnaire, backend: Backend, now: datetime
) -> dict[str, Any]:
    request = parse_event(event)
    aggregator = Aggregator(questionnaire, backend.submissions, backend.results)
    months = list(request.months or default_months(aggregator.calendar, now))
    if request.action == "verify":
        disagreements = [d for month in months for d in aggregator.verify(month)]
        for d in disagreements:
            logger.error(
                "verify: %s %s stored %d+%d, recounted %d+%d",
                d.department, d.month, d.stored.counts.responses, d.stored.late.responses,
                d.recomputed.counts.responses, d.recomputed.late.responses,
            )  # fmt: skip
        return {
            "action": "verify",
            "months": months,
            "agree": not disagreements,
            "disagreements": [f"{d.department} {d.month}" for d in disagreements],
        }
    close: list[str] = []
    if request.action == "close":
        close = list(request.months or months_to_close(questionnaire, backend, now))
        months = sorted({*months, *close})
        if not close:
            logger.warning("close: nothing to close on %s (before the close day)", now)
    report = aggregator.run(now, months, close=close)
    published: list[str] = []
    if backend.outputs is not None:
        for month in report.months:
            published += publish_month(questionnaire, backend.results, month, backend.outputs)
    summary = {
        "action": request.action,
        "months": list(report.months),
        "read": report.read,
        "written": report.written,
        "closed": report.closed,
        "published": published,
    }
    logger.info("aggregator run: %s", summary)
    return summary
