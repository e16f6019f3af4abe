"""The shape of every answer the collector gives, survey and complaints alike: a small value
that becomes the API Gateway (payload 2.0) result, and the JSON answer most routes give."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store"}


class Response(NamedTuple):
    status_code: int
    content_type: str
    body: str
    headers: dict[str, str]
    cookies: tuple[str, ...] = ()  # Set-Cookie values

    def result(self, extra_headers: Mapping[str, str]) -> dict[str, Any]:
        """The handler's result in the shape API Gateway (payload 2.0) expects."""
        headers = {"Content-Type": self.content_type, **extra_headers, **self.headers}
        result: dict[str, Any] = {
            "statusCode": self.status_code,
            "headers": headers,
            "body": self.body,
            "isBase64Encoded": False,
        }
        if self.cookies:
            result["cookies"] = list(self.cookies)
        return result


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(status, JSON_TYPE, text, headers or dict(NO_STORE))


class Answerable(Protocol):
    """What a submission, a complaint or a complaint lookup came to, as the answer needs it."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> Mapping[str, Any]: ...
    @property
    def from_form(self) -> bool: ...
    @property
    def retry_after(self) -> int | None: ...


def answer_headers(outcome: Answerable) -> tuple[dict[str, str], Response | None]:
    """An outcome's headers (never cached; Retry-After when rate-limited), with its whole
    answer when that is JSON: a script sent it, not a plain form (whose page the caller makes)."""
    headers = dict(NO_STORE)
    if outcome.retry_after is not None:
        headers["Retry-After"] = str(outcome.retry_after)
    return headers, None if outcome.from_form else json_response(
        outcome.status, outcome.body, headers
    )
