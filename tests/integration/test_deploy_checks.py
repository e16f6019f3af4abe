"""What `manyi deploy` decides by itself, and its health check after deploying.

The health check runs against a real HTTP server on this machine standing in for CloudFront
(each path answers like one of the failures a first deployment meets); the AWS calls behind the
decisions run against botocore's Stubber (which checks each request against the API model) or
moto.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from manyi.deploy.artifact import ArtifactError, LambdaTarget
from manyi.deploy.backup import copy_vault_name, ensure_copy_vault, manage_dynamodb_backups
from manyi.deploy.health import Answer, check_health, fetch
from manyi.deploy.parameters import (
    current_origin_secret,
    function_target,
    origin_secret,
    reservation,
)
from tests.cfn import load_template

VERSION = "0123456789ab"
OUTPUTS = {"SiteUrl": "https://d111111abcdef8.cloudfront.cn"}


# -- the origin secret -----------------------------------------------------------------------


def test_a_new_stack_gets_a_new_secret_an_update_keeps_it() -> None:
    created = origin_secret(None, rotate=False, current=None)
    secret = created.parameters["OriginSecret"]
    assert len(secret) == 64
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert origin_secret(None, False, None).parameters["OriginSecret"] != secret
    # An update leaves OriginSecret out (UsePreviousValue) and ends any earlier rotation.
    kept = origin_secret({"OriginSecret": "****"}, rotate=False, current=None)
    assert kept.parameters == {"PreviousOriginSecret": ""}
    # A stack from before the secret existed gets one.
    assert "OriginSecret" in origin_secret({"Stage": "prod"}, False, None).parameters


def test_a_rotation_keeps_the_old_secret_accepted_until_the_next_deployment() -> None:
    rotated = origin_secret({"OriginSecret": "****"}, rotate=True, current="old-secret")
    assert rotated.parameters["PreviousOriginSecret"] == "old-secret"
    assert rotated.parameters["OriginSecret"] not in ("old-secret", "****")
    assert "accepted until the next deployment" in rotated.note


def test_the_current_secret_is_read_from_the_distribution() -> None:
    cloudfront = boto3.client(
        "cloudfront", region_name="cn-north-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    origins: dict[str, Any] = {
        "Quantity": 2,
        "Items": [
            {"Id": "site", "DomainName": "site.s3.amazonaws.com.cn"},
            {
                "Id": "api",
                "DomainName": "abc.execute-api.cn-north-1.amazonaws.com.cn",
                "CustomHeaders": {
                    "Quantity": 1,
                    "Items": [{"HeaderName": "X-Manyi-Origin", "HeaderValue": "the-secret"}],
                },
            },
        ],
    }
    config = {
        "CallerReference": "x",
        "Origins": origins,
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all"},
        "Comment": "",
        "Enabled": True,
    }
    with Stubber(cloudfront) as stubber:
        stubber.add_response(
            "get_distribution_config", {"DistributionConfig": config}, {"Id": "E2EXAMPLE"}
        )
        assert current_origin_secret(cloudfront, "E2EXAMPLE") == "the-secret"


# -- reserved concurrency --------------------------------------------------------------------


def account(quota: int, unreserved: int) -> tuple[Any, Stubber]:
    client = boto3.client(
        "lambda", region_name="cn-north-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    limits = {"ConcurrentExecutions": quota, "UnreservedConcurrentExecutions": unreserved}
    stubber.add_response("get_account_settings", {"AccountLimit": limits}, {})
    return client, stubber


@pytest.mark.parametrize(
    ("quota", "unreserved", "reserve"),
    [(10, 10, "no"), (120, 120, "no"), (121, 121, "yes"), (1000, 900, "yes"), (1000, 120, "no")],
)
def test_concurrency_is_reserved_only_where_the_quota_allows(
    quota: int, unreserved: int, reserve: str
) -> None:
    client, stubber = account(quota, unreserved)
    with stubber:
        decision = reservation(client, None, {})
    assert decision.parameters == {"ReserveConcurrency": reserve}
    if reserve == "no":
        # The note says how much to ask for and how to check.
        needed = quota - unreserved + 21 + 100
        assert f"at least {needed}" in decision.note
        assert "aws lambda get-account-settings" in decision.note


def test_a_reservation_made_before_or_asked_for_is_left_alone() -> None:
    client, _ = account(10, 10)  # never asked
    assert reservation(client, {"ReserveConcurrency": "yes"}, {}).parameters == {}
    assert reservation(client, None, {"ReserveConcurrency": "no"}).parameters == {}


# -- the artifact's target -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "given", "previous", "target"),
    [
        ("cn-north-1", {}, None, LambdaTarget("3.13", "arm64")),
        ("cn-northwest-1", {}, None, LambdaTarget("3.12", "x86_64")),
        ("ap-east-1", {}, None, LambdaTarget("3.13", "arm64")),
        ("cn-northwest-1", {"FunctionArchitecture": "arm64"}, None, LambdaTarget("3.12", "arm64")),
        ("cn-north-1", {}, {"FunctionRuntime": "python3.12"}, LambdaTarget("3.12", "arm64")),
        ("cn-north-1", {}, {"FunctionRuntime": ""}, LambdaTarget("3.13", "arm64")),
    ],
)
def test_the_artifact_is_built_for_what_the_functions_will_run(
    region: str, given: dict[str, str], previous: dict[str, str] | None, target: LambdaTarget
) -> None:
    assert function_target(load_template(), region, given, previous) == target


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(ArtifactError, match=r"python3\.13"):
        LambdaTarget.of_runtime("python3.9", "arm64")


# -- backups ---------------------------------------------------------------------------------


def test_the_copy_vault_is_made_once_in_the_other_region() -> None:
    with mock_aws():
        backup = boto3.client("backup", region_name="cn-northwest-1")
        assert ensure_copy_vault(backup, "manyi-prod") is True
        assert ensure_copy_vault(backup, "manyi-prod") is False
        assert backup.describe_backup_vault(BackupVaultName=copy_vault_name("manyi-prod"))


def test_aws_backup_is_asked_to_manage_dynamodb_only_when_it_does_not() -> None:
    backup = boto3.client(
        "backup", region_name="cn-north-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    on = {
        "ResourceTypeOptInPreference": {"DynamoDB": True},
        "ResourceTypeManagementPreference": {"DynamoDB": True},
    }
    with Stubber(backup) as stubber:
        stubber.add_response("describe_region_settings", on, {})
        assert manage_dynamodb_backups(backup) is False
        stubber.add_response("describe_region_settings", {}, {})
        stubber.add_response("update_region_settings", {}, on)
        assert manage_dynamodb_backups(backup) is True


# -- the health check ------------------------------------------------------------------------


class StandIn(BaseHTTPRequestHandler):
    """Answers like CloudFront in front of the collector, in each state a deployment meets."""

    answers: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "/ok/api/health": (200, {"status": "ok", "version": VERSION}),
        "/old/api/health": (200, {"status": "ok", "version": "ba9876543210"}),
        "/forbidden/api/health": (403, {"message": "Forbidden"}),
        "/broken/api/health": (503, {"error": {"code": "unavailable"}}),
        "/gone/api/health": (404, {"message": "Not Found"}),
    }

    def do_GET(self) -> None:
        status, body = self.answers[self.path]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def edge() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def health(url: str, *, china: bool = True, attempts: int = 2) -> Any:
    pauses: list[float] = []
    result = check_health(
        url,
        VERSION,
        china=china,
        outputs=OUTPUTS,
        stack="manyi-prod",
        attempts=attempts,
        sleep=pauses.append,
    )
    return result, pauses


def test_a_healthy_collector_passes(edge: str) -> None:
    result, pauses = health(f"{edge}/ok/api/health")
    assert result.ok
    assert VERSION in result.lines[0]
    assert pauses == []


def test_403_in_china_explains_the_icp_allow_list(edge: str) -> None:
    result, pauses = health(f"{edge}/forbidden/api/health")
    assert not result.ok
    assert len(pauses) == 1  # asked again before judging
    text = "\n".join(result.lines)
    assert "403" in text
    assert "ICP 备案白名单" in text
    assert "光环新网" in text
    assert "西云数据" in text
    assert f"curl {edge}/forbidden/api/health" in text
    assert "docs/aws-china.md" in text


def test_403_elsewhere_points_at_the_distribution(edge: str) -> None:
    result, _ = health(f"{edge}/forbidden/api/health", china=False)
    assert "ICP" not in "\n".join(result.lines)
    assert "Aliases" in "\n".join(result.lines)


def test_a_failing_collector_points_at_its_logs(edge: str) -> None:
    result, _ = health(f"{edge}/broken/api/health")
    assert not result.ok
    assert "/aws/lambda/manyi-prod-collector" in "\n".join(result.lines)


def test_an_old_version_says_to_build_first(edge: str) -> None:
    result, _ = health(f"{edge}/old/api/health")
    assert not result.ok
    assert "manyi build" in "\n".join(result.lines)


def test_another_status_points_at_the_domain(edge: str) -> None:
    result, _ = health(f"{edge}/gone/api/health")
    assert "d111111abcdef8.cloudfront.cn" in "\n".join(result.lines)


def test_nothing_listening_is_said_plainly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result, _ = health(f"http://127.0.0.1:{port}/api/health", attempts=1)
    assert not result.ok
    assert "连不上" in result.lines[0]


def test_a_domain_that_does_not_resolve_asks_for_the_cname() -> None:
    def unresolved(url: str, timeout: float) -> Answer:
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    result = check_health(
        "https://manyi.example.gov.cn/api/health",
        VERSION,
        china=True,
        outputs=OUTPUTS,
        stack="manyi-prod",
        get=unresolved,
        attempts=1,
    )
    assert not result.ok
    assert "CNAME 记录：manyi.example.gov.cn → d111111abcdef8.cloudfront.cn" in result.lines[1]


def test_fetch_returns_error_statuses_as_answers(edge: str) -> None:
    assert fetch(f"{edge}/forbidden/api/health", 5).status == 403
    assert fetch(f"{edge}/ok/api/health", 5).status == 200
