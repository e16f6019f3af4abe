"""The collector's complaint routes: stored once, sealed, every problem answered in Chinese,
the receipt code shown only in the answer, status lookups slowed after 20 wrong codes."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.collector.handler import Handler, create_handler
from manyi.collector.ratelimit import RateLimit
from manyi.complaints.model import MAX_NAME, Step
from manyi.complaints.sources import ComplaintSources
from manyi.model import Questionnaire
from manyi.store.complaints.sqlite import SQLiteComplaintStore
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import LambdaContext, collector_log
from tests.complaint_support import (
    NAME,
    PHONE,
    complaint_fields,
    complaint_form,
    complaint_json,
    lookup_form,
    lookup_json,
    sources,
)
from tests.log_capture import all_logs, encodings

NOW = datetime(2026, 11, 27, 7, 33, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def complaints(tmp_path: Path) -> Iterator[ComplaintSources]:
    store = SQLiteComplaintStore.in_folder(tmp_path / "data")
    yield sources(store)
    store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_handler(
    tmp_path: Path, questionnaire: Questionnaire, complaints: ComplaintSources, clock: Clock
) -> Handler:
    publish(tmp_path / "questionnaires", questionnaire, NOW.date())
    catalogue = Catalogue.open(tmp_path / "questionnaires")
    submissions = SQLiteSubmissionStore(tmp_path / "data" / "submissions.sqlite3")
    return create_handler(
        submissions, catalogue, rate_limit=RateLimit(), clock=clock, complaints=complaints
    )


@pytest.fixture
def handler(
    tmp_path: Path, questionnaire: Questionnaire, complaints: ComplaintSources, clock: Clock
) -> Handler:
    return make_handler(tmp_path, questionnaire, complaints, clock)


def call(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, LambdaContext())


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_a_json_complaint_is_numbered_sealed_and_stored_once(
    handler: Handler, complaints: ComplaintSources, tmp_path: Path
) -> None:
    event = complaint_json({**complaint_fields(), "complaint_id": "c0mpla1nt-id-0000000001"})
    first = call(handler, event)
    assert first["statusCode"] == 201
    receipt = body(first)
    assert receipt["number"] == "2026-sifaju-0001"
    assert re.fullmatch(r"\d{4} \d{4} \d{4}", receipt["code"])
    again = call(handler, event)  # the answer was lost on the way: the script sends it again
    assert again["statusCode"] == 200
    assert body(again)["number"] == receipt["number"]
    assert body(again)["code"] == receipt["code"]
    [stored] = complaints.store.year(2026)
    assert (stored.about, stored.category, stored.status) == ("conduct", "abuse", "received")
    assert stored.contact is not None
    assert complaints.sealer is not None
    opened = complaints.sealer.open(stored.key_hash, stored.contact)
    assert opened == {"name": NAME, "phone": PHONE}
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("complaints.sqlite3*"))
    for secret in (NAME, PHONE, receipt["code"].replace(" ", "")):
        assert secret.encode() not in raw


def test_an_action_complaint_goes_to_the_office_and_anonymous_keeps_no_contact(
    handler: Handler, complaints: ComplaintSources
) -> None:
    fields = {**complaint_fields(category="delay", name="", phone=""), "complaint_id": "x" * 20}
    assert call(handler, complaint_json(fields))["statusCode"] == 201
    [stored] = complaints.store.year(2026)
    assert stored.about == "action"
    assert stored.anonymous


def test_a_plain_form_gets_its_receipt_page_and_a_repost_stores_nothing_new(
    handler: Handler, complaints: ComplaintSources
) -> None:
    answer = call(handler, complaint_form(complaint_fields()))
    assert answer["statusCode"] == 201
    assert answer["headers"]["Content-Type"].startswith("text/html")
    assert "Location" not in answer["headers"]  # the code never travels in a URL
    html = answer["body"]
    number = re.search(r'id="number">([^<]+)<', html)
    code = re.search(r'id="code">([^<]+)<', html)
    assert number is not None
    assert code is not None
    assert number.group(1) == "2026-sifaju-0001"
    [cookie] = answer["cookies"]
    assert "HttpOnly" in cookie
    assert "Path=/api/complaints" in cookie
    # Back, then 提交 again: the same complaint, the same number and code.
    again = call(handler, complaint_form(complaint_fields(), [cookie.split(";")[0]]))
    assert again["statusCode"] == 200
    assert number.group(1) in again["body"]
    assert code.group(1) in again["body"]
    assert "没有重复登记" in again["body"]
    assert len(complaints.store.year(2026)) == 1
    # Another browser with the very same words is another complaint.
    assert call(handler, complaint_form(complaint_fields()))["statusCode"] == 201
    assert len(complaints.store.year(2026)) == 2


def test_every_problem_is_answered_at_once_next_to_its_field(
    handler: Handler, complaints: ComplaintSources
) -> None:
    fields = complaint_fields(
        department="nowhere",
        category="gossip",
        account="长" * 2001,
        happened_on="2099-01-01",
        phone="call me",
    )
    answer = call(handler, complaint_json(fields))
    assert answer["statusCode"] == 422
    errors = {e["field"]: e["code"] for e in body(answer)["errors"]}
    assert errors == {
        "complaint_id": "missing_complaint_id",
        "department": "unknown_department",
        "category": "unknown_category",
        "account": "too_long",
        "happened_on": "future_date",
        "phone": "bad_phone",
    }
    assert "2001" in next(e["message"] for e in body(answer)["errors"] if e["field"] == "account")
    page = call(handler, complaint_form(complaint_fields(account="", happened_on="上周")))
    assert page["statusCode"] == 422
    assert "请填写这一项" in page["body"]
    assert "日期格式不正确" in page["body"]
    assert "三号窗口" in page["body"]  # what was typed is kept
    assert complaints.store.year(2026) == []


def test_lengths_count_the_text_as_cleaned_on_arrival(
    handler: Handler, complaints: ComplaintSources
) -> None:
    """As the OpenAPI document says: trimmed, line ends as \\n, control characters out, then
    counted (a browser sends a textarea's line ends as \\r\\n)."""
    account = "\r\n".join(["长" * 99] * 20) + "\x15 "  # 1,999 characters once cleaned
    name = "王" * MAX_NAME + "\x07"
    fields = {**complaint_fields(account=account, name=name), "complaint_id": "l" * 20}
    assert call(handler, complaint_json(fields))["statusCode"] == 201
    [stored] = complaints.store.year(2026)
    assert stored.account == "\n".join(["长" * 99] * 20)
    over = {**complaint_fields(name="王" * (MAX_NAME + 1)), "complaint_id": "m" * 20}
    answer = call(handler, complaint_json(over))
    assert answer["statusCode"] == 422
    assert {e["field"]: e["code"] for e in body(answer)["errors"]} == {"name": "too_long"}


def test_typed_markup_comes_back_escaped_on_the_form(handler: Handler) -> None:
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = call(handler, complaint_form(complaint_fields(subject=attack, happened_on="bad")))
    assert page["statusCode"] == 422
    assert "<script>alert(1)" not in page["body"]
    assert "onerror=alert(2)>" not in page["body"]
    assert "&lt;script&gt;" in page["body"]


def test_dates_as_people_type_them_are_understood(
    handler: Handler, complaints: ComplaintSources
) -> None:
    for typed in ("2026年11月3日", "2026/11/3", "２０２６-１１-０３"):
        call(handler, complaint_form(complaint_fields(happened_on=typed)))
    assert {c.happened_on for c in complaints.store.year(2026)} == {"2026-11-03"}


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        (complaint_json({"account": "长" * 12000}), 413, "too_large"),
        ({**complaint_json({}), "body": "bm90IGpzb24=", "isBase64Encoded": True}, 400, "malformed"),
    ],
)
def test_bodies_that_cannot_be_read(
    handler: Handler, event: dict[str, Any], status: int, code: str
) -> None:
    answer = call(handler, event)
    assert answer["statusCode"] == status
    assert body(answer)["error"]["code"] == code


def test_wrong_media_type_and_the_honeypot(handler: Handler, complaints: ComplaintSources) -> None:
    event = complaint_json({})
    event["headers"]["content-type"] = "text/plain"
    assert call(handler, event)["statusCode"] == 415
    bot = call(handler, complaint_form(complaint_fields(website="http://spam.example")))
    assert bot["statusCode"] == 201  # told nothing
    assert complaints.store.year(2026) == []


def test_a_null_honeypot_is_an_empty_one_and_the_complaint_is_kept(
    handler: Handler, complaints: ComplaintSources
) -> None:
    """Found by fuzzing the OpenAPI document: `"website": null` (which it allows, as for a
    submission) was taken for a bot, answered 201 and silently dropped."""
    sent = {**complaint_fields(), "website": None, "complaint_id": "null-honeypot-000001"}
    answer = call(handler, complaint_json(sent))
    assert answer["statusCode"] == 201
    assert [c.number for c in complaints.store.year(2026)] == [body(answer)["number"]]


def test_contact_details_without_a_key_are_refused_and_nothing_is_stored(
    tmp_path: Path, questionnaire: Questionnaire, clock: Clock
) -> None:
    store = SQLiteComplaintStore.in_folder(tmp_path / "data")
    keyless = make_handler(tmp_path, questionnaire, sources(store, with_key=False), clock)
    answer = call(keyless, complaint_form(complaint_fields()))
    assert answer["statusCode"] == 500
    assert NAME not in answer["body"]
    assert store.year(2026) == []
    anonymous = call(keyless, complaint_form(complaint_fields(name="", phone="")))
    assert anonymous["statusCode"] == 201
    store.close()


def test_the_status_page_shows_progress_and_never_the_complainant(
    handler: Handler, complaints: ComplaintSources
) -> None:
    receipt = body(call(handler, complaint_json({**complaint_fields(), "complaint_id": "y" * 20})))
    stored = complaints.store.get(receipt["number"])
    assert stored is not None
    accepted = stored.moved(Step("2026-11-30T01:00:00Z", "2026-11-30", "accepted", "office-1"))
    complaints.store.replace(accepted)
    found = call(handler, lookup_form(receipt["number"], receipt["code"]))
    assert found["statusCode"] == 200
    assert "已受理" in found["body"]
    for private in (NAME, PHONE, "辱骂我", "三号窗口"):
        assert private not in found["body"]
    as_json = body(call(handler, lookup_json(receipt["number"], receipt["code"].replace(" ", ""))))
    assert as_json["status"] == "accepted"
    assert as_json["due_for"] == "conclude"


def test_a_wrong_code_shows_nothing_and_says_so(
    handler: Handler, complaints: ComplaintSources
) -> None:
    receipt = body(call(handler, complaint_json({**complaint_fields(), "complaint_id": "z" * 20})))
    wrong = call(handler, lookup_form(receipt["number"], "000000000000"))
    unknown = call(handler, lookup_form("2026-sifaju-0999", receipt["code"]))
    for answer in (wrong, unknown):
        assert answer["statusCode"] == 404
        assert "没有查到" in answer["body"]
        assert "司法局" not in answer["body"].split("</h1>")[1]


@pytest.mark.slow
def test_twenty_wrong_codes_in_a_row_slow_the_number_down(
    handler: Handler, complaints: ComplaintSources, clock: Clock
) -> None:
    receipt = body(call(handler, complaint_json({**complaint_fields(), "complaint_id": "w" * 20})))
    number, code = receipt["number"], receipt["code"]
    for attempt in range(20):
        # From many addresses: the count belongs to the number, wherever the guesses come from.
        event = lookup_json(number, f"{attempt:012d}")
        event["requestContext"]["http"]["sourceIp"] = f"10.0.0.{attempt}"
        assert call(handler, event)["statusCode"] == 404
    slowed = call(handler, lookup_json(number, code))
    assert slowed["statusCode"] == 429
    assert body(slowed)["error"]["code"] == "slowed_down"
    assert int(slowed["headers"]["Retry-After"]) > 0
    clock.now += timedelta(seconds=31)
    assert call(handler, lookup_json(number, code))["statusCode"] == 200
    assert complaints.store.wrong_codes(number).count == 0


def test_the_log_never_holds_the_name_phone_number_or_code(handler: Handler) -> None:
    with collector_log() as log:
        receipt = body(
            call(handler, complaint_json({**complaint_fields(), "complaint_id": "v" * 20}))
        )
        call(handler, complaint_form(complaint_fields(phone="bad phone " + PHONE)))
        call(handler, lookup_json(receipt["number"], "000000000000"))
        call(handler, lookup_json(receipt["number"], receipt["code"]))
    text = log.getvalue()
    assert "complaint refused" in text
    for secret in (NAME, PHONE, receipt["code"], receipt["number"]):
        assert secret not in text


@pytest.mark.filterwarnings("ignore:POWERTOOLS_DEV environment variable is enabled")
def test_no_setting_an_operator_may_switch_on_logs_the_complaint(
    tmp_path: Path,
    questionnaire: Questionnaire,
    complaints: ComplaintSources,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: POWERTOOLS_LOGGER_LOG_EVENT (or POWERTOOLS_DEV) made the collector log each
    # whole event, a complaint's name and phone with it.
    for name in ("POWERTOOLS_LOGGER_LOG_EVENT", "POWERTOOLS_DEV"):
        monkeypatch.setenv(name, "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    loud = make_handler(tmp_path, questionnaire, complaints, clock)
    with all_logs() as lines:
        answer = call(loud, complaint_json({**complaint_fields(), "complaint_id": "w" * 20}))
    assert answer["statusCode"] == 201
    assert lines, "the capture saw no log line at all"
    text = "\n".join(lines).encode()
    for secret in (NAME, PHONE):
        assert not any(form in text for form in encodings(secret))


@pytest.mark.slow
def test_any_body_gets_a_4xx_or_a_receipt_and_never_half_a_complaint(
    handler: Handler, complaints: ComplaintSources
) -> None:
    values = st.one_of(
        st.text(max_size=60), st.integers(), st.none(), st.lists(st.text(), max_size=2)
    )
    names = st.sampled_from([*complaint_fields(), "complaint_id", "page", "extra"])

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(names, values), st.sampled_from(["json", "form", "bytes"]), st.binary())
    def check(sent: dict[str, Any], how: str, raw: bytes) -> None:
        before = len(complaints.store.year(2026))
        if how == "bytes":
            event = complaint_json({})
            event["body"] = base64.b64encode(raw).decode("ascii")
        elif how == "form":
            event = complaint_form({k: str(v) for k, v in sent.items()})
        else:
            event = complaint_json(sent)
        status = call(handler, event)["statusCode"]
        assert status in (200, 201, 400, 413, 415, 422, 429)
        stored = len(complaints.store.year(2026)) - before
        assert stored == (1 if status == 201 else 0) or (status == 201 and stored == 0)

    check()


# -- the OpenAPI document ------------------------------------------------------------------


def _document(handler: Handler) -> Any:
    from tests.apigw import fixture

    answer = call(handler, fixture("get_openapi"))
    assert answer["statusCode"] == 200
    return body(answer)


def _conforms(document: Any, path: str, answer: dict[str, Any]) -> None:
    """The answer's status is one the document lists for `path`, its body that schema's."""
    import jsonschema

    responses = document["paths"][path]["post"]["responses"]
    status = str(answer["statusCode"])
    assert status in responses, (path, status)
    schema = responses[status]["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": document["components"]})
    validator.validate(body(answer))
    if "headers" in responses[status]:
        assert int(answer["headers"]["Retry-After"]) >= 1


def test_the_document_lists_both_routes_and_every_answer_conforms(
    handler: Handler, complaints: ComplaintSources, clock: Clock
) -> None:
    import jsonschema

    document = _document(handler)
    complaint = {"$ref": "#/components/schemas/Complaint", "components": document["components"]}
    request = jsonschema.Draft202012Validator(complaint)
    sent = {**complaint_fields(), "complaint_id": "openapi-conform-0001"}
    request.validate(sent)
    assert not request.is_valid({**sent, "category": "gossip"})
    # A trailing blank: the document asks for none (the collector would trim it).
    assert not request.is_valid({**sent, "phone": "13800000000 "})
    assert set(
        document["components"]["schemas"]["Complaint"]["properties"]["department"]["enum"]
    ) >= {"sifaju", "xinfangju"}
    stored = call(handler, complaint_json(sent))
    replayed = call(handler, complaint_json(sent))
    assert (stored["statusCode"], replayed["statusCode"]) == (201, 200)
    number, code = body(stored)["number"], body(stored)["code"]
    unsupported = complaint_json(sent)
    unsupported["headers"]["content-type"] = "text/plain"
    answers = {
        "/api/complaints": [
            stored,
            replayed,
            call(handler, complaint_json({**sent, "happened_on": "2030-01-01"})),
            call(handler, complaint_json({"account": "长" * 12000})),
            call(handler, {**complaint_json({}), "body": "bm90IGpzb24=", "isBase64Encoded": True}),
            call(handler, unsupported),
        ],
        "/api/complaints/status": [
            call(handler, lookup_json(number, code)),
            call(handler, lookup_json(number, "000000000000")),
            call(handler, {**lookup_json(number, code), "body": "bm90IGpzb24="}),
        ],
    }
    for attempt in range(20):
        call(handler, lookup_json(number, f"{attempt:012d}"))
    answers["/api/complaints/status"].append(call(handler, lookup_json(number, code)))
    seen = {p: sorted(a["statusCode"] for a in found) for p, found in answers.items()}
    assert seen == {
        "/api/complaints": [200, 201, 400, 413, 415, 422],
        "/api/complaints/status": [200, 400, 404, 429],
    }
    for path, found in answers.items():
        for answer in found:
            _conforms(document, path, answer)


def test_a_collector_without_complaints_lists_no_complaint_routes(
    tmp_path: Path, questionnaire: Questionnaire, clock: Clock
) -> None:
    publish(tmp_path / "questionnaires", questionnaire, NOW.date())
    plain = create_handler(
        SQLiteSubmissionStore(tmp_path / "submissions.sqlite3"),
        Catalogue.open(tmp_path / "questionnaires"),
        clock=clock,
    )
    document = _document(plain)
    assert set(document["paths"]) == {"/api/submissions", "/api/health"}
    assert "Complaint" not in document["components"]["schemas"]
    assert call(plain, complaint_json({}))["statusCode"] == 404
