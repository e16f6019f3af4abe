"""The rate limit behind each kind of CloudFront: whose address counts, and when it is believed.

Global partition: an origin request policy forwards `CloudFront-Viewer-Address`. China regions:
no such policy, so the address is the entry CloudFront appends to `X-Forwarded-For`, and the
legacy forwarding passes on headers it does not know (a phone's own `CloudFront-Viewer-Address`
too). In both, CloudFront adds the origin secret; a request without it (the API's endpoint
called directly) keys on its source address whatever headers it carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from manyi.collector.handler import Handler, create_handler
from manyi.collector.ratelimit import ORIGIN_HEADER, AddressSource, RateLimit
from manyi.model import Questionnaire
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import LambdaContext, json_event, submission_body
from tests.aws import REGION, SUBMISSIONS_TABLE, create_submissions_table

SECRET = "s3cr3t-origin-value-0123456789abcdef"
EDGE = "54.222.1.1"  # a CloudFront edge server: API Gateway's sourceIp behind CloudFront
GLOBAL = AddressSource("cloudfront-viewer-address", frozenset({SECRET}))
CHINA = AddressSource("x-forwarded-for", frozenset({SECRET}))


@pytest.fixture
def store() -> Iterator[DynamoDBSubmissionStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_submissions_table(client)
        yield DynamoDBSubmissionStore(SUBMISSIONS_TABLE, client=client)


class Sender:
    """Posts submissions through one collector whose limit is one per address (burst 1)."""

    def __init__(
        self,
        store: DynamoDBSubmissionStore,
        questionnaire: Questionnaire,
        tmp_path: Path,
        addresses: AddressSource,
    ) -> None:
        publish(tmp_path / "q", questionnaire, date.today())
        self.handler: Handler = create_handler(
            store, Catalogue.open(tmp_path / "q"), rate_limit=RateLimit(1, 1), addresses=addresses
        )
        self.questionnaire = questionnaire
        self.count = 0

    def status(self, headers: dict[str, str], source_ip: str = EDGE) -> int:
        self.count += 1
        body = submission_body(self.questionnaire, submission_id=f"cdn-test-{self.count:04d}")
        event = json_event(body, source_ip=source_ip)
        event["headers"].pop("x-forwarded-for")  # the fixture's, as API Gateway alone sets it
        event["headers"].update(headers)
        return int(self.handler(event, LambdaContext())["statusCode"])


def through(headers: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    return {ORIGIN_HEADER: secret, **headers}


@pytest.fixture
def global_cdn(
    store: DynamoDBSubmissionStore, questionnaire: Questionnaire, tmp_path: Path
) -> Sender:
    return Sender(store, questionnaire, tmp_path, GLOBAL)


@pytest.fixture
def china_cdn(
    store: DynamoDBSubmissionStore, questionnaire: Questionnaire, tmp_path: Path
) -> Sender:
    return Sender(store, questionnaire, tmp_path, CHINA)


def test_global_cloudfront_keys_on_the_viewer_address_it_forwards(global_cdn: Sender) -> None:
    viewer = "cloudfront-viewer-address"
    assert global_cdn.status(through({viewer: "203.0.113.7:46532"})) == 201
    # Another phone behind the same edge server is not limited by the first one.
    assert global_cdn.status(through({viewer: "203.0.113.8:40000"})) == 201
    assert global_cdn.status(through({viewer: "2001:db8::1:443"})) == 201
    # The same phone again, another port, another edge: its own limit.
    assert global_cdn.status(through({viewer: "203.0.113.7:51234"}), "54.222.9.9") == 429


def test_global_without_the_secret_a_forged_viewer_header_is_ignored(global_cdn: Sender) -> None:
    # Someone calls the execute-api endpoint directly, naming a new "viewer" every time.
    forged = "cloudfront-viewer-address"
    assert global_cdn.status({forged: "198.51.100.1:1"}, "192.0.2.50") == 201
    assert global_cdn.status({forged: "198.51.100.2:1"}, "192.0.2.50") == 429
    # A wrong secret is no secret.
    wrong = through({forged: "198.51.100.3:1"}, secret=SECRET[:-1] + "x")
    assert global_cdn.status(wrong, "192.0.2.50") == 429


def test_china_cloudfront_keys_on_the_entry_cloudfront_appended(china_cdn: Sender) -> None:
    xff = "x-forwarded-for"
    # CloudFront appends the phone's address, API Gateway the edge server's.
    assert china_cdn.status(through({xff: f"203.0.113.7, {EDGE}"})) == 201
    assert china_cdn.status(through({xff: f"203.0.113.8, {EDGE}"})) == 201
    # The phone puts a new address in front each time: CloudFront's entry still counts.
    assert china_cdn.status(through({xff: f"10.0.0.1, 203.0.113.7, {EDGE}"})) == 429
    assert china_cdn.status(through({xff: f"10.0.0.2, {EDGE}, 203.0.113.8, {EDGE}"})) == 429


def test_china_ignores_a_viewer_address_header_the_phone_sent(china_cdn: Sender) -> None:
    # Legacy forwarding passes unknown headers on: a phone's own CloudFront-Viewer-Address.
    for fake in ("198.51.100.1:1", "198.51.100.2:1"):
        headers = {"cloudfront-viewer-address": fake, "x-forwarded-for": f"203.0.113.9, {EDGE}"}
        status = china_cdn.status(through(headers))
    assert status == 429


def test_china_without_the_secret_keys_on_the_source(china_cdn: Sender) -> None:
    xff = "x-forwarded-for"
    assert china_cdn.status({xff: "198.51.100.1"}, "192.0.2.60") == 201
    assert china_cdn.status({xff: "198.51.100.2"}, "192.0.2.60") == 429
    # And a request with the secret but no usable X-Forwarded-For falls back to the source.
    assert china_cdn.status(through({xff: "192.0.2.61"}), "192.0.2.61") == 201
    assert china_cdn.status(through({}), "192.0.2.61") == 429


def test_without_a_cdn_only_the_source_counts(
    store: DynamoDBSubmissionStore, questionnaire: Questionnaire, tmp_path: Path
) -> None:
    direct = Sender(store, questionnaire, tmp_path, AddressSource())
    headers = {"x-forwarded-for": "198.51.100.1", "cloudfront-viewer-address": "198.51.100.1:1"}
    assert direct.status(through(headers), "192.0.2.70") == 201
    headers = {"x-forwarded-for": "198.51.100.2", "cloudfront-viewer-address": "198.51.100.2:1"}
    assert direct.status(through(headers), "192.0.2.70") == 429


def test_the_secret_comes_from_the_environment_and_rotates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MANYI_CLIENT_ADDRESS_HEADER", "X-Forwarded-For")
    monkeypatch.setenv("MANYI_ORIGIN_SECRETS", f"new-secret, {SECRET},")
    source = AddressSource.from_environment()
    assert source == AddressSource("x-forwarded-for", frozenset({"new-secret", SECRET}))
    # During a rotation CloudFront may still send the old value at some edges: both count.
    for secret in ("new-secret", SECRET):
        headers = {ORIGIN_HEADER: secret, "x-forwarded-for": f"203.0.113.7, {EDGE}"}
        assert source.address(EDGE, headers) == "203.0.113.7"
    assert source.address(EDGE, {"x-forwarded-for": f"203.0.113.7, {EDGE}"}) == EDGE
    monkeypatch.setenv("MANYI_ORIGIN_SECRETS", "")
    assert AddressSource.from_environment().secrets == frozenset()
