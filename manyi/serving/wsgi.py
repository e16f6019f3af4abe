"""Reading a WSGI request and answering it: what every app of `manyi serve` shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import urlsplit

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]

# The answer to a body over an app's limit.
TOO_LARGE = "提交的内容过长。"

# PEP 3333 leaves these to the server.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


class Request(NamedTuple):
    """A request as the apps behind `manyi serve` take it in."""

    method: str
    path: str  # as sent: still percent-encoded
    query: str
    headers: dict[str, str]  # by lower-case name
    body: bytes


def read_request(environ: Environ, limit: int) -> Request | None:
    """The whole request, or None when its body is over `limit` (answer 413, TOO_LARGE)."""
    body = request_body(environ, limit)
    if body is None:
        return None
    path, query = request_target(environ)
    return Request(str(environ["REQUEST_METHOD"]), path, query, request_headers(environ), body)


def request_headers(environ: Environ) -> dict[str, str]:
    """The request's headers by lower-case name, as API Gateway gives them."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def request_target(environ: Environ) -> tuple[str, str]:
    """The path as sent (still percent-encoded) and the query string."""
    target = str(environ.get("REQUEST_URI") or "")
    if not target.startswith("/"):
        # The absolute form (`GET http://host/path`), or a server that does not give it.
        target = urlsplit(target).path or str(environ.get("PATH_INFO") or "/")
        query = str(environ.get("QUERY_STRING") or "")
        return target, query
    path, _, query = target.partition("?")
    return path, query


def request_body(environ: Environ, limit: int) -> bytes | None:
    """The body, or None if it is longer than `limit` (or says nothing sensible)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 <= length <= limit:
        return None
    return bytes(environ["wsgi.input"].read(length)) if length else b""


def respond(
    environ: Environ, start_response: StartResponse, status: int, headers: Headers, body: bytes
) -> list[bytes]:
    """Send a whole answer with its Content-Length; a HEAD gets the headers only."""
    kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP | {"content-length"}]
    kept.append(("Content-Length", str(len(body))))
    start_response(status_line(status), kept)
    return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def plain(
    environ: Environ,
    start_response: StartResponse,
    status: int,
    message: str,
    extra: Headers | None = None,
) -> list[bytes]:
    """A short answer in plain text (Chinese: people read it), never cached."""
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
    body = (message + "\n").encode("utf-8")
    return respond(environ, start_response, status, headers + (extra or []), body)


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"
