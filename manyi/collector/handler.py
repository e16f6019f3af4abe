"""The collector as a Lambda handler: the routes under Powertools' Logger, Metrics and Tracer.

`lambda/collector/app.py` and `manyi serve` both call `create_handler`; only the store and the
questionnaire folder differ. Tracing is on only where X-Ray is (a Lambda with active tracing):
the X-Ray SDK builds two boto3 clients when imported, about half a cold start on its own, so
elsewhere it is not imported at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from manyi.collector.app import Clock, build_resolver, utc_now
from manyi.collector.intake import Intake
from manyi.collector.ratelimit import RateLimit, RateLimiter
from manyi.store.base import SubmissionStore
from manyi.versions import Catalogue, bundled_folder

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
SERVICE = "manyi-collector"
NAMESPACE = "manyi"


def create_handler(
    store: SubmissionStore,
    catalogue: Catalogue,
    *,
    rate_limit: RateLimit | None = None,
    clock: Clock = utc_now,
    api_url: str = "/api",
    address_header: str | None = None,
) -> Handler:
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE)
    logger = Logger(service=service)
    # Powertools keeps collecting (and prints every 100) even when metrics are disabled, so
    # where they are disabled (`manyi serve`), none are made.
    metrics = None if _metrics_disabled() else Metrics(namespace=_namespace())
    limiter = RateLimiter(rate_limit) if rate_limit is not None else None
    intake = Intake(catalogue, store, limiter)
    app = build_resolver(intake, logger, metrics, clock, api_url, address_header)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return app.resolve(event, context)
        finally:
            # Only requests that counted something emit metrics (health checks do not).
            if metrics is not None and metrics.metric_set:
                metrics.flush_metrics()

    if tracing_enabled():
        from aws_lambda_powertools import Tracer

        return Tracer(service=service).capture_lambda_handler(handler)
    return handler


def create_lambda_handler() -> Handler:
    """The handler of the AWS function: DynamoDB, the questionnaires bundled with the code."""
    from manyi.store.dynamodb import DynamoDBSubmissionStore

    return create_handler(
        DynamoDBSubmissionStore(),
        Catalogue.open(bundled_folder()),
        rate_limit=RateLimit.from_environment(),
        api_url=os.environ.get("MANYI_API_URL", "/api"),
        # Set to CloudFront-Viewer-Address when the API is reached through CloudFront.
        address_header=os.environ.get("MANYI_CLIENT_ADDRESS_HEADER") or None,
    )


def tracing_enabled() -> bool:
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT"))
    xray = bool(os.environ.get("AWS_XRAY_DAEMON_ADDRESS"))
    return in_lambda and xray and not _truthy("POWERTOOLS_TRACE_DISABLED")


def _metrics_disabled() -> bool:
    return _truthy("POWERTOOLS_METRICS_DISABLED")


def _namespace() -> str:
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)


def _truthy(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes", "on")
