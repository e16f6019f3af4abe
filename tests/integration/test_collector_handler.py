"""The collector's handler, called with API Gateway v2 events, storing in DynamoDB (moto)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.collector.app import ROUTES
from manyi.collector.handler import Handler, create_handler
from manyi.collector.openapi import openapi_document
from manyi.collector.ratelimit import RateLimit
from manyi.model import Questionnaire
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import (
    LambdaContext,
    collector_log,
    fixture,
    form_event,
    form_pairs,
    json_body,
    json_event,
    submission_body,
    with_method,
)
from tests.aws import REGION, SUBMISSIONS_TABLE, create_submissions_table
from tests.throttling import THROTTLED_TABLE, ThrottledClient

NOW = datetime(2026, 11, 27, 7, 33, 1, 123456, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_submissions_table(client)
        yield client


@pytest.fixture
def catalogue(tmp_path: Path, questionnaire: Questionnaire) -> Catalogue:
    publish(tmp_path / "questionnaires", questionnaire, NOW.date())
    return Catalogue.open(tmp_path / "questionnaires")


@pytest.fixture
def store(dynamodb: Any) -> DynamoDBSubmissionStore:
    return DynamoDBSubmissionStore(SUBMISSIONS_TABLE, client=dynamodb)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def handler(store: DynamoDBSubmissionStore, catalogue: Catalogue, clock: Clock) -> Handler:
    return create_handler(store, catalogue, rate_limit=RateLimit(), clock=clock)


def call(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, LambdaContext())


def stored(store: DynamoDBSubmissionStore, month: str = "2026-11") -> list[Any]:
    return [s.submission for s in store.department_month("sifaju", month)]


def test_a_json_submission_is_stored_with_server_time_and_beijing_month(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    response = call(handler, json_event(submission_body(questionnaire)))
    assert response["statusCode"] == 201
    assert response["headers"]["Content-Type"].startswith("application/json")
    assert json_body(response) == {
        "submission_id": "Zk3m9QpL2vX8wR1t",
        "month": "2026-11",
        "received_at": "2026-11-27T07:33:01.123456Z",
    }
    [record] = stored(store)
    assert record.channel == "wechat"
    assert record.version == questionnaire.version
    assert record.answers["q1"] == ("none",)
    assert "q3" not in record.answers  # Q2 was 否: Q3 does not apply


def test_each_submission_sent_three_times_is_stored_once_with_the_same_answer(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire, clock: Clock
) -> None:
    ids = ["replay-0001", "replay-0002", "replay-0003"]
    answers: dict[str, list[Any]] = {i: [] for i in ids}
    for attempt in range(3):
        for i in ids:
            clock.now = NOW.replace(second=attempt)
            response = call(handler, json_event(submission_body(questionnaire, submission_id=i)))
            assert response["statusCode"] == 201
            answers[i].append(response["body"])
    assert all(len(set(bodies)) == 1 for bodies in answers.values())
    assert sorted(r.submission_id for r in stored(store)) == ids


def test_a_retry_after_midnight_at_month_end_answers_as_the_first(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire, clock: Clock
) -> None:
    # 23:59:59.9 in Beijing on 30 November, then 00:00:00.2 on 1 December.
    clock.now = datetime(2026, 11, 30, 15, 59, 59, 900000, tzinfo=UTC)
    first = call(handler, json_event(submission_body(questionnaire)))
    clock.now = datetime(2026, 11, 30, 16, 0, 0, 200000, tzinfo=UTC)
    retry = call(handler, json_event(submission_body(questionnaire)))
    assert first["statusCode"] == retry["statusCode"] == 201
    assert json_body(first)["month"] == "2026-11"
    assert retry["body"] == first["body"]
    assert len(stored(store, "2026-11")) == 1
    assert stored(store, "2026-12") == []
    # A new submission a moment later belongs to December.
    new = call(handler, json_event(submission_body(questionnaire, submission_id="december-1")))
    assert json_body(new)["month"] == "2026-12"


def test_a_plain_form_post_is_stored_and_sent_to_the_thanks_page(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    event = fixture("post_submission_form")
    event["body"] = form_event(form_pairs(questionnaire))["body"]
    response = call(handler, event)
    assert response["statusCode"] == 303
    assert response["headers"]["Location"] == "/d/sifaju/thanks/"
    [record] = stored(store)
    assert len(record.submission_id) >= 16  # made by the server
    assert record.channel == "leaflet"


def test_a_plain_form_goes_to_the_thanks_page_of_its_own_channel(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    response = call(handler, form_event(form_pairs(questionnaire, channel="wechat")))
    assert response["statusCode"] == 303
    assert response["headers"]["Location"] == "/d/sifaju/wechat/thanks/"
    assert [r.channel for r in stored(store)] == ["wechat"]


@pytest.mark.parametrize("channel", ["phone", "meeting", "visit", "paper"])
def test_a_staff_channel_is_refused_from_the_public_collector(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire, channel: str
) -> None:
    """Issue 14: nobody may claim a phone call or a meeting from the leaflet page; staff key
    those in the workspace under their account."""
    assert questionnaire.channel(channel).entry == "staff"  # type: ignore[union-attr]
    response = call(handler, json_event(submission_body(questionnaire, channel=channel)))
    assert response["statusCode"] == 422
    [error] = json_body(response)["errors"]
    assert error["field"] == "channel"
    assert error["code"] == "staff_channel"
    assert "工作人员" in error["message"]
    form = call(handler, form_event(form_pairs(questionnaire, channel=channel)))
    assert form["statusCode"] == 422
    assert "工作平台录入" in form["body"]
    assert stored(store) == []


def sent_cookie(response: dict[str, Any]) -> str:
    [cookie] = response["cookies"]
    assert cookie.startswith("manyi_sent=")
    for flag in ("Path=/api/submissions", "HttpOnly", "SameSite=Strict", "Max-Age=1800"):
        assert flag in cookie
    return str(cookie).split(";")[0]


def test_the_same_plain_form_posted_again_is_held_once_then_stored_if_sent_deliberately(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    """JavaScript off, Back, 提交 again: no second response unless the person insists."""
    pairs = form_pairs(questionnaire, channel="wechat")
    first = call(handler, form_event(pairs))
    assert first["statusCode"] == 303
    cookie = sent_cookie(first)
    assert "satisfied" not in cookie
    assert "sifaju" not in cookie

    again = form_event(pairs)
    again["cookies"] = ["other=1", cookie]
    held = call(handler, again)
    assert held["statusCode"] == 409
    assert len(stored(store)) == 1
    page = held["body"]
    assert "刚才已经提交成功" in page
    assert 'href="/d/sifaju/wechat/">再填一份</a>' in page
    assert re.search(r'name="q9" value="satisfied"[^>]* checked>', page)  # answers kept
    assert 'name="channel" value="wechat"' in page
    [cleared] = held["cookies"]
    assert cleared.startswith("manyi_sent=;")
    assert "Max-Age=0" in cleared

    insisted = call(handler, form_event(pairs))  # the cookie is gone: pressed 提交 once more
    assert insisted["statusCode"] == 303
    assert len(stored(store)) == 2


def test_a_different_form_or_a_script_is_never_held(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    pairs = form_pairs(questionnaire)
    cookie = sent_cookie(call(handler, form_event(pairs)))
    other = [(k, "dissatisfied" if k == "q9" else v) for k, v in pairs]
    event = form_event(other)
    event["cookies"] = [cookie]
    assert call(handler, event)["statusCode"] == 303  # another person's answers
    event = form_event(pairs, source_ip="10.0.0.9")
    event["cookies"] = ["manyi_sent=forged.value"]
    assert call(handler, event)["statusCode"] == 303
    script = json_event(submission_body(questionnaire))
    script["cookies"] = [cookie]
    response = call(handler, script)
    assert response["statusCode"] == 201
    assert "cookies" not in response or not response["cookies"]
    assert len(stored(store)) == 4


def test_over_https_the_cookie_is_secure(handler: Handler, questionnaire: Questionnaire) -> None:
    event = form_event(form_pairs(questionnaire))
    event["headers"]["x-forwarded-proto"] = "https"
    [cookie] = call(handler, event)["cookies"]
    assert "; Secure" in cookie


def test_a_form_with_problems_gets_the_page_again_in_chinese_with_answers_kept(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    pairs = [(k, v) for k, v in form_pairs(questionnaire) if k != "q9"]
    pairs.append(("q1", "not_handled"))  # with 不存在以上情况: exclusive
    response = call(handler, form_event(pairs))
    assert response["statusCode"] == 422
    assert response["headers"]["Content-Type"].startswith("text/html")
    page = response["body"]
    assert "请回答这道题。" in page
    assert "就不能再选其他选项" in page
    assert 'value="satisfied" checked' in page or "checked" in page
    assert stored(store) == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"department": "no-such-dept"}, 404, "unknown_department"),
        ({"version": "0123456789ab"}, 409, "stale_version"),
        ({"version": "v1"}, 422, "invalid_answers"),
        ({"channel": "carrier-pigeon"}, 422, "invalid_answers"),
        ({"submission_id": "short"}, 422, "invalid_answers"),
        ({"submission_id": "abcdefgh\n"}, 422, "invalid_answers"),
        ({"submission_id": None}, 422, "invalid_answers"),
        ({"answers": {"q9": "excellent"}}, 422, "invalid_answers"),
        ({"extra": 1}, 400, "malformed"),
        ({"answers": []}, 400, "malformed"),
        ({"department": 7}, 400, "malformed"),
    ],
)
def test_bad_json_submissions_get_their_status_and_nothing_is_stored(
    handler: Handler,
    store: DynamoDBSubmissionStore,
    questionnaire: Questionnaire,
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = call(handler, json_event(submission_body(questionnaire, **change)))
    assert response["statusCode"] == status
    body = json_body(response)
    assert body["error"]["code"] == code
    assert body["error"]["message"]  # Chinese, for the page to show
    assert stored(store) == []


def test_field_errors_name_the_field_code_and_message(
    handler: Handler, questionnaire: Questionnaire
) -> None:
    body = submission_body(questionnaire, channel="carrier-pigeon", submission_id="bad id!")
    answers = dict(body["answers"])
    answers["q1"] = ["none", "not_handled"]
    answers.pop("q9")
    answers["q2"] = ["no"]  # a single choice sent as a list
    body["answers"] = answers
    errors = json_body(call(handler, json_event(body)))["errors"]
    by_field = {e["field"]: e["code"] for e in errors}
    assert by_field == {
        "submission_id": "invalid_submission_id",
        "channel": "unknown_channel",
        "q1": "exclusive",
        "q2": "invalid_value",
        "q9": "required",
    }
    assert all(e["message"] for e in errors)


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"x" * (16 * 1024 + 1), "application/json", 413),
        (b"<xml/>", "application/xml", 415),
        (b"department=sifaju", "application/x-www-form-urlencoded", 400),
    ],
)
def test_unreadable_bodies(handler: Handler, raw: bytes, content_type: str, status: int) -> None:
    event = fixture("post_submission_json")
    event["isBase64Encoded"] = True
    import base64

    event["body"] = base64.b64encode(raw).decode()
    event["headers"]["content-type"] = content_type
    response = call(handler, event)
    assert response["statusCode"] == status


def unparsable(questionnaire: Questionnaire, kind: str) -> bytes:
    """A body that only the parser's limits or Unicode refuse, every field otherwise valid."""
    body = submission_body(questionnaire)
    if kind == "deep-nesting":  # deeper than the JSON parser's stack
        return b"[" * 5000
    if kind == "huge-integer":  # past Python's limit on integer digits
        return json.dumps({**body, "website": "N"}).encode().replace(b'"N"', b"9" * 4301)
    if kind == "lone-surrogate-key":
        body["answers"] = {**body["answers"], "\ud800": "none"}
    else:
        body["channel"] = "leaflet\udfff"
    return json.dumps(body).encode()  # ASCII: the surrogate travels as a \\ud800 escape


@pytest.mark.parametrize(
    "kind", ["deep-nesting", "huge-integer", "lone-surrogate-key", "lone-surrogate-value"]
)
def test_bodies_the_parser_cannot_take_are_400_malformed_and_logged(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire, kind: str
) -> None:
    with collector_log() as lines:
        response = call(handler, json_event(None, raw=unparsable(questionnaire, kind)))
    assert response["statusCode"] == 400
    assert json_body(response)["error"]["code"] == "malformed"
    response["body"].encode("utf-8")  # sendable as it is
    logged = json.loads(lines.getvalue().splitlines()[-1])
    assert logged["code"] == "malformed"
    assert stored(store) == []


def test_a_filled_honeypot_is_answered_as_stored_and_dropped(
    handler: Handler, store: DynamoDBSubmissionStore, questionnaire: Questionnaire
) -> None:
    response = call(handler, json_event(submission_body(questionnaire, website="http://spam")))
    assert response["statusCode"] == 201
    assert json_body(response)["submission_id"] == "Zk3m9QpL2vX8wR1t"
    assert stored(store) == []
    assert store.get("Zk3m9QpL2vX8wR1t") is None


def test_too_many_from_one_address_get_429_with_retry_after(
    store: DynamoDBSubmissionStore, catalogue: Catalogue, clock: Clock, questionnaire: Questionnaire
) -> None:
    handler = create_handler(store, catalogue, rate_limit=RateLimit(3, 6), clock=clock)
    statuses = [
        call(handler, json_event(submission_body(questionnaire, submission_id=f"rate-{i:04d}")))
        for i in range(4)
    ]
    assert [r["statusCode"] for r in statuses] == [201, 201, 201, 429]
    assert statuses[-1]["headers"]["Retry-After"] == "10"
    # Another address behind another NAT is not slowed down.
    other = json_event(
        submission_body(questionnaire, submission_id="rate-other"), source_ip="1.2.3.4"
    )
    assert call(handler, other)["statusCode"] == 201
    clock.now = NOW.replace(second=20)
    again = json_event(submission_body(questionnaire, submission_id="rate-later"))
    assert call(handler, again)["statusCode"] == 201


def test_throttled_dynamodb_is_503_with_nothing_stored_and_the_retry_succeeds(
    dynamodb: Any, catalogue: Catalogue, clock: Clock, questionnaire: Questionnaire
) -> None:
    throttled = ThrottledClient(dynamodb, failures=1, response=THROTTLED_TABLE)
    store = DynamoDBSubmissionStore(SUBMISSIONS_TABLE, client=throttled)
    handler = create_handler(store, catalogue, clock=clock)
    event = json_event(submission_body(questionnaire))
    first = call(handler, event)
    assert first["statusCode"] == 503
    assert int(first["headers"]["Retry-After"]) > 0
    assert json_body(first)["error"]["code"] == "unavailable"
    assert dynamodb.scan(TableName=SUBMISSIONS_TABLE)["Items"] == []
    retry = call(handler, event)
    assert retry["statusCode"] == 201
    assert len(dynamodb.scan(TableName=SUBMISSIONS_TABLE)["Items"]) == 2


def test_an_unexpected_error_is_503_json_without_a_stack_trace(
    catalogue: Catalogue, clock: Clock, questionnaire: Questionnaire
) -> None:
    class BrokenStore(DynamoDBSubmissionStore):
        def __init__(self) -> None:
            pass

        def put(self, submission: Any) -> Any:
            raise RuntimeError("disk on fire")

    handler = create_handler(BrokenStore(), catalogue, clock=clock)
    with collector_log() as lines:
        response = call(handler, json_event(submission_body(questionnaire)))
    assert response["statusCode"] == 503
    assert "disk on fire" not in response["body"]
    assert "Traceback" not in response["body"]
    logged = json.loads(lines.getvalue().splitlines()[-1])
    assert logged["level"] == "ERROR"
    assert "disk on fire" in logged["exception"]
    assert logged["correlation_id"] == "P0tT9gEXoAMEbxw="  # the request's ID


def test_health_openapi_and_unknown_paths(handler: Handler, questionnaire: Questionnaire) -> None:
    health = call(handler, fixture("get_health"))
    assert health["statusCode"] == 200
    assert json_body(health) == {"status": "ok", "version": questionnaire.version}
    document = json_body(call(handler, fixture("get_openapi")))
    assert document["openapi"].startswith("3.")
    answers = document["components"]["schemas"]["Answers"]
    assert answers["properties"]["q9"]["enum"] == [
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "unknown",
    ]
    missing = call(handler, with_method(fixture("get_health"), "GET", "/api/nothing"))
    assert missing["statusCode"] == 404
    assert json_body(missing)["error"]["code"] == "not_found"
    wrong = call(handler, with_method(fixture("get_health"), "GET", "/api/submissions"))
    assert wrong["statusCode"] == 405
    assert wrong["headers"]["Allow"] == "POST"


def test_the_openapi_document_lists_every_route_of_the_collector(
    questionnaire: Questionnaire,
) -> None:
    """With complaints and the pressure question on; the document does not list itself."""
    document = openapi_document(questionnaire, [questionnaire.version], True, True)
    assert {*document["paths"], "/api/openapi.json"} == set(ROUTES)
    for path, operations in document["paths"].items():
        allowed = {m.strip().lower() for m in ROUTES[path].split(",")} - {"head"}
        assert set(operations) == allowed, path


def test_a_superseded_version_is_accepted_for_the_grace_period_then_409(
    tmp_path: Path, store: DynamoDBSubmissionStore, questionnaire: Questionnaire, clock: Clock
) -> None:
    folder = tmp_path / "history"
    older = json.loads(json.dumps(questionnaire.to_dict()))
    older["version"] = "0ld0ld0ld0ld".replace("l", "1").replace("o", "0")
    publish(folder, Questionnaire.from_dict(older), datetime(2026, 9, 1).date())
    publish(folder, questionnaire, datetime(2026, 11, 1).date())
    handler = create_handler(store, Catalogue.open(folder, grace_days=31), clock=clock)
    old_body = submission_body(questionnaire, version=older["version"], submission_id="old-version")
    clock.now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert call(handler, json_event(old_body))["statusCode"] == 201
    clock.now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    late = call(handler, json_event({**old_body, "submission_id": "old-version-2"}))
    assert late["statusCode"] == 409
    assert json_body(late)["error"]["code"] == "stale_version"
    assert "刷新" in json_body(late)["error"]["message"]


def test_the_lambda_entry_point_builds_its_handler_from_the_environment(
    dynamodb: Any, tmp_path: Path, questionnaire: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    publish(tmp_path / "q", questionnaire, NOW.date())
    monkeypatch.setenv("SUBMISSIONS_TABLE", SUBMISSIONS_TABLE)
    monkeypatch.setenv("MANYI_QUESTIONNAIRES", str(tmp_path / "q"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    path = Path(__file__).resolve().parents[2] / "lambda" / "collector" / "app.py"
    spec = importlib.util.spec_from_file_location("collector_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    response = call(module.lambda_handler, json_event(submission_body(questionnaire)))
    assert response["statusCode"] == 201
    stored_items = dynamodb.scan(TableName=SUBMISSIONS_TABLE)["Items"]
    assert len(stored_items) == 2
