"""A request as the workspace's pages read it, and the responses they give, with the headers
every answer carries.

Read from the API Gateway HTTP API event (payload 2.0) that Lambda and `manyi serve` both pass:
cookies, the query, a URL-encoded form. Pages take no JavaScript, so every state change is a
plain form POST answered with 303 (post/redirect/get).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie

from manyi.collector.ratelimit import AddressSource
from manyi.errors import ManyiError

HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"
UPLOAD_TYPE = "multipart/form-data"
JSON_TYPE = "application/json; charset=utf-8"
# Forms here are short (a reason, a note, a password, one keyed questionnaire).
MAX_FORM_BYTES = 16 * 1024
# Uploads (an Excel file of questionnaires, a case-system export) stay below Lambda's 6 MB
# request limit after base64: 10,000 questionnaires are about 0.5 MB as XLSX.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# No script at all; styles only from the workspace's own stylesheet; forms only to itself.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Upload:
    """A file sent with a form; held in memory for the request only, never written."""

    filename: str
    data: bytes


class BadRequest(ManyiError):
    """The request cannot be read (a body too long, not a form, not UTF-8)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Answered(ManyiError):
    """A page's answer given from inside a helper, the way werkzeug's abort() raises an
    HTTPException: a helper that finds nothing to act on (no such batch or case, the store
    not set up, a malformed month or filter) raises the finished response, and the one place
    that runs a route's page (manyi.workspace.app.handle) answers with it.

    Why: one early-exit path instead of helpers returning `value | Response` and every page
    checking which of the two it got and passing a page on; helpers return plain typed
    values. The response is complete when raised (made by html(), json_answer()
    or redirect(), so it carries SECURITY_HEADERS); the dispatcher still does everything it
    does after a page returns. It unwinds the page as a return from each frame would: keep
    `except Exception` out of pages, or it would swallow the answer. A ManyiError like
    BadRequest: what is wrong is the request's or the setup's, and the page says it.
    """

    def __init__(self, response: Response[Any]) -> None:
        super().__init__(f"answered {response.status_code} from inside the page")
        self.response = response


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    cookies: Mapping[str, str]
    headers: Mapping[str, str]
    address: str
    form: Mapping[str, list[str]] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)

    @property
    def wants_json(self) -> bool:
        """The keying page's script asks for JSON; a plain form gets a page."""
        return "application/json" in self.headers.get("accept", "")

    @property
    def https(self) -> bool:
        return self.headers.get("x-forwarded-proto", "").lower() == "https"

    def field(self, name: str, limit: int = 2000) -> str:
        """A form field's first value, trimmed, at most `limit` characters."""
        values = self.form.get(name) or [""]
        return values[0].strip()[:limit]

    def fields(self, name: str) -> list[str]:
        return [v.strip() for v in self.form.get(name, []) if v.strip()]


def read_request(event: Mapping[str, Any], addresses: AddressSource) -> Request:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    method = str(http.get("method", "GET")).upper()
    query = {k: v[0] for k, v in parse_qs(str(event.get("rawQueryString") or "")).items()}
    request = Request(
        method=method,
        path=str(event.get("rawPath") or http.get("path") or "/"),
        query=query,
        cookies=_cookies(event.get("cookies") or []),
        headers=headers,
        address=addresses.address(str(http.get("sourceIp", "")), headers),
    )
    if method != "POST":
        return request
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media == UPLOAD_TYPE:
        form, files = _multipart(_body(event, MAX_UPLOAD_BYTES), headers["content-type"])
        return Request(**{**request.__dict__, "form": form, "files": files})
    body = _body(event, MAX_FORM_BYTES)
    if media != FORM_TYPE:
        raise BadRequest(415, "只接受网页表单提交。")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "提交的内容无法识别。") from None
    form = parse_qs(text, keep_blank_values=True, max_num_fields=200)
    return Request(**{**request.__dict__, "form": form})


def _multipart(body: bytes, content_type: str) -> tuple[dict[str, list[str]], dict[str, Upload]]:
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", errors="replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest(400, "提交的内容无法识别。")
    form: dict[str, list[str]] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or len(form) + len(files) > 200:
            continue
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            # Browsers send the name as raw UTF-8, which the parser kept as escaped bytes.
            raw_name = filename.encode("utf-8", "surrogateescape")
            shown = raw_name.decode("utf-8", "replace")
            files.setdefault(name, Upload(shown[:200], payload))
            continue
        try:
            form.setdefault(name, []).append(payload.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadRequest(400, "提交的内容无法识别。") from None
    return form, files


def _body(event: Mapping[str, Any], limit: int) -> bytes:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(400, "提交的内容无法识别。") from None
    else:
        body = str(raw).encode("utf-8", errors="replace")
    if len(body) > limit:
        raise BadRequest(
            413, "提交的内容过长。" if limit == MAX_FORM_BYTES else "文件过大（最大 4 MB）。"
        )
    return body


def _cookies(pairs: list[str]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for pair in pairs:
        for part in str(pair).split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name and name not in cookies:
                cookies[name] = value
    return cookies


def html(body: str, status: int = 200, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(status, HTML_TYPE, body, {**SECURITY_HEADERS}, cookies or [], compress=True)


def json_answer(body: Mapping[str, Any], status: int = 200) -> Response[str]:
    """For the keying page's script; the same headers as every page."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(status, JSON_TYPE, text, {**SECURITY_HEADERS})


def redirect(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(303, TEXT_TYPE, "", {**SECURITY_HEADERS, "Location": location}, cookies or [])


def download(data: bytes, content_type: str, filename: str) -> Response[Any]:
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
    }
    if content_type.startswith("application/json"):
        # Powertools would serialize a JSON body that is not text a second time.
        return Response(200, content_type, data.decode("utf-8"), headers, compress=True)
    return Response(200, content_type, data, headers, compress=True)
