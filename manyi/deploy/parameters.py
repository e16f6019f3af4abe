"""The template parameters `manyi deploy` decides itself rather than asking the operator.

- the schedules, from questionnaire.yaml's `reporting` (close day and time zone), every time;
- the origin secret CloudFront sends to the API: made when the stack is created, kept on
  updates, replaced on request with the old one still accepted until the next deployment;
- whether to reserve concurrency: only when the account's quota leaves Lambda's required 100
  unreserved executions afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, NamedTuple

from manyi.deploy.artifact import LambdaTarget
from manyi.model import Reporting

ORIGIN_HEADER = "X-Manyi-Origin"
# Lambda refuses a reservation that leaves fewer unreserved executions than this.
UNRESERVED_MINIMUM = 100
DEFAULT_COLLECTOR_CONCURRENCY = 20


class Decision(NamedTuple):
    parameters: dict[str, str]
    note: str  # what was decided and why, for the operator's log


def reporting_parameters(reporting: Reporting) -> dict[str, str]:
    """CloseDay and ReportingTimezone: the AWS schedules run on questionnaire.yaml's calendar."""
    return {"CloseDay": str(reporting.close_day), "ReportingTimezone": reporting.timezone}


def new_origin_secret() -> str:
    """64 characters of [A-Za-z0-9_-]: what the template's OriginSecret pattern takes."""
    return secrets.token_urlsafe(48)


def origin_secret(
    previous: Mapping[str, str] | None, rotate: bool, current: str | None
) -> Decision:
    """OriginSecret and PreviousOriginSecret for this deployment.

    `previous` holds the stack's parameters (None for a new stack); `current` is the value
    CloudFront sends today (read from the distribution), needed only to rotate.
    """
    if previous is None or "OriginSecret" not in previous:
        parameters = {"OriginSecret": new_origin_secret(), "PreviousOriginSecret": ""}
        return Decision(parameters, "made a new origin secret for CloudFront")
    if rotate:
        parameters = {"OriginSecret": new_origin_secret(), "PreviousOriginSecret": current or ""}
        return Decision(
            parameters,
            "rotated the origin secret; the old one is accepted until the next deployment",
        )
    # The secret keeps its value; an old one from a finished rotation is dropped.
    return Decision({"PreviousOriginSecret": ""}, "origin secret kept")


def current_origin_secret(cloudfront: Any, distribution_id: str) -> str | None:
    """The X-Manyi-Origin value the distribution sends to the API today, if any."""
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    for origin in config.get("Origins", {}).get("Items", []):
        for header in origin.get("CustomHeaders", {}).get("Items", []):
            if header.get("HeaderName", "").lower() == ORIGIN_HEADER.lower():
                return str(header["HeaderValue"])
    return None


def reservation(
    lambda_client: Any, previous: Mapping[str, str] | None, given: Mapping[str, str]
) -> Decision:
    """ReserveConcurrency: yes only when the account's quota allows it (or as given/before)."""
    if "ReserveConcurrency" in given:
        return Decision({}, f"ReserveConcurrency={given['ReserveConcurrency']} as given")
    if previous is not None and previous.get("ReserveConcurrency") == "yes":
        # Our own reservations count against the unreserved figure: keep the decision.
        return Decision({}, "concurrency stays reserved as before")
    wanted = int(
        given.get("CollectorConcurrency")
        or (previous or {}).get("CollectorConcurrency")
        or DEFAULT_COLLECTOR_CONCURRENCY
    )
    needed = wanted + 1  # the collector's, and one for the aggregator
    limits = lambda_client.get_account_settings()["AccountLimit"]
    unreserved = int(limits["UnreservedConcurrentExecutions"])
    quota = int(limits["ConcurrentExecutions"])
    if unreserved - needed >= UNRESERVED_MINIMUM:
        return Decision(
            {"ReserveConcurrency": "yes"},
            f"reserving {needed} concurrent executions (quota {quota}, {unreserved} unreserved)",
        )
    return Decision(
        {"ReserveConcurrency": "no"},
        f"no concurrency reserved: the account's quota is {quota} with {unreserved} unreserved, "
        f"and reserving {needed} must leave {UNRESERVED_MINIMUM}; ask Service Quotas for "
        f"'Concurrent executions' of at least {quota - unreserved + needed + UNRESERVED_MINIMUM} "
        "(check with `aws lambda get-account-settings`) and deploy again",
    )


def function_target(
    template: Mapping[str, Any],
    region: str,
    given: Mapping[str, str],
    previous: Mapping[str, str] | None,
) -> LambdaTarget:
    """The Python and architecture the functions will run on, so the artifact matches them:
    FunctionRuntime/FunctionArchitecture as given or as before, else the region's defaults."""
    defaults = template.get("Mappings", {}).get("RegionDefaults", {})
    row = defaults.get(region) or defaults.get("default") or {}

    def chosen(parameter: str, key: str, fallback: str) -> str:
        value = given.get(parameter)
        if value is None and previous is not None:
            value = previous.get(parameter)
        return value or str(row.get(key, fallback))

    return LambdaTarget.of_runtime(
        chosen("FunctionRuntime", "Runtime", "python3.13"),
        chosen("FunctionArchitecture", "Architecture", "arm64"),
    )
