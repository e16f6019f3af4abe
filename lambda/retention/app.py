"""AWS Lambda entry point of the retention run (EventBridge Scheduler): `app.lambda_handler`.

Everything lives in `manyi.followup.schedule`; this file names the handler. The retention time
is the current questionnaire's (`followup.retention_days`), from the versions the artifact
bundles (`manyi.versions.bundled_folder`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from manyi.followup.schedule import aws_followup_for_purge, handle
from manyi.followup.service import Followup
from manyi.versions import Catalogue, bundled_folder

logger = Logger()
_followup: list[Followup] = []  # made on the first run, kept while the sandbox lives


# The event is the schedule's fixed input, never a person's data: logged as it came.
@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not _followup:
        _followup.append(aws_followup_for_purge())
    questionnaire = Catalogue.open(bundled_folder()).current
    summary = handle(event, questionnaire, _followup[0], datetime.now(UTC))
    logger.info("retention run", extra={"summary": summary})
    return summary
