"""The collector's figures: cold start, warm validate+serialize, and `manyi serve` throughput.

    python bench/bench_collector.py            # all three
    python bench/bench_collector.py cold|warm|serve [--runs N] [--count N]

cold   whole processes, alternating: the floor (`import boto3; boto3.client('dynamodb')`) and
       the collector (import `manyi.collector.handler`, create the DynamoDB store, the catalogue
       and the handler); prints both medians and the median of the per-round ratios, of wall
       time and of CPU time (user + system: what a busy shared machine disturbs least). Also
       the same with the environment of X-Ray active tracing, as in a Lambda with
       `Tracing: Active` (the collector imports no X-Ray SDK, so it should cost nothing).
warm   one valid JSON submission through `Intake.submit` (parse, rules, record, response
       body serialized), the store call excluded (an in-memory store); and through the whole
       handler (Powertools routing, logging) for comparison.
serve  starts `manyi serve --rate-limit off` on a free port with a fresh data folder, loads it
       from other processes over loopback keep-alive connections, then checks that every 2xx
       is in the SQLite file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "cn-north-1"}

FLOOR = "import boto3; boto3.client('dynamodb', region_name='cn-north-1')"
# What Powertools alone costs (the part of the collector's start we do not write).
POWERTOOLS = (
    FLOOR + "; from aws_lambda_powertools import Logger, Metrics;"
    " from aws_lambda_powertools.event_handler import APIGatewayHttpResolver;"
    " APIGatewayHttpResolver(); Logger(service='x'); Metrics(namespace='x')"
)
COLLECTOR = """
import os, sys
os.environ.setdefault('SUBMISSIONS_TABLE', 'manyi-submissions')
os.environ.setdefault('MANYI_QUESTIONNAIRES', {lambda_dir!r} + '/questionnaires')
sys.path.insert(0, {lambda_dir!r})
import app  # lambda/collector/app.py: imports the collector, creates its clients
"""


def cold(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        lambda_dir = _lambda_bundle(Path(folder))
        collector = COLLECTOR.format(lambda_dir=str(lambda_dir))
        xray = {"LAMBDA_TASK_ROOT": str(lambda_dir), "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}
        variants: tuple[tuple[str, str, dict[str, str]], ...] = (
            ("Powertools resolver+Logger+Metrics alone", POWERTOOLS, {}),
            ("the collector, tracing off", collector, {}),
            ("the collector, active tracing on", collector, xray),
        )
        # Every round runs the floor and each variant back to back, so a neighbour's load
        # touches them alike; the figure is the median of the per-round ratios.
        floors: list[tuple[float, float]] = []
        times: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in variants}
        for _ in range(runs):
            floors.append(_time_process(FLOOR, {}))
            for label, code, extra in variants:
                times[label].append(_time_process(code, extra))
        wall, cpu = (statistics.median(f[i] for f in floors) * 1000 for i in (0, 1))
        print(f"cold start, floor ({runs} rounds): median {wall:.0f} ms wall, {cpu:.0f} ms CPU")
        for label, measured in times.items():
            wall, cpu = (statistics.median(m[i] for m in measured) * 1000 for i in (0, 1))
            ratios = [
                statistics.median(m[i] / f[i] for m, f in zip(measured, floors, strict=True))
                for i in (0, 1)
            ]
            print(
                f"cold start, {label}: median {wall:.0f} ms wall, {cpu:.0f} ms CPU; median ratio "
                f"to the floor {ratios[0]:.3f} wall, {ratios[1]:.3f} CPU"
            )


def _lambda_bundle(folder: Path) -> Path:
    """lambda/collector/app.py with the current questionnaire next to it, as packaged."""
    sys.path.insert(0, str(ROOT))
    from manyi.loader import load_questionnaire
    from manyi.versions import publish

    bundle = folder / "collector"
    bundle.mkdir()
    (bundle / "app.py").write_text((ROOT / "lambda/collector/app.py").read_text())
    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    publish(bundle / "questionnaires", questionnaire, datetime.now(UTC).date())
    return bundle


def _time_process(code: str, extra: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process running `code`."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], env={**ENV, **extra})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, code)
    return wall, usage.ru_utime + usage.ru_stime


def warm(count: int) -> None:
    sys.path.insert(0, str(ROOT))
    from manyi.collector.handler import create_handler
    from manyi.collector.intake import Intake
    from manyi.loader import load_questionnaire
    from manyi.store.submissions.memory import MemorySubmissionStore
    from manyi.versions import Catalogue

    q = load_questionnaire(ROOT / "questionnaire.yaml")
    body = json.dumps(_submission(q.version, "warm-00000000"), ensure_ascii=False).encode()
    intake = Intake(Catalogue.of(q), MemorySubmissionStore())
    now = datetime.now(UTC)
    bodies = [body.replace(b"warm-00000000", f"warm-{i:08d}".encode()) for i in range(count)]
    start = time.perf_counter()
    for each in bodies:
        outcome = intake.submit("application/json", each, "127.0.0.1", now)
        json.dumps(outcome.body, ensure_ascii=False)
    per = (time.perf_counter() - start) / count
    assert outcome.status == 201, outcome
    print(f"warm: parse + check + record + response, {count} submissions: {per * 1e3:.3f} ms each")

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    handler = create_handler(MemorySubmissionStore(), Catalogue.of(q))
    event = json.loads((ROOT / "tests/events/post_submission_json.json").read_text())
    events = []
    for i in range(count):
        hand_event = dict(event)
        hand_event["body"] = bodies[i].decode().replace("warm-", "hand-")
        events.append(hand_event)
    start = time.perf_counter()
    for hand_event in events:
        result = handler(hand_event, _Context())
    per = (time.perf_counter() - start) / count
    assert result["statusCode"] == 201, result
    print(f"warm: the whole handler (routing, logging), in-memory store: {per * 1e3:.3f} ms each")


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:local:0:function:bench"
    aws_request_id = "bench"


def _submission(version: str, submission_id: str) -> dict[str, Any]:
    event = json.loads((ROOT / "tests/events/post_submission_json.json").read_text())
    body: dict[str, Any] = json.loads(event["body"])
    body.update(version=version, submission_id=submission_id)
    return body


def serve(count: int, workers: int, connections: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        port = _free_port()
        # To a file, as the journal would take them: the request log lines are part of the cost.
        log = (Path(folder) / "serve.log").open("w", encoding="utf-8")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "manyi",
                "serve",
                "--port",
                str(port),
                "--data",
                str(data),
                "--site",
                str(Path(folder) / "no-site"),
                "--rate-limit",
                "off",
            ],
            cwd=ROOT,
            env=ENV,
            stdout=log,
        )
        try:
            version = _get(port, "/api/health")["version"]  # retries until the server is up
            per_worker = count // workers
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                server_cpu = _cpu_seconds(process.pid)
                start = time.perf_counter()
                results = pool.starmap(
                    _load,
                    [(port, version, w, per_worker, connections, seconds) for w in range(workers)],
                )
                elapsed = time.perf_counter() - start
                server_cpu = _cpu_seconds(process.pid) - server_cpu
        finally:
            process.terminate()
            process.wait(10)
            log.close()
        accepted = [i for ids, _, _ in results for i in ids]
        refused = sum(n for _, n, _ in results)
        load_cpu = sum(cpu for _, _, cpu in results)
        with sqlite3.connect(data / "submissions.sqlite3") as db:
            stored = {row[0] for row in db.execute("SELECT submission_id FROM responses")}
        missing = set(accepted) - stored
        print(
            f"serve: {len(accepted)} accepted in {elapsed:.2f} s = {len(accepted) / elapsed:.0f} "
            f"submissions/s ({workers} load processes x {connections} keep-alive connections, "
            f"{refused} not 2xx); {len(stored)} rows stored, {len(missing)} accepted but missing"
        )
        # CPU time per submission is what a busy shared machine disturbs least: two cores give
        # 2,000 ms of CPU a second, so server + load generator must stay under 2 ms for 1,000/s.
        n = max(1, len(accepted))
        print(
            f"serve: CPU per submission: server {server_cpu / n * 1000:.3f} ms, "
            f"load generator {load_cpu / n * 1000:.3f} ms"
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(
    port: int, version: str, worker: int, count: int, connections: int, seconds: float
) -> tuple[list[str], int, float]:
    import threading

    accepted: list[str] = []
    refused = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    # One body made here, its ID swapped per request: the load generator shares the machine's
    # two cores with the server, so it must cost as little as it can.
    template = json.dumps(_submission(version, "bench-00-0000000"), ensure_ascii=False).encode()

    def run(connection_number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(connection_number, count, connections):
            if time.monotonic() > deadline:
                break
            submission_id = f"bench-{worker:02d}-{i:07d}"
            body = template.replace(b"bench-00-0000000", submission_id.encode())
            conn.request("POST", "/api/submissions", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            with lock:
                if 200 <= response.status < 300:
                    accepted.append(submission_id)
                else:
                    refused[0] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted, refused[0], time.process_time()


def _get(port: int, path: str) -> Any:
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=["cold", "warm", "serve", "all"], default="all")
    parser.add_argument("--runs", type=int, default=30, help="cold: process pairs")
    parser.add_argument("--count", type=int, default=10_000, help="warm/serve: submissions")
    parser.add_argument("--workers", type=int, default=2, help="serve: load processes")
    parser.add_argument("--connections", type=int, default=4, help="serve: per process")
    parser.add_argument("--seconds", type=float, default=60, help="serve: time bound")
    args = parser.parse_args()
    if args.what in ("cold", "all"):
        cold(args.runs)
    if args.what in ("warm", "all"):
        warm(min(args.count, 5000))
    if args.what in ("serve", "all"):
        serve(args.count, args.workers, args.connections, args.seconds)


if __name__ == "__main__":
    main()
