"""AWS Lambda entry point of the daily complaints purge (EventBridge Scheduler).

The purge lives in `manyi.complaints.retention`; this file names the handler and logs its
counts (never a number, a name or a text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from manyi.complaints.retention import aws_purge

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, object]:
    summary = aws_purge(datetime.now(UTC)).to_dict()
    logger.info("complaints purged", extra=summary)
    return summary
