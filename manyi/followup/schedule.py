"""The follow-up's scheduled purge in AWS: what the retention function does with its event.

The daily schedule (infra/template.yaml: RetentionFunction, `RetentionDaily`) sends exactly
`{"action": "purge_followup"}`: remove the sealed names, phones, notes and reported text of
follow-ups done more than `followup.retention_days` ago (`manyi.followup.service.purge`), the
counts kept. Any other event is refused, so the function can be asked for nothing else. On one
machine `manyi serve`'s timer and `manyi followup purge` run the same purge.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from manyi.errors import ManyiError
from manyi.followup.service import Followup, purge
from manyi.model import Questionnaire

ACTION = "purge_followup"
# Who the audit log names for a purge nobody started by hand.
ACTOR = "schedule:retention"


class BadEvent(ManyiError, ValueError):
    """The event asks the retention function for something it does not do."""


def handle(
    event: Mapping[str, Any], questionnaire: Questionnaire, fu: Followup, now: datetime
) -> dict[str, Any]:
    if not isinstance(event, Mapping) or dict(event) != {"action": ACTION}:
        raise BadEvent(f'the retention function takes only {{"action": "{ACTION}"}}')
    config = questionnaire.followup
    if config is None:
        return {"action": ACTION, "purged": 0, "retention_days": None}
    purged = purge(fu, config, now, ACTOR)
    return {"action": ACTION, "purged": purged, "retention_days": config.retention_days}


def aws_followup_for_purge(dynamodb: Any = None) -> Followup:
    """The cases table (CASES_TABLE) and the audit log (AUDIT_TABLE), with no key at all: the
    purge removes sealed fields without opening them."""
    from manyi.store.cases.dynamodb import DynamoDBCaseStore
    from manyi.store.staff.dynamodb import DynamoDBAuditLog

    return Followup(
        DynamoDBCaseStore(os.environ["CASES_TABLE"], dynamodb),
        DynamoDBAuditLog(os.environ["AUDIT_TABLE"], dynamodb),
        sealer=None,
    )
