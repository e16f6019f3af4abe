"""API Gateway HTTP API (payload 2.0) events for the collector tests, from tests/events/."""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from manyi.model import Questionnaire

EVENTS = Path(__file__).with_name("events")


@dataclass(frozen=True)
class LambdaContext:
    function_name: str = "manyi-collector"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:manyi-collector"
    aws_request_id: str = "6f7c1a52-5d0b-4f8e-9c43-2f3b8a1d9e10"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@contextmanager
def collector_log() -> Iterator[io.StringIO]:
    """The Powertools Logger's own JSON lines, as CloudWatch would get them (create the
    handler first: it sets the logger up)."""
    powertools = logging.getLogger("manyi-collector")
    lines = io.StringIO()
    capture = logging.StreamHandler(lines)
    capture.setFormatter(powertools.handlers[0].formatter)
    powertools.addHandler(capture)
    try:
        yield lines
    finally:
        powertools.removeHandler(capture)


def fixture(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return event


def valid_answers(q: Questionnaire) -> dict[str, Any]:
    """A complete, valid set of answers as the page's script sends them."""
    event = fixture("post_submission_json")
    answers: dict[str, Any] = json.loads(event["body"])["answers"]
    assert all(q.question(k) for k in answers)
    return answers


def submission_body(q: Questionnaire, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(fixture("post_submission_json")["body"])
    body["version"] = q.version
    body.update(fields)
    return body


def json_event(
    body: Any, *, source_ip: str = "223.104.3.17", raw: bytes | None = None
) -> dict[str, Any]:
    event = fixture("post_submission_json")
    event["body"] = raw.decode("utf-8") if raw is not None else json.dumps(body, ensure_ascii=False)
    event["requestContext"]["http"]["sourceIp"] = source_ip
    return event


def form_event(pairs: list[tuple[str, str]], *, source_ip: str = "223.104.3.17") -> dict[str, Any]:
    event = fixture("post_submission_form")
    event["body"] = base64.b64encode(urlencode(pairs).encode("utf-8")).decode("ascii")
    event["requestContext"]["http"]["sourceIp"] = source_ip
    return event


def form_pairs(q: Questionnaire, **meta: str) -> list[tuple[str, str]]:
    fields = {"department": "sifaju", "version": q.version, "channel": "leaflet", "website": ""}
    fields.update(meta)
    pairs = list(fields.items())
    for question, value in valid_answers(q).items():
        for option in value if isinstance(value, list) else [value]:
            pairs.append((question, option))
    return pairs


def with_method(event: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    changed["rawPath"] = path
    changed["requestContext"]["http"]["method"] = method
    changed["requestContext"]["http"]["path"] = path
    return changed


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])
