"""The workspace as a handler of API Gateway HTTP API events: in Lambda and in `manyi serve`.

`lambda/workspace/app.py` calls `create_lambda_handler` (DynamoDB, the private reports bucket);
`manyi serve` calls `create_handler` with the local stores of its data folder.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from manyi.collector.handler import Handler
from manyi.workspace.app import build_resolver
from manyi.workspace.context import Settings, Workspace

SERVICE = "manyi-workspace"


def create_handler(ws: Workspace) -> Handler:
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE)
    logger = Logger(service=service)
    app = build_resolver(ws, logger)

    # Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries session cookies,
    # uploaded case files (parties' names and phones) and self-service links' secrets.
    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
    )
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler


def create_lambda_handler(*, dynamodb: Any = None, s3: Any = None, kms: Any = None) -> Handler:
    """The AWS function: tables and bucket named by the environment, the questionnaires that
    ship with the code (the same folder as the collector's)."""
    from manyi.complaints.sources import aws_complaint_sources
    from manyi.results.backends import AwsNames, aws_backend, aws_client
    from manyi.store.entry.dynamodb import DynamoDBEntryStore
    from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores
    from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
    from manyi.versions import Catalogue, bundled_folder
    from manyi.workspace.reports import S3ReportFiles

    catalogue = Catalogue.open(bundled_folder())
    names = AwsNames.from_environment()
    if dynamodb is None:
        dynamodb = aws_client("dynamodb", names.region)
    backend = aws_backend(names, dynamodb, s3)
    bucket = os.environ.get("REPORTS_BUCKET")
    reports = S3ReportFiles(bucket, s3) if bucket else None
    # The store the collector writes: staff entry and imports go through it, exactly once.
    submissions = backend.submissions
    assert isinstance(submissions, DynamoDBSubmissionStore)
    entry_table = os.environ.get("ENTRY_TABLE")
    staff = aws_staff_stores(StaffTables.from_environment(), dynamodb)
    ws = Workspace(
        questionnaire=lambda: catalogue.current,
        staff=staff,
        results=backend.results,
        submissions=submissions,
        entry=DynamoDBEntryStore(entry_table, dynamodb) if entry_table else None,
        intake=submissions,
        outputs=backend.outputs,
        reports=reports,
        settings=Settings.from_environment(),
        complaints=aws_complaint_sources(dynamodb) if os.environ.get("COMPLAINTS_TABLE") else None,
        followup=aws_followup(staff.audit, dynamodb, kms),
        pressure=backend.pressure,
    )
    return create_handler(ws)


def aws_followup(audit: Any, dynamodb: Any = None, kms: Any = None) -> Any:
    """The follow-up on DynamoDB (CASES_TABLE), personal fields sealed under KMS data keys
    (PERSONAL_DATA_KEY); None where the stack has no cases table."""
    table = os.environ.get("CASES_TABLE")
    if not table:
        return None
    from manyi.followup.service import SEAL_KIND, Followup
    from manyi.sealing import KmsWrapper, Sealer
    from manyi.store.cases.dynamodb import DynamoDBCaseStore

    key = os.environ.get("PERSONAL_DATA_KEY", "")
    sealer = Sealer(KmsWrapper(key, kms), SEAL_KIND) if key else None
    return Followup(DynamoDBCaseStore(table, dynamodb), audit, sealer)
