"""The network facts of a response: a keyed hash of its prefix under a daily key that is
destroyed once the month is closed, and never the address itself, stored or logged."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from manyi.collector.handler import create_handler
from manyi.collector.network import NetworkHasher, network_hash, network_prefix
from manyi.model import Questionnaire
from manyi.results.backends import local_backend
from manyi.results.service import Request, run_aggregator
from manyi.store.network_keys.base import NetworkKeys
from manyi.store.network_keys.dynamodb import DynamoDBNetworkKeys
from manyi.store.network_keys.sqlite import SQLiteNetworkKeys
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.versions import Catalogue, publish
from tests.apigw import LambdaContext, collector_log, json_event, submission_body
from tests.aws import REGION
from tests.cfn import create_tables

ADDRESS = "198.51.100.77"
IPV6 = "2001:db8:abcd:12:3456:789a:bcde:f012"


def test_the_prefix_is_the_slash_24_or_the_slash_48() -> None:
    assert network_prefix(ADDRESS) == "198.51.100.0/24"
    assert network_prefix(IPV6) == "2001:db8:abcd::/48"
    assert network_prefix("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert network_prefix("fe80::1%eth0") == "fe80::/48"
    assert network_prefix("not an address") == ""
    assert network_prefix("") == ""


def test_one_network_hashes_alike_under_one_key_and_apart_under_another() -> None:
    key, other = b"k" * 32, b"o" * 32
    same = network_hash(key, "198.51.100.200")
    assert network_hash(key, ADDRESS) == same
    assert network_hash(key, "198.51.101.77") != same
    assert network_hash(other, ADDRESS) != same
    assert len(same) == 16
    assert network_hash(key, "garbage") == ""


@pytest.fixture(params=["sqlite", "dynamodb"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NetworkKeys]:
    if request.param == "sqlite":
        store = SQLiteNetworkKeys.in_folder(tmp_path)
        yield store
        store.close()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        tables = create_tables(client)
        yield DynamoDBNetworkKeys(tables["NetworkKeysTable"], client)


def test_the_key_rotates_daily_and_is_the_same_for_every_caller_of_a_day(
    keys: NetworkKeys,
) -> None:
    first = keys.key(date(2026, 11, 2))
    assert len(first) == 32
    assert keys.key(date(2026, 11, 2)) == first
    assert keys.key(date(2026, 11, 3)) != first
    assert keys.key(date(2026, 12, 1)) not in (first, keys.key(date(2026, 11, 3)))
    assert keys.days("2026-11") == ["2026-11-02", "2026-11-03"]


def test_destroying_a_month_keeps_today_and_other_months(keys: NetworkKeys) -> None:
    for day in (1, 2, 27, 28):
        keys.key(date(2026, 11, day))
    keys.key(date(2026, 12, 1))
    assert keys.destroy_before("2026-11", date(2026, 11, 28)) == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-27",
    ]
    assert keys.days("2026-11") == ["2026-11-28"]
    assert keys.days("2026-12") == ["2026-12-01"]
    before = keys.key(date(2026, 11, 28))
    keys.destroy_before("2026-11", date(2026, 12, 1))
    assert keys.days("2026-11") == []
    # A day whose key is gone gets a new one: its hashes cannot be matched to the old.
    assert keys.key(date(2026, 11, 28)) != before


def test_a_failing_key_store_never_refuses_a_response() -> None:
    class Broken(NetworkKeys):
        def key(self, day: date) -> bytes:
            from manyi.store.network_keys.base import NetworkKeyError

            raise NetworkKeyError("down")

        def days(self, month: str) -> list[str]:
            return []

        def destroy(self, day: str) -> None:
            pass

    assert NetworkHasher(Broken()).hash(ADDRESS, date(2026, 11, 2)) == ""


def _every_byte(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_no_address_is_stored_or_logged_and_the_keys_are_gone_after_the_close(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    data = tmp_path / "data"
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    publish(data / "questionnaires", questionnaire, now.date())
    catalogue = Catalogue.open(data / "questionnaires")
    store = SQLiteSubmissionStore(data / "submissions.sqlite3")
    keys = SQLiteNetworkKeys.in_folder(data)
    handler = create_handler(store, catalogue, clock=lambda: now, network_keys=keys)
    with collector_log() as log:
        for n, address in enumerate((ADDRESS, "198.51.100.8", IPV6)):
            body = submission_body(questionnaire, submission_id=f"netcheck-{n:04d}", seconds=95)
            response = handler(json_event(body, source_ip=address), LambdaContext())
            assert response["statusCode"] == 201, response["body"]
        # A refused one is logged: still without its address.
        bad = submission_body(questionnaire, submission_id="netcheck-bad1", channel="nope")
        assert handler(json_event(bad, source_ip=ADDRESS), LambdaContext())["statusCode"] == 422
    stored = [s.submission for s in store.department_month("sifaju", "2026-11")]
    store.close()
    assert [s.seconds for s in stored] == [95, 95, 95]
    networks = {s.submission_id: s.network for s in stored}
    assert networks["netcheck-0000"] == networks["netcheck-0001"] != networks["netcheck-0002"]
    assert all(len(n) == 16 for n in networks.values())
    logged = log.getvalue()
    assert "submission refused" in logged
    everything = _every_byte(data) + logged.encode()
    for secret in (ADDRESS, "198.51.100.", "198.51.100.8", IPV6, "2001:db8:abcd", "2001:0db8"):
        assert secret.encode() not in everything, secret
    for record in stored:
        assert ADDRESS not in json.dumps(record._asdict())

    keys.key(date(2026, 11, 21))
    assert keys.days("2026-11") == ["2026-11-20", "2026-11-21"]
    key_bytes = [keys.key(date(2026, 11, 20)), keys.key(date(2026, 11, 21))]
    keys.close()
    closing = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # the 28th in Beijing: after close day
    backend = local_backend(data)
    try:
        summary = run_aggregator(
            questionnaire, backend, Request("close", ("2026-11",), by="test"), closing
        )
    finally:
        backend.close()
    assert summary.closed == ["2026-11"]
    assert summary.keys_destroyed == ["2026-11-20", "2026-11-21"]
    reopened = SQLiteNetworkKeys.in_folder(data)
    try:
        assert reopened.days("2026-11") == []
    finally:
        reopened.close()
    everything = _every_byte(data)
    for key in key_bytes:
        assert key not in everything


def test_the_aws_roles_keep_to_their_part_of_the_keys() -> None:
    from manyi.deploy.template import load_template, resources_of_type

    template = load_template()
    roles = resources_of_type(template, "AWS::IAM::Role")

    def actions_on_keys(role: str) -> set[str]:
        found: set[str] = set()
        for policy in roles[role]["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if not isinstance(statement, dict) or "Resource" not in statement:
                    continue
                if "NetworkKeysTable" in json.dumps(statement["Resource"]):
                    found |= set(statement["Action"])
        return found

    assert actions_on_keys("CollectorRole") == {"dynamodb:PutItem", "dynamodb:GetItem"}
    assert actions_on_keys("AggregatorRole") == {"dynamodb:Query", "dynamodb:DeleteItem"}
    # Nobody else touches them: not the workspace, not any other role of the stack.
    for role in set(roles) - {"CollectorRole", "AggregatorRole"}:
        assert actions_on_keys(role) == set(), role


def test_a_backup_leaves_the_keys_out(tmp_path: Path) -> None:
    from manyi.store.backup import back_up

    data = tmp_path / "data"
    keys = SQLiteNetworkKeys.in_folder(data)
    key = keys.key(date(2026, 11, 20))
    keys.close()
    SQLiteSubmissionStore(data / "submissions.sqlite3").close()
    summary = back_up(data, tmp_path / "backup.tar.gz")
    assert list(summary.databases) == ["submissions.sqlite3"]
    with tarfile.open(tmp_path / "backup.tar.gz") as archive:
        assert not [n for n in archive.getnames() if "network_keys" in n]
        unpacked = b"".join(
            f.read() for m in archive.getmembers() if (f := archive.extractfile(m)) is not None
        )
    assert key not in unpacked
