"""The collector as a Lambda handler: the routes under Powertools' Logger and Metrics.

`lambda/collector/app.py` and `manyi serve` both call `create_handler`; only the store and the
questionnaire folder differ. No X-Ray SDK: it builds two boto3 clients when imported, about
half a cold start on its own, and X-Ray is not offered in the China regions. Where the template
turns on active tracing, Lambda records each invocation's segments by itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from manyi.collector.app import Clock, Collector, utc_now
from manyi.collector.intake import Intake
from manyi.collector.network import NetworkHasher
from manyi.collector.ratelimit import AddressSource, RateLimit, RateLimiter
from manyi.store.network_keys.base import NetworkKeys
from manyi.store.pressure.base import PressureStore
from manyi.store.submissions.base import SubmissionStore
from manyi.versions import Catalogue, bundled_folder

if TYPE_CHECKING:
    from manyi.complaints.intake import ComplaintIntake
    from manyi.complaints.sources import ComplaintSources

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
SERVICE = "manyi-collector"
NAMESPACE = "manyi"
# Complaints per client address: a family or a small office may send a few in a row; nobody
# honest sends dozens.
COMPLAINT_LIMIT = RateLimit(burst=10, per_minute=2)


def create_handler(
    store: SubmissionStore,
    catalogue: Catalogue,
    *,
    rate_limit: RateLimit | None = None,
    clock: Clock = utc_now,
    api_url: str = "/api",
    addresses: AddressSource | None = None,
    complaints: ComplaintSources | Callable[[], ComplaintSources] | None = None,
    network_keys: NetworkKeys | None = None,
    pressure: PressureStore | None = None,
) -> Handler:
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE)
    logger = Logger(service=service)
    # Powertools keeps collecting (and prints every 100) even when metrics are disabled, so
    # where they are disabled (`manyi serve`), none are made.
    metrics = None if _metrics_disabled() else Metrics(namespace=_namespace())
    limiter = RateLimiter(rate_limit) if rate_limit is not None else None
    networks = NetworkHasher(network_keys) if network_keys is not None else None
    intake = Intake(catalogue, store, limiter, networks)

    def complaint_intake() -> ComplaintIntake:
        from manyi.complaints.intake import ComplaintIntake

        sources = complaints() if callable(complaints) else complaints
        assert sources is not None  # only made where complaints are configured
        limiter = RateLimiter(COMPLAINT_LIMIT) if rate_limit is not None else None
        return ComplaintIntake(catalogue, sources.store, sources.sealer, limiter)

    make = complaint_intake if complaints is not None else None
    app = Collector(intake, logger, metrics, clock, api_url, addresses, make, pressure)

    # Never the whole event, whatever an operator sets (POWERTOOLS_LOGGER_LOG_EVENT): its body
    # is a complaint's name and phone, or a citizen's answers.
    @logger.inject_lambda_context(log_event=False)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # What correlation_paths.API_GATEWAY_HTTP names, read directly: a JMESPath query per
        # request cost more than the rest of the logging (measured in manyi serve).
        logger.set_correlation_id(event.get("requestContext", {}).get("requestId"))
        try:
            return app.resolve(event, context)
        finally:
            # Only requests that counted something emit metrics (health checks do not).
            if metrics is not None and metrics.metric_set:
                metrics.flush_metrics()

    return handler


def create_lambda_handler() -> Handler:
    """The handler of the AWS function: DynamoDB, the questionnaires bundled with the code."""
    from manyi.complaints.sources import aws_complaint_sources
    from manyi.store.network_keys.dynamodb import DynamoDBNetworkKeys
    from manyi.store.pressure.dynamodb import DynamoDBPressureStore
    from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore

    keys_table = os.environ.get("NETWORK_KEYS_TABLE", "")
    pressure_table = os.environ.get("PRESSURE_TABLE", "")
    return create_handler(
        DynamoDBSubmissionStore(),
        Catalogue.open(bundled_folder()),
        rate_limit=RateLimit.from_environment(),
        api_url=os.environ.get("MANYI_API_URL", "/api"),
        # Behind CloudFront: the header with the phone's address and the origin secret.
        addresses=AddressSource.from_environment(),
        # Where the stack has a complaints table; its store and key are made on first use.
        complaints=aws_complaint_sources if os.environ.get("COMPLAINTS_TABLE") else None,
        network_keys=DynamoDBNetworkKeys(keys_table) if keys_table else None,
        pressure=DynamoDBPressureStore(pressure_table) if pressure_table else None,
    )


def _metrics_disabled() -> bool:
    return _truthy("POWERTOOLS_METRICS_DISABLED")


def _namespace() -> str:
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)


def _truthy(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes", "on")
