"""AWS Lambda entry point of the daily certificate check (EventBridge Scheduler).

The check lives in `manyi.watch`; this file reports its answer as a metric.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from manyi.watch import METRIC, days_left

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    certificate_id = os.environ["MANYI_CERTIFICATE_ID"]
    days = days_left(boto3.client("iam"), certificate_id, datetime.now(UTC))
    metrics.add_metric(name=METRIC, unit=MetricUnit.Count, value=days)
    logger.info("certificate checked", extra={"certificate": certificate_id, "days_left": days})
    return {"certificate": certificate_id, "days_left": days}
