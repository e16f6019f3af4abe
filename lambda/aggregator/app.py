"""AWS Lambda entry point of the aggregator (EventBridge Scheduler): `app.lambda_handler`.

Everything lives in `manyi.results`; this file names the handler. The aggregator labels and
scores with the current questionnaire of the versions the artifact bundles
(`manyi.versions.bundled_folder`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from manyi.results.backends import AwsNames, Backend, aws_backend
from manyi.results.schedule import handle
from manyi.versions import Catalogue, bundled_folder

logger = Logger()
_backend: list[Backend] = []  # made on the first run, kept while the sandbox lives


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not _backend:
        _backend.append(aws_backend(AwsNames.from_environment()))
    questionnaire = Catalogue.open(bundled_folder()).current
    return handle(event, questionnaire, _backend[0], datetime.now(UTC))
