"""The collector's HTTP routes (a Powertools `APIGatewayHttpResolver`) and how outcomes map to
responses: JSON for the page's script and API clients, 303 or an HTML page for a plain form.

Every failure is a 4xx or a 503 with the same JSON shape; nothing unexpected leaves as a 500 or
a stack trace: the catch-all handler logs the exception (with the request's correlation ID,
which the Logger carries) and answers 503, so the page's script retries with the same ID.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit

from manyi.collector import repeat
from manyi.collector.intake import FORM, Intake, Outcome, error_body, failure
from manyi.collector.versions import NoQuestionnaire, beijing_today
from manyi.messages import SubmissionCode
from manyi.store.base import StoreUnavailable

Clock = Callable[[], datetime]
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store"}
ROUTES = {
    "/api/submissions": "POST",
    "/api/health": "GET, HEAD",
    "/api/openapi.json": "GET, HEAD",
}
METRIC_OF_OUTCOME = {
    "stored": "SubmissionStored",
    "replayed": "SubmissionReplayed",
    "dropped": "SubmissionDropped",
    "repeated": "SubmissionRepeatHeld",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_resolver(
    intake: Intake,
    logger: Logger,
    metrics: Metrics | None,
    clock: Clock = utc_now,
    api_url: str = "/api",
    address_header: str | None = None,
) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()
    openapi_cache: dict[str, str] = {}

    def count(name: str) -> None:
        if metrics is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)

    @app.post("/api/submissions")
    def submit() -> Response[str]:
        event = app.current_event
        body = _body(event.raw_event)
        content_type = event.headers.get("content-type", "")
        if body is None:
            outcome = failure(400, "malformed", "form" in content_type, detail="bad base64 body")
        else:
            address = client_address(
                event.request_context.http.source_ip, event.headers, address_header
            )
            sent = repeat.from_cookies(event.raw_event.get("cookies") or ())
            outcome = intake.submit(content_type, body, address, clock(), sent)
        count(METRIC_OF_OUTCOME.get(outcome.code, "SubmissionRejected"))
        if not outcome.accepted:
            logger.info(
                "submission refused",
                extra={
                    "status": outcome.status,
                    "code": outcome.code,
                    "fields": [f"{e.field}:{e.code}" for e in outcome.errors],
                },
            )
        secure = event.headers.get("x-forwarded-proto", "") == "https"
        return respond(outcome, api_url, secure)

    @app.route("/api/health", method=["GET", "HEAD"])
    def health() -> Response[str]:
        body = {"status": "ok", "version": intake.catalogue.current.version}
        return _json(200, body)

    @app.route("/api/openapi.json", method=["GET", "HEAD"])
    def openapi() -> Response[str]:
        if "document" not in openapi_cache:
            from manyi.collector.openapi import openapi_document

            current = intake.catalogue.current
            versions = intake.catalogue.versions(beijing_today(clock()))
            document = openapi_document(current, versions)
            openapi_cache["document"] = json.dumps(document, ensure_ascii=False, indent=1)
        headers = {"Cache-Control": "public, max-age=300"}
        return Response(200, JSON_TYPE, openapi_cache["document"], headers)

    def not_found(error: NotFoundError) -> Response[str]:
        allowed = ROUTES.get(app.current_event.path)
        if allowed is not None:
            answer = _error(405, "method_not_allowed")
            answer.headers["Allow"] = allowed
            return answer
        return _error(404, "not_found")

    def store_unavailable(error: StoreUnavailable) -> Response[str]:
        logger.warning("store unavailable", extra={"reason": str(error)})
        count("StoreUnavailable")
        return _unavailable(error.retry_after, _from_form(app))

    def no_questionnaire(error: NoQuestionnaire) -> Response[str]:
        logger.error("no questionnaire published", extra={"reason": str(error)})
        return _unavailable(60, _from_form(app))

    def unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error; answered 503")
        count("UnexpectedError")
        return _unavailable(5, _from_form(app))

    # Registered by call, not as decorators: Powertools' decorator is untyped.
    app.exception_handler(NotFoundError)(not_found)
    app.exception_handler(StoreUnavailable)(store_unavailable)
    app.exception_handler(NoQuestionnaire)(no_questionnaire)
    app.exception_handler(Exception)(unexpected)
    return app


def respond(outcome: Outcome, api_url: str = "/api", secure: bool = False) -> Response[str]:
    headers = dict(NO_STORE)
    if outcome.retry_after is not None:
        headers["Retry-After"] = str(outcome.retry_after)
    if not outcome.from_form:
        return _json(outcome.status, outcome.body, headers)
    cookie_path = f"{urlsplit(api_url).path}/submissions"
    if outcome.accepted:
        headers["Location"] = outcome.thanks or f"/d/{outcome.department}/thanks/"
        cookies = [repeat.set_cookie(outcome.sent, cookie_path, secure)] if outcome.sent else []
        return Response(303, HTML_TYPE, "", headers, cookies=cookies)
    from manyi.collector.pages import error_page

    # Held back once: the next press of 提交 on that page stores the form.
    cookies = [repeat.clear_cookie(cookie_path, secure)] if outcome.code == "repeated" else []
    page = error_page(outcome, api_url)
    return Response(outcome.status, HTML_TYPE, page, headers, cookies=cookies)


def client_address(source_ip: str, headers: Any, address_header: str | None) -> str:
    """The address the rate limit keys on: behind a CDN, API Gateway's `sourceIp` is the edge
    server, shared by everyone nearby; the CDN names the phone's address in a header (e.g.
    `CloudFront-Viewer-Address: 203.0.113.7:46532`). Only a header the deployment names is
    trusted, since anyone calling the API directly could send it."""
    if address_header:
        given = str(headers.get(address_header.lower(), "")).strip()
        host, _, port = given.rpartition(":")
        if host and port.isdigit():
            return host
        if given:
            return given
    return source_ip


def _body(event: dict[str, Any]) -> bytes | None:
    raw = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(raw).encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(status, JSON_TYPE, text, headers or dict(NO_STORE))


def _error(status: int, code: SubmissionCode, seconds: int | None = None) -> Response[str]:
    return _json(status, error_body(code, seconds=seconds))


def _unavailable(retry_after: int, from_form: bool) -> Response[str]:
    outcome = failure(503, "unavailable", from_form, retry_after=retry_after, seconds=retry_after)
    return respond(outcome)


def unavailable_result(retry_after: int, from_form: bool) -> dict[str, Any]:
    """The 503 as a handler result, for `manyi serve` when a commit fails after the handler."""
    response = _unavailable(retry_after, from_form)
    return {
        "statusCode": response.status_code,
        "headers": {k: str(v) for k, v in response.headers.items()},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _from_form(app: APIGatewayHttpResolver) -> bool:
    return FORM in app.current_event.headers.get("content-type", "")
