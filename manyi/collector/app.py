"""The collector's HTTP routes and how outcomes map to responses: JSON for the page's script and
API clients, 303 or an HTML page for a plain form.

Three routes do not need a web framework: this module reads the API Gateway HTTP API event
(payload 2.0) itself and answers in the shape API Gateway expects. Powertools' resolver did the
same at the cost of about a fifth of a cold start (its event handler package imports every
resolver it has, asyncio among them), on the path where a citizen waits.

Every failure is a 4xx or a 503 with the same JSON shape; nothing unexpected leaves as a 500 or
a stack trace: the catch-all logs the exception (with the request's correlation ID, which the
Logger carries) and answers 503, so the page's script retries with the same ID. The one 500 is
a store that an operator must fix (a missing table, denied access): it is logged as an error
saying what to check, and the page's script keeps retrying until it is fixed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from manyi.collector import repeat
from manyi.collector.intake import FORM, Intake, Outcome, error_body, failure
from manyi.collector.ratelimit import AddressSource
from manyi.collector.response import (
    HTML_TYPE,
    JSON_TYPE,
    NO_STORE,
    Response,
    answer_headers,
    json_response,
)
from manyi.messages import SubmissionCode
from manyi.store.errors import StoreMisconfigured, StoreUnavailable
from manyi.versions import NoQuestionnaire

if TYPE_CHECKING:  # complaints import the crypto and the holiday calendar: not at cold start
    from manyi.complaints.intake import ComplaintIntake, ComplaintOutcome
    from manyi.store.pressure.base import PressureStore

Clock = Callable[[], datetime]
Event = dict[str, Any]
# What CloudFront's response headers policy adds in the global partition. The China regions
# have no such policy, so the collector sends them itself on every answer, in every partition.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
ROUTES = {
    "/api/submissions": "POST",
    "/api/complaints": "POST",
    "/api/complaints/status": "POST",
    "/api/pressure": "POST",
    "/api/health": "GET, HEAD",
    "/api/openapi.json": "GET, HEAD",
}
METRIC_OF_OUTCOME = {
    "stored": "SubmissionStored",
    "replayed": "SubmissionReplayed",
    "dropped": "SubmissionDropped",
    "recorded": "PressureRecorded",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Request(NamedTuple):
    """What the routes read of an API Gateway HTTP API event."""

    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case, as API Gateway delivers them
    body: bytes | None  # None: the body was sent as base64 that does not decode
    source_ip: str
    cookies: tuple[str, ...]  # `name=value` pairs, as API Gateway (payload 2.0) lists them

    @classmethod
    def of_event(cls, event: Mapping[str, Any]) -> Request:
        http = event.get("requestContext", {}).get("http", {})
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        return cls(
            method=str(http.get("method", "GET")).upper(),
            path=str(event.get("rawPath") or http.get("path") or "/"),
            headers=headers,
            body=_body(event),
            source_ip=str(http.get("sourceIp", "")),
            cookies=tuple(str(c) for c in event.get("cookies") or ()),
        )

    @property
    def from_form(self) -> bool:
        return FORM in self.headers.get("content-type", "")


class Collector:
    """The routes of one collector: `resolve(event, context)` answers one request."""

    def __init__(
        self,
        intake: Intake,
        logger: Logger,
        metrics: Metrics | None,
        clock: Clock = utc_now,
        api_url: str = "/api",
        addresses: AddressSource | None = None,
        complaints: Callable[[], ComplaintIntake] | None = None,
        pressure: PressureStore | None = None,
    ) -> None:
        self.intake = intake
        # The pressure question's counts (manyi.collector.pressure); None: not asked here.
        self.pressure = pressure
        # Made on the first complaint: the crypto and the holiday calendar stay off the cold
        # start of the survey's route.
        self._make_complaints = complaints
        self._complaints: ComplaintIntake | None = None
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.api_url = api_url
        self.addresses = addresses or AddressSource()
        self.extra_headers = {**SECURITY_HEADERS, **_transport_security()}
        self._openapi: tuple[str, str] | None = None  # (versions it lists, the document)

    def resolve(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        request = Request.of_event(event)
        try:
            response = self._route(request)
        except StoreUnavailable as error:
            self.logger.warning("store unavailable", extra={"reason": str(error)})
            self._count("StoreUnavailable")
            response = _unavailable(error.retry_after, request.from_form)
        except StoreMisconfigured as error:
            # Not "busy, retry in 30 s": nothing will change until an operator acts, so this
            # is an error (and the 5xx alarm rightly calls someone), with what to fix in the log.
            self.logger.error("store misconfigured", extra={"reason": str(error)})
            self._count("StoreMisconfigured")
            response = respond(failure(500, "server_error", request.from_form), self.api_url)
        except NoQuestionnaire as error:
            self.logger.error("no questionnaire published", extra={"reason": str(error)})
            response = _unavailable(60, request.from_form)
        except Exception:
            self.logger.exception("unexpected error; answered 503")
            self._count("UnexpectedError")
            response = _unavailable(5, request.from_form)
        return response.result(self.extra_headers)

    def _route(self, request: Request) -> Response:
        allowed = ROUTES.get(request.path)
        if allowed is None:
            return _error(404, "not_found")
        if request.method not in allowed.split(", "):
            answer = _error(405, "method_not_allowed")
            answer.headers["Allow"] = allowed
            return answer
        if request.path == "/api/submissions":
            return self.submit(request)
        if request.path.startswith("/api/complaints"):
            return self.complaint(request)
        if request.path == "/api/pressure":
            return self.answer_pressure(request)
        if request.path == "/api/health":
            return self.health()
        return self.openapi()

    def submit(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if request.body is None:
            outcome = failure(400, "malformed", "form" in content_type, detail="bad base64 body")
        else:
            address = self.addresses.address(request.source_ip, request.headers)
            sent = repeat.from_cookies(request.cookies)
            outcome = self.intake.submit(content_type, request.body, address, self.clock(), sent)
        self._count(METRIC_OF_OUTCOME.get(outcome.code, "SubmissionRejected"))
        self._log_refusal("submission refused", outcome)
        secure = request.headers.get("x-forwarded-proto", "") == "https"
        return respond(outcome, self.api_url, secure)

    def _log_refusal(self, message: str, outcome: Outcome | ComplaintOutcome) -> None:
        """A refused submission or complaint: its status, code and the fields at fault (their
        names and error codes only, never what was typed)."""
        if not outcome.accepted:
            fields = [f"{e.field}:{e.code}" for e in outcome.errors]
            extra = {"status": outcome.status, "code": outcome.code, "fields": fields}
            self.logger.info(message, extra=extra)

    def complaint(self, request: Request) -> Response:
        """A complaint, or a look at one's progress (manyi.complaints.intake)."""
        if self._make_complaints is None:
            return _error(404, "not_found")
        if self._complaints is None:
            self._complaints = self._make_complaints()
        intake = self._complaints
        from manyi.collector.complaints import complaint_response, lookup_response
        from manyi.complaints.intake import COOKIE as COMPLAINT_COOKIE

        content_type = request.headers.get("content-type", "")
        body = request.body if request.body is not None else b"\xff"
        address = self.addresses.address(request.source_ip, request.headers)
        secure = request.headers.get("x-forwarded-proto", "") == "https"
        if request.path.endswith("/status"):
            found = intake.lookup(content_type, body, address, self.clock())
            # Never the number or the code in a log line: only what happened.
            self.logger.info("complaint lookup", extra={"status": found.status, "code": found.code})
            self._count(
                "ComplaintLookupFound" if found.code == "found" else "ComplaintLookupMissed"
            )
            return lookup_response(intake, found, self.api_url)
        sent = repeat.from_cookies(request.cookies, COMPLAINT_COOKIE)
        outcome = intake.submit(content_type, body, address, self.clock(), sent)
        self._count("ComplaintStored" if outcome.code == "stored" else "ComplaintNotStored")
        self._log_refusal("complaint refused", outcome)
        return complaint_response(intake, outcome, self.api_url, secure)

    def answer_pressure(self, request: Request) -> Response:
        """The pressure question's answer: counted apart from every response."""
        if self.pressure is None:
            return _error(404, "not_found")
        from manyi.collector.pressure import record_pressure, thanks_page

        content_type = request.headers.get("content-type", "")
        if request.body is None:
            outcome = failure(400, "malformed", "form" in content_type, detail="bad base64 body")
        else:
            address = self.addresses.address(request.source_ip, request.headers)
            outcome = record_pressure(
                self.intake.catalogue,
                self.pressure,
                self.intake.limiter,
                content_type,
                request.body,
                address,
                self.clock(),
            )
        self._count(METRIC_OF_OUTCOME.get(outcome.code, "PressureRejected"))
        if outcome.accepted and outcome.from_form:
            return Response(200, HTML_TYPE, thanks_page(outcome.department), dict(NO_STORE))
        return respond(outcome, self.api_url)

    def health(self) -> Response:
        catalogue = self.intake.catalogue
        catalogue.follow_site(self.intake.calendar().today(self.clock()))
        return json_response(200, {"status": "ok", "version": catalogue.current.version})

    def openapi(self) -> Response:
        catalogue = self.intake.catalogue
        today = self.intake.calendar().today(self.clock())
        catalogue.follow_site(today)
        versions = catalogue.versions(today)
        # A build taken in while running changes the versions: the document follows.
        key = f"{catalogue.current.version}:{','.join(versions)}"
        if self._openapi is None or self._openapi[0] != key:
            from manyi.collector.openapi import openapi_document

            complaints = self._make_complaints is not None
            pressure = self.pressure is not None
            document = openapi_document(catalogue.current, versions, complaints, pressure)
            self._openapi = (key, json.dumps(document, ensure_ascii=False, indent=1))
        headers = {"Cache-Control": "public, max-age=300"}
        return Response(200, JSON_TYPE, self._openapi[1], headers)

    def _count(self, name: str) -> None:
        if self.metrics is not None:
            self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def respond(outcome: Outcome, api_url: str = "/api", secure: bool = False) -> Response:
    headers, as_json = answer_headers(outcome)
    if as_json is not None:
        return as_json
    cookie_path = f"{urlsplit(api_url).path}/submissions"
    if outcome.accepted:
        headers["Location"] = outcome.thanks or f"/d/{outcome.department}/thanks/"
        sent = [repeat.set_cookie(outcome.sent, cookie_path, secure)] if outcome.sent else []
        return Response(303, HTML_TYPE, "", headers, tuple(str(c) for c in sent))
    from manyi.collector.pages import error_page

    # Held back once: the next press of 提交 on that page stores the form.
    cleared = [repeat.clear_cookie(cookie_path, secure)] if outcome.code == "repeated" else []
    page = error_page(outcome, api_url)
    return Response(outcome.status, HTML_TYPE, page, headers, tuple(str(c) for c in cleared))


def _body(event: Mapping[str, Any]) -> bytes | None:
    raw = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(raw).encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _error(status: int, code: SubmissionCode, seconds: int | None = None) -> Response:
    return json_response(status, error_body(code, seconds=seconds))


def _unavailable(retry_after: int, from_form: bool) -> Response:
    outcome = failure(503, "unavailable", from_form, retry_after=retry_after, seconds=retry_after)
    return respond(outcome)


def _transport_security() -> dict[str, str]:
    """HSTS where the deployment serves HTTPS only (`MANYI_HSTS_SECONDS`, set behind CloudFront):
    an API answer on the site's own host then protects the pages too, which in the China regions
    get no such header from S3."""
    seconds = os.environ.get("MANYI_HSTS_SECONDS", "").strip()
    return {"Strict-Transport-Security": f"max-age={int(seconds)}"} if seconds.isdigit() else {}


def answer_after_commit(wait_durable: Callable[[], None]) -> Callable[[Event, Event], Event]:
    """For a store that commits after the handler has returned (SQLite in `manyi serve`, so
    that one fsync serves every request waiting): wait for this request's commit, and turn
    the answer into the 503 it should have been if the commit failed."""

    def after(event: Event, result: Event) -> Event:
        try:
            wait_durable()
        except StoreUnavailable as error:
            from_form = FORM in (event.get("headers") or {}).get("content-type", "")
            return _unavailable(error.retry_after, from_form).result(SECURITY_HEADERS)
        return result

    return after
