"""The collector as the page sees it, inside the browser tests, until the real one lands.

Playwright's request routing answers every request of `http://manyi.test`: files from a built
`dist/`, and `POST /api/submissions` the way `manyi.submission` describes, by calling the real
`parse_json` / `parse_form` and `check_answers` and the real `render_form_page` for a plain
form with errors. Tests switch it offline or busy to script network failures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from manyi.answers import check_answers
from manyi.calendar import OfficeCalendar
from manyi.messages import submission_message
from manyi.model import Questionnaire
from manyi.submission import (
    SUBMISSION_ID_PATTERN,
    FieldError,
    MalformedSubmission,
    SubmissionRequest,
    parse_form,
    parse_json,
    utc_timestamp,
)
from site_builder.paths import thanks_path
from site_builder.render import render_form_page

ORIGIN = "http://manyi.test"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@dataclass
class FakeCollector:
    dist: Path
    questionnaire: Questionnaire
    # What the collector accepts; set it to something else to make every page stale.
    current_version: str = ""
    offline: bool = False
    busy: int = 0  # answer this many submissions with 503 + Retry-After first
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.current_version = self.current_version or self.questionnaire.version

    def install(self, context: Any) -> None:
        context.route(f"{ORIGIN}/**", self.handle)

    def handle(self, route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path.startswith("/api/"):
            if self.offline:
                route.abort("internetdisconnected")
                return
            if path == "/api/submissions" and request.method == "POST":
                route.fulfill(**self.submit(request.headers, request.post_data_buffer or b""))
                return
            route.fulfill(**_json(404, {"error": {"code": "not_found", "message": "无此接口"}}))
            return
        route.fulfill(**self.static(path))

    def static(self, path: str) -> dict[str, Any]:
        relative = path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        file = (self.dist / relative).resolve()
        if self.dist.resolve() not in file.parents or not file.is_file():
            return {"status": 404, "body": "not found", "content_type": "text/plain"}
        return {
            "status": 200,
            "body": file.read_bytes(),
            "headers": {"Content-Type": CONTENT_TYPES[file.suffix]},
        }

    def submit(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        from_form = headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        try:
            request = parse_form(body) if from_form else parse_json(body)
        except MalformedSubmission as error:
            return _json(400, {"error": {"code": "malformed", "message": str(error)}, "errors": []})
        self.attempts.append(request.submission_id)
        if self.busy > 0:
            self.busy -= 1
            return {
                **_json(503, _failure("unavailable", submission_message("unavailable", seconds=1))),
                "headers": {"Retry-After": "1"},
            }
        if request.version != self.current_version:
            return _json(409, _failure("stale_version", submission_message("stale_version")))
        problems = self.meta_problems(request)
        checked = check_answers(self.questionnaire, request.answers)
        problems += [FieldError(e.question, e.code, e.message) for e in checked.errors]
        if problems:
            if from_form and not any(p.field in ("department", "channel") for p in problems):
                html = render_form_page(
                    self.questionnaire,
                    request.department,
                    request.channel,
                    api_url="/api",
                    answers=request.answers,
                    errors=problems,
                )
                return {"status": 422, "body": html, "content_type": "text/html; charset=utf-8"}
            return _json(
                422,
                {
                    **_failure(
                        "invalid_answers",
                        submission_message("invalid_answers", count=len(problems)),
                    ),
                    "errors": [p.to_dict() for p in problems],
                },
            )
        submission_id = request.submission_id or f"form{len(self.stored):08d}"
        now = datetime.now(UTC)
        record = self.stored.setdefault(
            submission_id,
            {
                "submission_id": submission_id,
                "month": OfficeCalendar.of(self.questionnaire.reporting).month(now),
                "received_at": utc_timestamp(now),
                "channel": request.channel,
                "answers": checked.answers,
            },
        )
        if from_form:
            department = self.questionnaire.department(request.department)
            channel = self.questionnaire.channel(request.channel)
            assert department is not None
            assert channel is not None
            thanks = thanks_path(self.questionnaire, department, channel)
            return {"status": 303, "headers": {"Location": thanks}}
        return _json(201, {k: record[k] for k in ("submission_id", "month", "received_at")})

    def meta_problems(self, request: SubmissionRequest) -> list[FieldError]:
        problems = []
        if request.submission_id is not None and not SUBMISSION_ID_PATTERN.match(
            request.submission_id
        ):
            problems.append(FieldError("submission_id", "invalid", "提交编号格式不正确。"))
        if self.questionnaire.department(request.department) is None:
            problems.append(FieldError("department", "unknown_department", "没有这个单位。"))
        if self.questionnaire.channel(request.channel) is None:
            problems.append(FieldError("channel", "unknown_channel", "没有这个填写渠道。"))
        return problems


def _failure(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}, "errors": []}


def _json(status: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": status,
        "body": json.dumps(payload, ensure_ascii=False),
        "content_type": "application/json",
    }
