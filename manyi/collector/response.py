"""The shape of every answer the collector gives, survey and complaints alike: a small value
that becomes the API Gateway (payload 2.0) result, and the JSON answer most routes give."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

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
