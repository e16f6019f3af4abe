"""The one-server deployment end to end: Debian's nginx with deploy/one-server/nginx-manyi.conf
in front of `manyi serve --trusted-proxy 127.0.0.1`, a certificate made by openssl here, a
JavaScript-off form sent from Chromium over HTTPS, and an office account's first workspace login."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire
from tests.apigw import submission_body
from tests.browser.test_site_browser import answer_required
from tests.serving import Served, exchange, serving, stored_rows

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NGINX_SITE = ROOT / "deploy" / "one-server" / "nginx-manyi.conf"
NGINX = "/usr/sbin/nginx"
HSTS = "max-age=31536000"


@dataclass
class Proxy:
    https_port: int
    http_port: int
    certificate: Path
    folder: Path

    def connection(self, source: str = "127.0.0.1") -> http.client.HTTPSConnection:
        """A connection that checks nginx's certificate against the one made for the test."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        return http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=context, timeout=30, source_address=(source, 0)
        )

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        return exchange(self.connection(source), method, path, body, headers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    names = ["-subj", "/CN=manyi.test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:manyi.test"]
    files = ["-keyout", str(key), "-out", str(certificate)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", *names, *files],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


def site_config(upstream: int, proxy: Proxy, key: Path) -> str:
    """The shipped site with only what a machine of its own would not need changed."""
    text = NGINX_SITE.read_text(encoding="utf-8")
    replacements = {
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{proxy.http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{proxy.https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "/etc/ssl/manyi/fullchain.pem": str(proxy.certificate),
        "/etc/ssl/manyi/privkey.pem": str(key),
        "/var/log/nginx/manyi-error.log": str(proxy.folder / "manyi-error.log"),
    }
    for old, new in replacements.items():
        assert old in text, f"nginx-manyi.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def main_config(folder: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, in a folder of the test's own.

    Like Debian's, it keeps an access log at the http level: the site must switch it off."""
    temporary = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, workers would run as nobody and could not write the private temp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        f"    access_log {folder / 'access.log'};\n"
        f"{temporary}\n"
        f"    include {folder / 'manyi.conf'};\n"
        "}\n"
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, site: Path) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("one-server")
    extra = ("--trusted-proxy", "127.0.0.1", "--rate-limit", "2/1")
    with serving(folder / "data", site, *extra) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, served: Served) -> Iterator[Proxy]:
    if not Path(NGINX).exists() or shutil.which("openssl") is None:
        pytest.fail("nginx and openssl are installed by scripts/setup.sh")
    folder = tmp_path_factory.mktemp("nginx")
    certificate, key = make_certificate(folder)
    found = Proxy(free_port(), free_port(), certificate, folder)
    (folder / "manyi.conf").write_text(site_config(served.port, found, key), encoding="utf-8")
    (folder / "nginx.conf").write_text(main_config(folder), encoding="utf-8")
    command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(found.https_port, process, folder)
        yield found
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(port: int, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "error.log").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"nginx stopped: {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not start listening")


def test_a_form_without_javascript_is_stored_through_https(
    browser: Any, proxy: Proxy, served: Served
) -> None:
    origin = f"https://127.0.0.1:{proxy.https_port}"
    before = stored_rows(served)
    context = browser.new_context(
        locale="zh-CN", java_script_enabled=False, ignore_https_errors=True
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{origin}/d/sifaju/")
        answer_required(page)
        page.click("button[type=submit]")
        page.wait_for_url(f"{origin}/d/sifaju/thanks/")
    finally:
        context.close()
    new = [row for row in stored_rows(served) if row not in before]
    assert [channel for _, channel in new] == ["leaflet"]


def test_a_first_workspace_login_through_https_gets_a_secure_session(
    browser: Any, proxy: Proxy, served: Served
) -> None:
    """The office's first login, its forced password change, then the dashboard; the session
    cookie is Secure because nginx said the request came over HTTPS, and manyi serve believed it
    from nginx alone."""
    initial, chosen = "initial office passphrase 7", "the office's own passphrase 9"
    account = ["account", "add", "office-tls", "--role", "office", "--data", str(served.data)]
    subprocess.run(
        [sys.executable, "-m", "manyi", *account, "--password-stdin"],
        input=f"{initial}\n",
        text=True,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    origin = f"https://127.0.0.1:{proxy.https_port}"
    context = browser.new_context(locale="zh-CN", ignore_https_errors=True)
    context.set_default_timeout(30_000)  # scrypt on a busy machine
    try:
        page = context.new_page()
        page.goto(f"{origin}/workspace/office/")
        assert page.url.startswith(f"{origin}/workspace/login")
        page.fill("#username", "office-tls")
        page.fill("#password", initial)
        page.click("button[type=submit]")
        page.wait_for_url(f"{origin}/workspace/password")
        assert_session_cookie_is_guarded(context.cookies())
        page.fill("#current", initial)
        page.fill("#new", chosen)
        page.fill("#repeat", chosen)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{origin}/workspace/office/**")
        assert "密码已修改" in page.inner_text("[role=status]")
        assert page.locator("table.departments tbody tr").count() > 0
        assert_session_cookie_is_guarded(context.cookies())
    finally:
        context.close()


def assert_session_cookie_is_guarded(cookies: list[dict[str, Any]]) -> None:
    [session] = [c for c in cookies if c["name"] == "manyi_session"]
    assert session["secure"] is True
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["path"] == "/workspace/"


def test_https_with_hsts_and_plain_http_sent_to_https(proxy: Proxy) -> None:
    status, headers, body = proxy.request("GET", "/api/health")
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    assert headers["Strict-Transport-Security"] == HSTS
    status, headers, _ = proxy.request("GET", "/d/sifaju/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == HSTS
    assert "Content-Security-Policy" in headers  # manyi serve's own headers pass through
    assert "nginx/" not in headers.get("Server", "")  # server_tokens off
    plain = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=30)
    try:
        plain.request("GET", "/d/sifaju/?from=qr")
        response = plain.getresponse()
        assert response.status == 301
        assert response.getheader("Location") == "https://127.0.0.1/d/sifaju/?from=qr"
    finally:
        plain.close()


def test_the_rate_limit_sees_each_citizen_not_nginx(
    proxy: Proxy, questionnaire: Questionnaire
) -> None:
    def submit(number: int, source: str, headers: dict[str, str] | None = None) -> int:
        body = json.dumps(submission_body(questionnaire, submission_id=f"tls-{number:06d}"))
        status, _, _ = proxy.request(
            "POST",
            "/api/submissions",
            body.encode(),
            {"Content-Type": "application/json", **(headers or {})},
            source=source,
        )
        return status

    # A burst of 2 per address: 127.0.0.2 uses its two, then waits; 127.0.0.3 has its own.
    assert [submit(1, "127.0.0.2"), submit(2, "127.0.0.2"), submit(3, "127.0.0.2")] == [
        201,
        201,
        429,
    ]
    # What a client says about itself is replaced by nginx: still 127.0.0.2.
    assert submit(4, "127.0.0.2", {"X-Real-IP": "203.0.113.5", "X-Forwarded-For": "1.2.3.4"}) == 429
    assert submit(5, "127.0.0.3") == 201


def test_nginx_keeps_no_addresses(proxy: Proxy) -> None:
    """Its access log is off for the site; its error log keeps only `crit` lines."""
    proxy.request("GET", "/no/such/page/", source="127.0.0.4")
    access = proxy.folder / "access.log"
    assert not access.exists() or access.read_text(encoding="utf-8") == ""
    errors = proxy.folder / "manyi-error.log"
    assert not errors.exists() or "127.0.0.4" not in errors.read_text(encoding="utf-8")
