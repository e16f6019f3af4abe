"""Start `manyi serve` as its own process for a test, and talk to it over loopback."""

from __future__ import annotations

import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    data: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request from `source` (any 127.0.0.0/8 address reaches a loopback server):
        status, headers (by name in any case, as HTTP means them) and body."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(source, 0)
        )
        return exchange(conn, method, path, body, headers)

    def post_json(self, body: Any) -> tuple[int, http.client.HTTPMessage, Any]:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        status, headers, answer = self.request(
            "POST", "/api/submissions", raw, {"Content-Type": "application/json"}
        )
        return status, headers, json.loads(answer) if answer else None


def exchange(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and body of one request on a new connection, closed after it."""
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def start(data: Path, site: Path, *extra: str) -> Served:
    data.mkdir(parents=True, exist_ok=True)
    log_path = data / "serve.log"
    command = [sys.executable, "-m", "manyi", "serve", "--port", "0"]
    command += ["--data", str(data), "--site", str(site), *extra]
    # To a file, not a pipe: a pipe nobody reads fills up with log lines and stalls the server.
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", log_path.read_text(encoding="utf-8"))
        if found:
            return Served(process, int(found.group(1)), data)
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"manyi serve did not start: {log_path.read_text(encoding='utf-8')}")


@contextmanager
def serving(data: Path, site: Path, *extra: str) -> Iterator[Served]:
    served = start(data, site, *extra)
    try:
        yield served
    finally:
        served.process.terminate()
        served.process.wait(timeout=20)


def make_site(folder: Path, questionnaire_json: dict[str, Any] | None = None) -> Path:
    """A small built site, as `manyi build` lays it out."""
    (folder / "d" / "sifaju" / "thanks").mkdir(parents=True)
    (folder / "assets").mkdir()
    (folder / "index.html").write_text("<!doctype html><title>问卷</title>", encoding="utf-8")
    (folder / "d" / "sifaju" / "index.html").write_text("<p>司法局</p>", encoding="utf-8")
    (folder / "d" / "sifaju" / "thanks" / "index.html").write_text("谢谢", encoding="utf-8")
    (folder / "assets" / "site.3f2a9c1e.css").write_text("body{}", encoding="utf-8")
    (folder / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    (folder / ".manyi-site").write_text("written by manyi build\n", encoding="utf-8")
    if questionnaire_json is not None:
        api = folder / "api" / "questionnaire"
        api.mkdir(parents=True)
        (api / f"{questionnaire_json['version']}.json").write_text(
            json.dumps(questionnaire_json, ensure_ascii=False), encoding="utf-8"
        )
    return folder


def stored_rows(served: Served) -> list[tuple[str, str]]:
    """(submission_id, channel) of every response the served collector has stored."""
    with sqlite3.connect(served.data / "submissions.sqlite3") as db:
        return list(db.execute("SELECT submission_id, channel FROM responses ORDER BY 1"))
