"""What an AWS error means for whoever must act: retry later, or fix the configuration.

A throttled table, a dropped connection or a service hiccup pass: the caller retries (a 503
with Retry-After to the page). A missing table or bucket, denied access, missing credentials or
region, an operation the endpoint does not know: no retry helps, so they are reported once,
in words that say what to check, and never dressed as "busy, try again".
"""

from __future__ import annotations

from typing import Any

from manyi.store.errors import StoreMisconfigured, StoreUnavailable

# Error codes that mean "not now", not "never": the client should retry after a pause.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "TransactionConflictException",
        "TransactionInProgressException",
        "LimitExceededException",
        "TransactionCanceledException",  # only when not cancelled by a condition: see callers
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NoSuchBucket", "TableNotFoundException"})
DENIED_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "MissingAuthenticationTokenException",
        "ExpiredTokenException",
        "ExpiredToken",
    }
)
# botocore's own errors (no AWS answer at all) that a retry can fix: the network.
TRANSIENT_CLIENT_ERRORS = frozenset(
    {
        "EndpointConnectionError",
        "ConnectionClosedError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionError",
        "HTTPClientError",
    }
)


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def store_error(error: BaseException, resource: str) -> StoreUnavailable | StoreMisconfigured:
    """The error a botocore exception becomes; `resource` names what was used, e.g.
    "DynamoDB table 'manyi-submissions'"."""
    code = error_code(error)
    if not code:  # botocore raised before AWS answered
        name = type(error).__name__
        if name in TRANSIENT_CLIENT_ERRORS or isinstance(error, ConnectionError):
            return StoreUnavailable(f"{resource} is unreachable: {name}: {error}")
        return StoreMisconfigured(f"{resource}: {name}: {error} (check the region and credentials)")
    message = _message(error)
    if code in TRANSIENT_CODES:
        reasons = _cancellation_reasons(error)
        return StoreUnavailable(f"{resource}: {code}{f' {reasons}' if reasons else ''}")
    if code in NOT_FOUND_CODES:
        return StoreMisconfigured(
            f"{resource} does not exist in this account and region ({code}): "
            "check the name and the region"
        )
    if code in DENIED_CODES:
        return StoreMisconfigured(
            f"access to {resource} was denied ({code}): the credentials in use lack a "
            f"permission, or are not valid here. AWS says: {message}"
        )
    if code == "UnknownOperationException":
        return StoreMisconfigured(
            f"{resource}: the endpoint does not know this operation ({code}): check the region "
            "and any endpoint override ($AWS_ENDPOINT_URL)"
        )
    return StoreMisconfigured(f"{resource}: AWS refused the request ({code}): {message}")


def _message(error: BaseException) -> str:
    response: dict[str, Any] = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


def _cancellation_reasons(error: BaseException) -> list[str]:
    response: dict[str, Any] = getattr(error, "response", None) or {}
    reasons = [r.get("Code") for r in response.get("CancellationReasons") or []]
    return [str(r) for r in reasons if r and r != "None"]
