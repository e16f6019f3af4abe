"""AWS Lambda entry point of the aggregator (EventBridge Scheduler): `app.lambda_handler`.

Everything lives in `manyi.results`; this file names the handler and finds the questionnaire
versions the artifact ships beside the collector (`lambda/collector/questionnaires/`, see
manyi/deploy/catalogue.py): the aggregator labels and scores with the current one.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from manyi.collector.versions import Catalogue
from manyi.results.backends import AwsNames, Backend, aws_backend
from manyi.results.schedule import handle

SHIPPED_QUESTIONNAIRES = Path(__file__).resolve().parents[1] / "collector" / "questionnaires"
logger = Logger()
_backend: list[Backend] = []  # made on the first run, kept while the sandbox lives


def _questionnaire_folder() -> Path:
    given = os.environ.get("MANYI_QUESTIONNAIRES")
    return Path(given) if given else SHIPPED_QUESTIONNAIRES


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not _backend:
        _backend.append(aws_backend(AwsNames.from_environment()))
    questionnaire = Catalogue.open(_questionnaire_folder()).current
    return handle(event, questionnaire, _backend[0], datetime.now(UTC))
