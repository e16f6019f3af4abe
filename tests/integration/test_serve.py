"""`manyi serve` as a process: the site's files, the collector through API Gateway events,
data that survives restarts and `kill -9`."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from manyi.model import Questionnaire
from manyi.serving.lambda_app import from_result, to_event
from manyi.serving.server import THREADS
from site_builder.policy import security_headers
from tests.apigw import form_pairs, submission_body
from tests.serving import Served, make_site, serving, start


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    site = make_site(folder / "dist", questionnaire.to_dict())
    with serving(folder / "data", site) as server:
        yield server


def rows(data: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data / "submissions.sqlite3") as db:
        return list(db.execute("SELECT submission_id, month FROM responses ORDER BY 1"))


def test_pages_and_assets_with_their_types_and_caching(served: Served) -> None:
    status, headers, body = served.request("GET", "/d/sifaju/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # The site's own policy, as the CDN serves it: CSP, nosniff, brief caching of pages.
    policy = security_headers("/d/sifaju/index.html")
    assert headers["Cache-Control"] == policy["Cache-Control"]
    assert headers["Content-Security-Policy"] == policy["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert body.decode() == "<p>司法局</p>"
    status, headers, _ = served.request("GET", "/assets/site.3f2a9c1e.css")
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in headers["Cache-Control"]
    status, headers, _ = served.request("GET", "/robots.txt")
    assert headers["Cache-Control"] == security_headers("/robots.txt")["Cache-Control"]
    status, headers, _ = served.request("GET", "/")
    assert status == 200


def test_a_department_url_without_slash_redirects_and_unknown_paths_are_404(served: Served) -> None:
    status, headers, _ = served.request("GET", "/d/sifaju")
    assert status == 301
    assert headers["Location"] == "/d/sifaju/"
    assert served.request("GET", "/d/nobody/")[0] == 404
    assert served.request("GET", "/../../etc/passwd")[0] == 404
    assert served.request("GET", "/%2e%2e/%2e%2e/etc/passwd")[0] == 404
    assert served.request("POST", "/d/sifaju/")[0] == 405


def test_etag_revalidation_answers_304(served: Served) -> None:
    _, headers, _ = served.request("GET", "/d/sifaju/")
    status, _, body = served.request(
        "GET", "/d/sifaju/", headers={"If-None-Match": headers["ETag"]}
    )
    assert status == 304
    assert body == b""


def test_health_and_openapi_through_the_handler(
    served: Served, questionnaire: Questionnaire
) -> None:
    status, _, body = served.request("GET", "/api/health")
    assert status == 200
    assert json.loads(body)["version"] == questionnaire.version
    status, _, body = served.request("GET", "/api/openapi.json")
    assert status == 200
    document = json.loads(body)
    assert document["components"]["schemas"]["Submission"]["properties"]["version"]["enum"] == [
        questionnaire.version
    ]
    # `manyi serve` takes complaints: their routes are in the document, with their errors.
    complaint = document["paths"]["/api/complaints"]["post"]["responses"]
    assert {"200", "201", "400", "413", "415", "422", "429", "500", "503"} <= set(complaint)
    lookup = document["paths"]["/api/complaints/status"]["post"]["responses"]
    assert {"200", "400", "404", "429"} <= set(lookup)


def test_json_submissions_replayed_are_stored_once(
    served: Served, questionnaire: Questionnaire
) -> None:
    body = submission_body(questionnaire, submission_id="serve-replay-01")
    answers = [served.post_json(body) for _ in range(3)]
    assert {status for status, _, _ in answers} == {201}
    assert len({json.dumps(a) for _, _, a in answers}) == 1
    assert [r for r in rows(served.data) if r[0] == "serve-replay-01"] != []
    assert sum(1 for r in rows(served.data) if r[0] == "serve-replay-01") == 1


def test_a_plain_form_goes_to_the_thanks_page(served: Served, questionnaire: Questionnaire) -> None:
    before = len(rows(served.data))
    body = urlencode(form_pairs(questionnaire)).encode()
    status, headers, _ = served.request(
        "POST", "/api/submissions", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 303
    assert headers["Location"] == "/d/sifaju/thanks/"
    assert len(rows(served.data)) == before + 1


def test_bodies_too_large_to_read_are_refused_without_reading(served: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.putrequest("POST", "/api/submissions")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(2 * 1024 * 1024))
    conn.endheaders()  # the body is never sent: the answer must not wait for it
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    status, _, body = served.request(
        "POST", "/api/submissions", b"x" * (17 * 1024), {"Content-Type": "application/json"}
    )
    assert status == 413
    assert json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.slow
def test_data_survives_a_restart_and_kill_9_right_after_each_2xx(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    site = make_site(tmp_path / "dist", questionnaire.to_dict())
    data = tmp_path / "data"
    acknowledged = []
    for round_number in range(3):
        server = start(data, site)
        try:
            for i in range(20):
                submission_id = f"kill9-{round_number}-{i:04d}"
                status, _, _ = server.post_json(
                    submission_body(questionnaire, submission_id=submission_id)
                )
                assert status == 201
                acknowledged.append(submission_id)
        finally:
            # No goodbye: the process dies right after the last 2xx.
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=20)
    stored = {submission_id for submission_id, _ in rows(data)}
    assert set(acknowledged) <= stored
    assert len(stored) == 60
    # And a replay after the restarts is still answered from the first record.
    with serving(data, site) as server:
        status, _, answer = server.post_json(
            submission_body(questionnaire, submission_id="kill9-0-0000")
        )
        assert status == 201
        assert answer["submission_id"] == "kill9-0-0000"
    assert len(rows(data)) == 60


def test_serve_without_a_built_site_takes_the_questionnaire_from_yaml(tmp_path: Path) -> None:
    with serving(tmp_path / "data", tmp_path / "no-site") as server:
        status, _, body = server.request("GET", "/api/health")
        assert status == 200
        status, _, body = server.request("GET", "/")
        assert status == 404
        assert "manyi build" in body.decode()
    assert list((tmp_path / "data" / "questionnaires").glob("*.json"))


def test_an_http_request_becomes_an_api_gateway_v2_event() -> None:
    event = to_event(
        "POST",
        "/api/submissions?x=1&y=%E4%B8%AD",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Host": "127.0.0.1:8000",
            "Cookie": "a=1; b=2",
            "X-Many": "1",
        },
        b"department=sifaju",
        "10.0.0.9",
    )
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/api/submissions"
    assert event["rawQueryString"] == "x=1&y=%E4%B8%AD"
    assert event["queryStringParameters"] == {"x": "1", "y": "中"}
    assert event["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["isBase64Encoded"] is True  # a form, like API Gateway sends it
    assert event["requestContext"]["http"] == {
        "method": "POST",
        "path": "/api/submissions",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9",
        "userAgent": "",
    }
    json_event = to_event("POST", "/api/x", {"Content-Type": "application/json"}, b'{"a":1}', "::1")
    assert json_event["body"] == '{"a":1}'
    assert json_event["isBase64Encoded"] is False


def test_a_handler_result_becomes_status_headers_and_body() -> None:
    status, headers, body = from_result(
        {
            "statusCode": 303,
            "headers": {"Location": "/d/x/thanks/"},
            "body": "",
            "cookies": ["s=1"],
            "isBase64Encoded": False,
        }
    )
    assert (status, body) == (303, b"")
    assert ("Location", "/d/x/thanks/") in headers
    assert ("Set-Cookie", "s=1") in headers


# -- what a hostile client sends -------------------------------------------------------------


def exchange(served: Served, raw: bytes, wait: float = 10) -> bytes:
    """Send raw bytes on one connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=wait) as conn:
        conn.sendall(raw)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    "path",
    ["/d/%00", "/d/sifaju/%00/", "/" + "a" * 300, "/d/" + "x" * 300 + "/", "/%ff%fe", "/d/%0a"],
)
def test_odd_paths_are_404_and_the_connection_lives_on(served: Served, path: str) -> None:
    answer = exchange(
        served,
        f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        + b"GET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    statuses = re.findall(rb"^HTTP/1\.1 (\d{3})", answer, re.MULTILINE)
    assert statuses == [b"404", b"200"]
    assert b"Traceback" not in answer


def test_a_body_sent_with_a_get_is_never_taken_for_a_request(served: Served) -> None:
    smuggled = b"GET /d/sifaju/ HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = exchange(
        served,
        b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n"
        + f"Content-Length: {len(smuggled)}\r\n\r\n".encode()
        + smuggled
        + b"GET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert re.findall(rb"^HTTP/1\.1 (\d{3})", answer, re.MULTILINE) == [b"200", b"200"]
    assert "司法局".encode() not in answer


def test_the_builders_bookkeeping_is_not_served(served: Served) -> None:
    assert served.request("GET", "/.manyi-site")[0] == 404
    assert served.request("GET", "/d/../.manyi-site")[0] == 404
    assert served.request("GET", "/%2emanyi-site")[0] == 404


def test_half_sent_requests_hold_no_thread_and_block_nobody(served: Served) -> None:
    half_sent = []
    try:
        for _ in range(300):
            conn = socket.create_connection(("127.0.0.1", served.port), timeout=10)
            conn.sendall(
                b"POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n{"
            )
            half_sent.append(conn)
        status, _, _ = served.request("GET", "/api/health")
        assert status == 200
        status_file = Path(f"/proc/{served.process.pid}/status").read_text()
        threads = re.search(r"^Threads:\s+(\d+)", status_file, re.MULTILINE)
        assert threads is not None
        assert int(threads.group(1)) < THREADS + 10
    finally:
        for conn in half_sent:
            conn.close()


def test_a_lone_surrogate_is_400_and_the_connection_lives_on(
    served: Served, questionnaire: Questionnaire
) -> None:
    body = submission_body(questionnaire, submission_id="surrogate-01")
    body["answers"] = {**body["answers"], "\ud800": "none"}
    raw = json.dumps(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("POST", "/api/submissions", raw, {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 400
    assert json.loads(response.read())["error"]["code"] == "malformed"
    conn.request("GET", "/api/health")
    assert conn.getresponse().status == 200
    conn.close()


@pytest.mark.slow
def test_behind_a_trusted_https_proxy_the_office_cookie_is_secure(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    from manyi.results.office_token import office_token

    site = make_site(tmp_path / "dist", questionnaire.to_dict())
    token = office_token(tmp_path / "data")
    login = f"token={token}".encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with serving(tmp_path / "data", site, "--trusted-proxy", "127.0.0.1") as server:
        status, headers, _ = server.request(
            "POST", "/results/login", login, {**form, "X-Forwarded-Proto": "https"}
        )
        assert status == 303
        assert "; Secure" in headers["Set-Cookie"]
        status, headers, _ = server.request("POST", "/results/login", login, form)
        assert "; Secure" not in headers["Set-Cookie"]
    # Without a trusted proxy, nobody's X-Forwarded-Proto is believed.
    with serving(tmp_path / "data", site) as server:
        status, headers, _ = server.request(
            "POST", "/results/login", login, {**form, "X-Forwarded-Proto": "https"}
        )
        assert "; Secure" not in headers["Set-Cookie"]
