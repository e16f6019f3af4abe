"""The one place that says what a submission looks like on the wire and once stored.

The page (its script, or its plain form with JavaScript off) sends a submission; the collector
parses it here, checks the answers with `manyi.answers`, and stores a `StoredSubmission`.

Request, `POST /api/submissions`:
- `application/json`: {"submission_id": "<8-64 of A-Z a-z 0-9 _ ->", "department": "<id>",
  "version": "<questionnaire version>", "channel": "<channel id>", "website": "",
  "seconds": <whole seconds from the first answer to 提交, optional>,
  "answers": {"<question id>": "<option id>" | ["<option id>", ...]}}
- `application/x-www-form-urlencoded`: the same meta fields by name (`submission_id` may be
  absent: the server then makes one), and each question ID as a field whose value is an option
  ID, repeated for a multiple choice.
`website` is a honeypot: people never see it, so a filled one marks a bot. `seconds` comes
from the page's script (a plain form sends none): the integrity signals compare how fast
responses were filled in (manyi.integrity).

Answers (the collector):
- stored, new or a replay of the same submission ID: 201 with {"submission_id", "month",
  "received_at"} taken from the stored record, so every replay gets the very same answer;
  a plain form gets 303 to its channel's thank-you page instead (`/d/<department>/thanks/`,
  `/d/<department>/<channel>/thanks/`), or, sent again with the very same answers from the same
  browser, 409 `repeated` (manyi.collector.repeat);
- otherwise a 4xx with {"error": {"code", "message"}, "errors": [{"field", "code", "message"}]}
  (`errors` lists field-level problems; `field` is a question ID or a meta field name).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import parse_qsl

from manyi.errors import ManyiError
from manyi.model import AnswerValue

META_FIELDS = ("submission_id", "department", "version", "channel", "website", "seconds")
# More than a day from the first answer to 提交 is a page left open, not a filling time.
MAX_SECONDS = 86_400
SUBMISSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_BODY_BYTES = 16 * 1024


# NamedTuples rather than frozen dataclasses: a cheaper import on the collector's cold path.


class MalformedSubmission(ManyiError, ValueError):
    """The body cannot be read as a submission at all (a 400, not a 422)."""


class FieldError(NamedTuple):
    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class SubmissionRequest(NamedTuple):
    """A submission as sent: meta fields as strings, answers not yet checked."""

    submission_id: str | None
    department: str
    version: str
    channel: str
    answers: Mapping[str, object]
    honeypot: str = ""
    from_form: bool = False
    seconds: int | None = None


class StoredSubmission(NamedTuple):
    """What is kept of one response: nothing that identifies the person who gave it."""

    submission_id: str
    department: str
    month: str  # YYYY-MM in the office's time zone (manyi.calendar), when first received
    received_at: str  # ISO 8601 in UTC with microseconds, e.g. 2026-11-27T07:33:01.123456Z
    version: str
    channel: str
    answers: Mapping[str, AnswerValue] = MappingProxyType({})
    # A keyed hash of the sender's network prefix under the day's key (manyi.collector.network):
    # groups responses from one network within a day, never names an address; "" when unknown
    # (a staff-entered response has none: it is keyed in the workspace).
    network: str = ""
    # Seconds from the first answer to 提交 as the page's script measured them; None without it.
    seconds: int | None = None


def parse_json(body: bytes) -> SubmissionRequest:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedSubmission(f"body is not JSON: {error}") from None
    except (ValueError, RecursionError):
        # An integer past Python's digit limit, or nesting deeper than the parser's stack:
        # the client's fault like any other bad body, never the server's.
        raise MalformedSubmission("body is JSON past its limits (nesting, number size)") from None
    # A lone surrogate (only an escape like \ud800 can make one) is not text: no store, log
    # or answer could carry it. Checked only when an escape is there, so rarely.
    if b"\\u" in body and not _is_text(data):
        raise MalformedSubmission("body holds a lone surrogate escape (\\ud800-\\udfff)")
    if not isinstance(data, dict):
        raise MalformedSubmission("body must be a JSON object")
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        raise MalformedSubmission("`answers` must be an object")
    unknown = set(data) - set(META_FIELDS) - {"answers"}
    if unknown:
        raise MalformedSubmission(f"unknown fields: {', '.join(sorted(unknown))}")
    return _request(data, answers, seconds=data.get("seconds"))


def parse_form(body: bytes) -> SubmissionRequest:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise MalformedSubmission("form body is not UTF-8") from None
    meta: dict[str, str] = {}
    answers: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in META_FIELDS:
            if name in meta:
                raise MalformedSubmission(f"`{name}` is given twice")
            meta[name] = value
        else:
            answers.setdefault(name, []).append(value)
    return _request(meta, answers, from_form=True)


def _request(
    meta: Mapping[str, object],
    answers: Mapping[str, object],
    *,
    from_form: bool = False,
    seconds: object = None,
) -> SubmissionRequest:
    """The request from its meta fields (the JSON object's, or the form's) and its answers;
    the fields are checked in this order, so a request with two faults names the same one."""
    return SubmissionRequest(
        submission_id=_optional_text(meta, "submission_id"),
        department=_text(meta, "department"),
        version=_text(meta, "version"),
        channel=_text(meta, "channel"),
        answers=answers,
        honeypot=_optional_text(meta, "website") or "",
        from_form=from_form,
        seconds=_seconds(seconds),
    )


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 12.0 is a whole number in JSON (and in the OpenAPI document)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SECONDS:
        raise MalformedSubmission(f"`seconds` must be a whole number from 0 to {MAX_SECONDS}")
    return value


def _is_text(data: object) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise MalformedSubmission(f"`{key}` must be given as text")
    return value


def _optional_text(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedSubmission(f"`{key}` must be text")
    return value
