"""Any Lambda handler behind API Gateway (a Powertools resolver app) as a WSGI app.

Each request becomes the API Gateway HTTP API event (payload 2.0) the Lambda would get, and
the handler's result becomes the answer, so `manyi serve` runs the functions' very code.

Powertools keeps the current event in class state (`BaseRouter.current_event`), shared by every
resolver in the process: all mounted apps take turns under one lock, one request at a time,
like one Lambda instance each. What runs after the handler (the collector waits for its
SQLite commit) runs outside the lock, so requests do not queue behind an fsync.
"""

from __future__ import annotations

import base64
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from manyi.serving.wsgi import TOO_LARGE, Environ, StartResponse, plain, read_request, respond

Event = dict[str, Any]
Result = dict[str, Any]
Handler = Callable[[Event, Any], Result]
# Called after the handler, outside the lock, with the event and the handler's result.
After = Callable[[Event, Result], Result]

RESOLVER_LOCK = threading.Lock()
# The server refuses longer bodies before they are read (manyi.serving.server); each app
# keeps its own, smaller limit (the collector answers 413 above 16 KB).
MAX_BODY_BYTES = 1024 * 1024
TEXT_TYPES = ("application/json", "text/")


@dataclass(frozen=True)
class LocalContext:
    """What Powertools reads from a Lambda context."""

    aws_request_id: str = field(default_factory=lambda: next_request_id())
    function_name: str = "manyi-serve"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:manyi-serve"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# Unique within a process run and cheap: a random prefix per process, then a counter (a fresh
# UUID per request costs a system call for randomness on a path that runs a thousand times a
# second).
_RUN = base64.urlsafe_b64encode(os.urandom(6)).decode("ascii")
_REQUESTS = itertools.count(1)


REQUEST_ID_KEY = "manyi.request_id"


def next_request_id() -> str:
    return f"{_RUN}-{next(_REQUESTS):x}"


class LambdaApp:
    """A Lambda handler mounted in `manyi serve` (e.g. the collector at /api/)."""

    def __init__(self, handler: Handler, after: After | None = None) -> None:
        self.handler = handler
        self.after = after

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = read_request(environ, MAX_BODY_BYTES)
        if request is None:
            return plain(environ, start_response, 413, TOO_LARGE)
        # The server's ID for this request (manyi.serving.server), so the access-log line and
        # the collector's own log of it carry the same one.
        request_id = str(environ.get(REQUEST_ID_KEY) or next_request_id())
        # API Gateway tells every function the viewer's scheme. The server has already decided
        # it (https only when a trusted proxy said so) and dropped the proxy's own header.
        sent = request.headers
        sent["x-forwarded-proto"] = str(environ.get("wsgi.url_scheme") or "http")
        event = to_event(
            request.method,
            f"{request.path}?{request.query}" if request.query else request.path,
            sent,
            request.body,
            str(environ.get("REMOTE_ADDR") or ""),
            request_id=request_id,
        )
        with RESOLVER_LOCK:
            result = self.handler(event, LocalContext(aws_request_id=request_id))
        if self.after is not None:
            result = self.after(event, result)
        status, headers, payload = from_result(result)
        return respond(environ, start_response, status, headers, payload)


def to_event(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str,
    now: datetime | None = None,
    request_id: str | None = None,
) -> Event:
    """The API Gateway HTTP API (payload 2.0) event of one request."""
    now = now or datetime.now(UTC)
    path, _, query = target.partition("?")
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    content_type = lowered.get("content-type", "")
    host = lowered.get("host", "localhost")
    event: Event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "local",
            "apiId": "manyi-serve",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id or next_request_id(),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        pairs = [p.partition("=") for p in query.split("&") if p]
        event["queryStringParameters"] = {unquote(k): unquote(v) for k, _, v in pairs}
    if body:
        # API Gateway passes text as text and anything else (forms included) as base64.
        text = None
        if content_type.startswith(TEXT_TYPES):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


def from_result(result: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a handler's HTTP API response."""
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(v)) for v in values]
    headers += [("Set-Cookie", c) for c in result.get("cookies") or []]
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    return int(result.get("statusCode", 200)), headers, body
