"""`manyi serve` behind a proxy and in its log: the client's address from a trusted proxy only,
and one logfmt line per request holding nothing personal."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from manyi.model import Questionnaire
from tests.apigw import form_pairs, submission_body
from tests.cli import run_manyi
from tests.serving import Served, make_site, serving
from tests.unit.test_access_log import parse

SUBMISSIONS = "/api/submissions"


@pytest.fixture
def site(tmp_path: Path, questionnaire: Questionnaire) -> Path:
    return make_site(tmp_path / "dist", questionnaire.to_dict())


@pytest.fixture
def behind_proxy(tmp_path: Path, site: Path) -> Iterator[Served]:
    with serving(
        tmp_path / "data", site, "--rate-limit", "1/1", "--trusted-proxy", "127.0.0.1"
    ) as served:
        yield served


def submit(
    served: Served, questionnaire: Questionnaire, n: int, source: str, **headers: str
) -> int:
    body = json.dumps(submission_body(questionnaire, submission_id=f"proxy-test-{n:04d}"))
    headers = {"Content-Type": "application/json", **headers}
    return served.request("POST", SUBMISSIONS, body.encode(), headers, source=source)[0]


def test_from_the_trusted_proxy_each_citizen_has_their_own_rate_limit(
    behind_proxy: Served, questionnaire: Questionnaire
) -> None:
    assert (
        submit(behind_proxy, questionnaire, 1, "127.0.0.1", **{"X-Real-IP": "203.0.113.1"}) == 201
    )
    assert (
        submit(behind_proxy, questionnaire, 2, "127.0.0.1", **{"X-Real-IP": "203.0.113.1"}) == 429
    )
    assert (
        submit(behind_proxy, questionnaire, 3, "127.0.0.1", **{"X-Real-IP": "203.0.113.2"}) == 201
    )
    forwarded = {"X-Forwarded-For": "203.0.113.3"}
    assert submit(behind_proxy, questionnaire, 4, "127.0.0.1", **forwarded) == 201


def test_from_anyone_else_the_forwarded_headers_change_nothing(
    behind_proxy: Served, questionnaire: Questionnaire
) -> None:
    assert (
        submit(behind_proxy, questionnaire, 1, "127.0.0.2", **{"X-Real-IP": "203.0.113.1"}) == 201
    )
    # Another "citizen" named by an untrusted peer is still that peer: limited.
    assert (
        submit(behind_proxy, questionnaire, 2, "127.0.0.2", **{"X-Real-IP": "203.0.113.9"}) == 429
    )
    assert (
        submit(behind_proxy, questionnaire, 3, "127.0.0.2", **{"X-Forwarded-For": "1.2.3.4"}) == 429
    )
    assert submit(behind_proxy, questionnaire, 4, "127.0.0.3") == 201


def test_without_trusted_proxies_the_headers_are_ignored(
    tmp_path: Path, site: Path, questionnaire: Questionnaire
) -> None:
    with serving(tmp_path / "data", site, "--rate-limit", "1/1") as served:
        assert submit(served, questionnaire, 1, "127.0.0.1", **{"X-Real-IP": "203.0.113.1"}) == 201
        assert submit(served, questionnaire, 2, "127.0.0.1", **{"X-Real-IP": "203.0.113.2"}) == 429


def test_a_bad_trusted_proxy_is_refused_with_exit_2(tmp_path: Path, site: Path) -> None:
    done = run_manyi("serve", "--port", "0", "--trusted-proxy", "nginx", timeout=60)
    assert done.returncode == 2
    assert "manyi serve: --trusted-proxy: not an address or network: 'nginx'" in done.stderr


def log_lines(served: Served) -> int:
    text = (served.data / "serve.log").read_text(encoding="utf-8")
    return sum(line.startswith("request ") for line in text.splitlines())


def test_one_line_per_request_with_nothing_personal_in_it(
    tmp_path: Path, site: Path, questionnaire: Questionnaire
) -> None:
    with serving(tmp_path / "data", site, "--rate-limit", "off") as served:
        served.request("GET", "/d/sifaju/")
        served.request("GET", "/d/nobody/")
        served.request("HEAD", "/api/health?probe=1")
        status, _, _ = served.post_json(submission_body(questionnaire, submission_id="log-0001"))
        assert status == 201
        form = urlencode(form_pairs(questionnaire, channel="wechat")).encode()
        served.request(
            "POST", SUBMISSIONS, form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        served.request("GET", "/results/?token=SECRET-TOKEN-VALUE")
        served.request(
            "POST",
            SUBMISSIONS,
            b'{"broken',
            {"Content-Type": "application/json", "X-Real-IP": "203.0.113.77"},
        )
        # A line is written just after its answer is sent: wait for the last one.
        deadline = time.monotonic() + 10
        while log_lines(served) < 7 and time.monotonic() < deadline:
            time.sleep(0.02)
    text = (served.data / "serve.log").read_text(encoding="utf-8")
    request_lines = [line for line in text.splitlines() if line.startswith("request ")]
    lines = [parse(line) for line in request_lines]
    assert [(f["method"], f["path"], f["status"]) for f in lines] == [
        ("GET", "/d/sifaju/", "200"),
        ("GET", "/d/nobody/", "404"),
        ("HEAD", "/api/health", "200"),
        ("POST", SUBMISSIONS, "201"),
        ("POST", SUBMISSIONS, "303"),
        ("GET", "/results/", "401"),
        ("POST", SUBMISSIONS, "400"),
    ]
    assert lines[0]["bytes"] == str(len("<p>司法局</p>".encode()))
    assert lines[2]["bytes"] == "0"  # HEAD: headers only
    assert all(re.fullmatch(r"\d+\.\d", f["ms"]) for f in lines)
    assert len({f["id"] for f in lines}) == len(lines)
    for forbidden in (
        "127.0.0.1",
        "203.0.113.77",
        "SECRET-TOKEN",
        "satisfied",
        "probe",
        "log-0001",
    ):
        assert not [line for line in request_lines if forbidden in line]
