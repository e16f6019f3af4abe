"""`manyi serve`: the built site and the collector on one machine, through the Lambda's code.

Each request to `/api/` becomes the API Gateway HTTP API event (payload 2.0) the Lambda would
get and goes to the same handler (`manyi.collector.handler`); its answer is written back.
Everything else is a file of the built site. Submissions go to SQLite under the data folder.

The handler runs one request at a time, like one Lambda instance: Powertools' resolver keeps
the current event in class state, so it must not be entered by two threads at once. Reading
and writing sockets happens outside that lock, in a thread per connection.
"""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import mimetypes
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from manyi.collector.app import unavailable_result
from manyi.collector.handler import Handler
from manyi.collector.intake import FORM
from manyi.store.base import StoreUnavailable

if TYPE_CHECKING:
    from manyi.results.web import ResultsSite

# Bodies above this are refused before they are read; the collector's own limit (16 KB,
# answered 413 by the handler) is far below it.
MAX_READ_BYTES = 1024 * 1024
TEXT_TYPES = ("application/json", "text/")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".woff2": "font/woff2",
}
# The results pages take only a login form.
RESULTS_MAX_BODY = 4096
# A content hash in the name (site.3f2a9c1e.css) means the file never changes.
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[a-z0-9]+$")


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


def next_request_id() -> str:
    return f"{_RUN}-{next(_REQUESTS):x}"


def to_event(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) event of one request."""
    now = now or datetime.now(UTC)
    parts = urlsplit(target)
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    request_id = next_request_id()
    content_type = lowered.get("content-type", "")
    text = content_type.startswith(TEXT_TYPES)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": {
            "accountId": "local",
            "apiId": "manyi-serve",
            "domainName": lowered.get("host", "localhost"),
            "domainPrefix": lowered.get("host", "localhost").split(".")[0],
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if parts.query:
        pairs = [p.partition("=") for p in parts.query.split("&") if p]
        event["queryStringParameters"] = {unquote(k): unquote(v) for k, _, v in pairs}
    if body:
        # API Gateway passes text as text and anything else (forms included) as base64.
        try:
            event["body"] = body.decode("utf-8") if text else None
        except UnicodeDecodeError:
            event["body"] = None
        if event["body"] is None:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
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


class Site:
    """The built site's files, each with its Content-Type and Cache-Control."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def find(self, url_path: str) -> tuple[Path | None, str | None]:
        """The file of a URL path, or (None, a redirect target), or (None, None) if none."""
        relative = unquote(url_path).lstrip("/")
        candidate = (self.root / relative).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None, None
        if candidate.is_dir():
            if not url_path.endswith("/"):
                return None, url_path + "/"
            candidate = candidate / "index.html"
        return (candidate, None) if candidate.is_file() else (None, None)

    def headers_of(self, path: Path) -> dict[str, str]:
        suffix = path.suffix.lower()
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
        stat = path.stat()
        return {
            "Content-Type": content_type or "application/octet-stream",
            **self._policy(path),
            "ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        }

    def _policy(self, path: Path) -> dict[str, str]:
        """The site's own headers (CSP, caching), as the CDN serves them; simple ones without
        the site builder installed."""
        relative = "/" + path.relative_to(self.root).as_posix()
        try:
            from site_builder.policy import security_headers
        except ImportError:
            return {"Cache-Control": _cache_control(path), "X-Content-Type-Options": "nosniff"}
        return dict(security_headers(relative))


def _cache_control(path: Path) -> str:
    if path.suffix.lower() == ".html":
        # Pages carry the questionnaire version: check for a newer one on every visit.
        return "no-cache"
    if HASHED_NAME.search(path.name):
        return "public, max-age=31536000, immutable"
    return "public, max-age=3600"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        site: Site | None,
        wait_durable: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(address, RequestHandler)
        self.handler = handler
        self.site = site
        self.handler_lock = threading.Lock()
        self.wait_durable = wait_durable
        # The office's pages under /results/ (manyi.results.web), set by `manyi serve`.
        self.results: ResultsSite | None = None
        # The staff workspace under /workspace/ (manyi.workspace), set by `manyi serve`.
        self.workspace: Handler | None = None

    def invoke_workspace(self, event: dict[str, Any]) -> dict[str, Any]:
        # The same lock as the collector: Powertools keeps the current event in class state,
        # shared by every resolver in the process.
        assert self.workspace is not None
        with self.handler_lock:
            return self.workspace(event, LocalContext())

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.handler_lock:
            result = self.handler(event, LocalContext())
        if self.wait_durable is not None:
            # Outside the lock: the next requests write meanwhile, and one fsync covers them all.
            try:
                self.wait_durable()
            except StoreUnavailable as error:
                content_type = event["headers"].get("content-type", "")
                return unavailable_result(error.retry_after, FORM in content_type)
        return result


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without this, each keep-alive response
        # waits for the client's delayed ACK (tens of milliseconds).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return "manyi"

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the collector (which answers 405 where it does not apply),
        # rather than the base class's bare 501 page.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: at a thousand requests a second it would cost more than the work."""

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == "/api" or path.startswith("/api/"):
            self._collector()
        elif self.server.workspace is not None and (
            path == "/workspace" or path.startswith("/workspace/")
        ):
            self._collector(self.server.invoke_workspace)
        elif self.server.results is not None and (
            path == "/results" or path.startswith("/results/")
        ):
            self._results(path)
        else:
            self._static(path)

    def _results(self, path: str) -> None:
        if self.server.results is None:
            self._not_found()
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= RESULTS_MAX_BODY:
            self._plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "提交的内容过长。", close=True)
            return
        body = self.rfile.read(length) if length else b""
        query = urlsplit(self.path).query
        answer = self.server.results.handle(self.command, path, query, dict(self.headers), body)
        self._send(answer.status, list(answer.headers.items()), answer.body)

    def _collector(self, invoke: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._plain(HTTPStatus.LENGTH_REQUIRED, "需要 Content-Length。", close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._plain(HTTPStatus.BAD_REQUEST, "Content-Length 不正确。", close=True)
            return
        if length > MAX_READ_BYTES or length < 0:
            self._plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "提交的内容过长。", close=True)
            return
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        event = to_event(self.command, self.path, headers, body, self.client_address[0])
        status, response_headers, payload = from_result((invoke or self.server.invoke)(event))
        self._send(status, response_headers, payload)

    def _static(self, path: str) -> None:
        site = self.server.site
        if self.command not in ("GET", "HEAD"):
            self._plain(HTTPStatus.METHOD_NOT_ALLOWED, "不支持这种请求方式。", allow="GET, HEAD")
            return
        found, redirect = site.find(path) if site is not None else (None, None)
        if redirect is not None:
            query = urlsplit(self.path).query
            target = redirect + (f"?{query}" if query else "")
            self._send(HTTPStatus.MOVED_PERMANENTLY, [("Location", target)], b"")
            return
        if found is None or site is None:
            self._not_found()
            return
        headers = site.headers_of(found)
        if self.headers.get("If-None-Match") == headers["ETag"]:
            self._send(HTTPStatus.NOT_MODIFIED, list(headers.items()), b"", length=False)
            return
        self._send(HTTPStatus.OK, list(headers.items()), found.read_bytes())

    def _not_found(self) -> None:
        site = self.server.site
        page = site.root / "404.html" if site is not None else None
        if site is not None and page is not None and page.is_file():
            headers = {**site.headers_of(page), "Cache-Control": "no-cache"}
            self._send(HTTPStatus.NOT_FOUND, list(headers.items()), page.read_bytes())
            return
        hint = "" if site is not None else "（尚未构建网站：请先运行 manyi build）"
        self._plain(HTTPStatus.NOT_FOUND, f"没有这个网址。{hint}")

    def _plain(
        self, status: HTTPStatus, message: str, *, close: bool = False, allow: str | None = None
    ) -> None:
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
        if allow:
            headers.append(("Allow", allow))
        if close:
            headers.append(("Connection", "close"))
            self.close_connection = True
        self._send(status, headers, (message + "\n").encode("utf-8"))

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, length: bool = True
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)


def serve_forever(server: Server, announce: str) -> None:
    print(announce, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def wait_until_up(url: str, timeout: float = 10.0) -> None:
    """For scripts and tests: return when `url` answers, raise after `timeout` seconds."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - local URL
                json.load(response)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
