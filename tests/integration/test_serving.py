"""manyi.serving in one process: apps mounted by prefix on waitress, its limits, the policy."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from manyi.deploy.publish import site_objects
from manyi.proxy import parse_trusted
from manyi.serving.lambda_app import LambdaApp
from manyi.serving.server import Mounts, create, listening_on
from manyi.serving.static import StaticSite
from manyi.serving.wsgi import App, Environ, StartResponse, respond
from tests.serving import make_site


@contextmanager
def running(app: App, **options: Any) -> Iterator[int]:
    """`app` on waitress in a thread, on a free port; stopped (every connection too) after."""
    from waitress import wasyncore

    server = create(app, "127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield listening_on(server)[0][1]
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)
        thread.join(10)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def hello_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    return respond(environ, start_response, 200, [("Content-Type", "text/plain")], b"hello")


def staff_resolver_handler() -> Any:
    """A second Powertools app, as the staff workspace will be: routes under /workspace/."""
    app = APIGatewayHttpResolver()

    @app.get("/workspace/whoami")
    def whoami() -> Response[str]:
        event = app.current_event
        body = {"path": event.path, "query": event.query_string_parameters}
        return Response(200, "application/json", json.dumps(body))

    @app.get("/workspace/scheme")
    def scheme() -> Response[str]:
        return Response(200, "text/plain", app.current_event.headers["x-forwarded-proto"])

    return app.resolve


@pytest.mark.slow
def test_any_resolver_app_mounts_at_its_prefix_in_one_line(tmp_path: Path) -> None:
    mounts = Mounts(StaticSite(make_site(tmp_path / "dist")))
    mounts.mount("/workspace/", LambdaApp(staff_resolver_handler()))
    with running(mounts) as port:
        status, headers, body = get(port, "/workspace/whoami?month=2026-11")
        assert status == 200
        assert json.loads(body) == {"path": "/workspace/whoami", "query": {"month": "2026-11"}}
        assert headers["Content-Length"] == str(len(body))
        assert get(port, "/workspace/nothing")[0] == 404
        # Everything else is still the site's; a HEAD gets the headers of the GET, no body.
        assert get(port, "/d/sifaju/")[2].decode() == "<p>司法局</p>"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("HEAD", "/d/sifaju/")
        head = conn.getresponse()
        assert (head.status, head.read()) == (200, b"")
        assert head.headers["Content-Length"] == str(len("<p>司法局</p>".encode()))
        conn.close()


def test_a_function_hears_https_only_when_the_trusted_proxy_says_so() -> None:
    """As API Gateway does, every event names the viewer's scheme: behind nginx the workspace
    marks its cookies Secure from it (the server drops the proxy's own header first)."""
    mounts = Mounts(StaticSite(None))
    mounts.mount("/workspace/", LambdaApp(staff_resolver_handler()))
    said = {"X-Forwarded-Proto": "https"}
    with running(mounts, trusted_proxies=parse_trusted(["127.0.0.1"])) as port:
        assert get(port, "/workspace/scheme", said)[2] == b"https"
        assert get(port, "/workspace/scheme")[2] == b"http"
    with running(mounts) as port:
        assert get(port, "/workspace/scheme", said)[2] == b"http"


def test_the_longest_prefix_wins_and_the_bare_folder_name_belongs_to_the_mount() -> None:
    site, api, admin = StaticSite(None), hello_app, LambdaApp(staff_resolver_handler())
    mounts = Mounts(site)
    mounts.mount("/api/", api)
    mounts.mount("/api/admin/", admin)
    assert mounts.app_for("/api/submissions") is api
    assert mounts.app_for("/api") is api
    assert mounts.app_for("/api/admin/x") is admin
    assert mounts.app_for("/apiary/") is site
    assert mounts.app_for("/") is site
    for wrong in ("/api", "api/", "/"):
        with pytest.raises(ValueError, match="folder path"):
            mounts.mount(wrong, api)


@pytest.mark.slow
def test_an_app_that_fails_answers_503_to_retry_never_a_traceback() -> None:
    def broken(environ: Environ, start_response: StartResponse) -> list[bytes]:
        raise RuntimeError("disk on fire")

    mounts = Mounts(StaticSite(None))
    mounts.mount("/api/", broken)
    with running(mounts) as port:
        status, headers, body = get(port, "/api/x")
    assert status == 503
    assert headers["Retry-After"] == "5"
    assert "disk on fire" not in body.decode()
    assert "请稍后再试" in body.decode()


@pytest.mark.slow
def test_an_idle_connection_is_closed_after_the_timeout() -> None:
    with running(hello_app, idle_timeout=1) as port:
        conn = socket.create_connection(("127.0.0.1", port), timeout=15)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        assert conn.recv(1024) == b""  # closed by the server, not by our timeout
        assert time.monotonic() - started < 14
        conn.close()


@pytest.mark.slow
def test_connections_over_the_cap_wait_until_others_close() -> None:
    with running(hello_app, max_connections=4) as port:
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
        time.sleep(0.5)  # the server has taken in what it takes
        waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=1.5)
        waiting.request("GET", "/")
        with pytest.raises(TimeoutError):
            waiting.getresponse()
        waiting.close()
        for conn in idle:
            conn.close()
        assert get(port, "/")[2] == b"hello"


def test_served_files_carry_what_publish_gives_the_cdn(tmp_path: Path) -> None:
    """One policy: every file's type and caching, served locally or published to S3."""
    dist = make_site(tmp_path / "dist", {"version": "0123456789ab", "title": "问卷"})
    (dist / "d" / "sifaju" / "qr.svg").write_text("<svg/>", encoding="utf-8")
    (dist / "d" / "sifaju" / "qr.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (dist / "api" / "questionnaire" / "versions.json").write_text("{}", encoding="utf-8")
    published = {o.key: o for o in site_objects(dist)}
    site = StaticSite(dist)
    for key, item in published.items():
        found, _ = site.find("/" + key)
        assert found is not None, key
        served = site.headers_of(found)
        assert (served["Content-Type"], served["Cache-Control"]) == (
            item.content_type,
            item.cache_control,
        ), key
    assert ".manyi-site" not in published
    assert site.find("/.manyi-site") == (None, None)


def test_text_is_sent_gzipped_to_a_browser_that_takes_it(tmp_path: Path) -> None:
    import gzip

    from manyi.serving.static import accepts_gzip

    dist = make_site(tmp_path / "dist", {"version": "0123456789ab", "title": "问卷"})
    page = dist / "d" / "sifaju" / "index.html"
    page.write_text("<!doctype html><title>问卷</title>" + "<p>满意</p>" * 400, encoding="utf-8")
    (dist / "d" / "sifaju" / "qr.png").write_bytes(b"\x89PNG\r\n\x1a\n" * 200)
    with running(StaticSite(dist)) as port:
        status, plain_headers, plain_body = get(port, "/d/sifaju/")
        assert status == 200
        assert plain_headers["Vary"] == "Accept-Encoding"
        assert "Content-Encoding" not in plain_headers
        status, headers, body = get(port, "/d/sifaju/", {"Accept-Encoding": "gzip, br"})
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == plain_body == page.read_bytes()
        assert len(body) < len(plain_body) / 5
        assert headers["ETag"] != plain_headers["ETag"]
        # Its own ETag revalidates the gzipped form.
        status, _, _ = get(
            port, "/d/sifaju/", {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]}
        )
        assert status == 304
        # Images are compressed already; gzip;q=0 refuses it.
        _, png_headers, _ = get(port, "/d/sifaju/qr.png", {"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in png_headers
        _, refused, _ = get(port, "/d/sifaju/", {"Accept-Encoding": "gzip;q=0, deflate"})
        assert "Content-Encoding" not in refused
    assert [accepts_gzip(h) for h in ("*", "GZIP;q=0.5", "", "gzip;q=0", "br")] == [
        True,
        True,
        False,
        False,
        False,
    ]
