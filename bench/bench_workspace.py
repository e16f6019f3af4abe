"""The workspace's dashboards: server time for 38 departments × 12 months on the local store,
and page weight gzipped (goals: ≤ 100 ms, ≤ 30 KB).

    python bench/bench_workspace.py [--runs 30] [--cold 10]

Builds a data folder under bench/out/workspace/ (results counted from made-up responses, served
counts, two accounts), then calls the workspace's handler in-process, as `manyi serve` does,
and times each page from the event to the response (median and worst of the runs).
`--cold N` also starts the Lambda entry point (lambda/workspace/app.py) in N fresh processes,
alternating with the floor `import boto3; boto3.client('dynamodb')`, and prints the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manyi.aggregate import MonthlyResult, Tally  # noqa: E402
from manyi.calendar import DEFAULT_ZONE as BEIJING  # noqa: E402
from manyi.calendar import previous_month  # noqa: E402
from manyi.loader import load_questionnaire  # noqa: E402
from manyi.model import Department, Questionnaire  # noqa: E402
from manyi.store.results.base import CloseEvent, DepartmentMonthState, MonthClose  # noqa: E402
from manyi.submission import StoredSubmission  # noqa: E402
from manyi.workspace.passwords import DEFAULT_COST, hash_password, verify_password  # noqa: E402
from manyi.workspace.render import stylesheet  # noqa: E402
from tests.results_data import random_answers  # noqa: E402
from tests.workspace_support import Client, local_workspace, make_account  # noqa: E402

OUT = ROOT / "bench" / "out" / "workspace"
DEPARTMENTS = 38
MONTHS = 12
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
CHANNELS = ("leaflet", "wechat", "phone", "meeting", "visit")


def city(q: Questionnaire) -> Questionnaire:
    extra = tuple(
        Department(f"bumen{i:02d}", f"平顶山市第{i}部门", "city_department", "")
        for i in range(len(q.departments) + 1, DEPARTMENTS + 1)
    )
    return replace(q, departments=(q.departments + extra)[:DEPARTMENTS])


def months() -> list[str]:
    out = ["2026-11"]
    while len(out) < MONTHS:
        out.append(previous_month(out[-1]))
    return out


def fill(ws: object, q: Questionnaire, rnd: random.Random) -> int:
    from manyi.workspace.context import Workspace

    assert isinstance(ws, Workspace)
    pool = [random_answers(q, rnd) for _ in range(300)]
    total = 0
    for month in months():
        served = {}
        for d in q.departments:
            n = 0 if rnd.random() < 0.2 else rnd.randint(1, 600)
            tally = Tally()
            for i in range(n):
                tally.add(
                    StoredSubmission(
                        f"s{i}", d.id, month, "2026-11-01T00:00:00.000000Z", q.version,
                        rnd.choice(CHANNELS), rnd.choice(pool),
                    )
                )  # fmt: skip
            total += n
            state = DepartmentMonthState(
                MonthlyResult(d.id, month, tally.counts()), 1, "R#2026-11-20T01:00:00.000000Z"
            )
            ws.results.put_state(state, 0)
            if rnd.random() < 0.7:
                served[(month, d.id)] = rnd.randint(max(n, 1), max(n, 1) * 2)
        ws.results.set_served(served)
        if month != NOW.strftime("%Y-%m"):  # every month before this one closed on the 27th
            close = f"{month}-27T00:00:00.000000Z"
            ws.results.add_month_close(
                MonthClose(month, f"R#{close}", close, {d: n for (_, d), n in served.items()}),
                CloseEvent(month, "close", close, "定时任务"),
            )
    return total


def timed(client: Client, path: str, runs: int) -> tuple[list[float], bytes]:
    times, body = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status == 200, (path, answer.status)
        body = answer.body
    return times, body


WORKSPACE_COLD = """
import runpy
runpy.run_path({app!r})
"""


def cold(runs: int) -> None:
    import os
    import subprocess
    import tempfile

    from bench.bench_collector import FLOOR
    from manyi.versions import publish

    with tempfile.TemporaryDirectory() as folder:
        versions = Path(folder) / "questionnaires"
        publish(versions, load_questionnaire(ROOT / "questionnaire.yaml"), NOW.date())
        env = {
            **os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "cn-north-1",
            "ACCOUNTS_TABLE": "a", "SESSIONS_TABLE": "s", "AUDIT_TABLE": "u",
            "SUBMISSIONS_TABLE": "m", "RESULTS_TABLE": "r", "REPORTS_BUCKET": "b",
            "MANYI_QUESTIONNAIRES": str(versions),
        }  # fmt: skip
        code = WORKSPACE_COLD.format(app=str(ROOT / "lambda" / "workspace" / "app.py"))

        def started(source: str) -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", source], env=env, check=True)
            return time.perf_counter() - start

        pairs = [(started(FLOOR), started(code)) for _ in range(runs)]
    floors = [f for f, _ in pairs]
    mine = [m for _, m in pairs]
    ratio = statistics.median(m / f for f, m in pairs)
    print(
        f"cold start ({runs} rounds): floor median {statistics.median(floors) * 1000:.0f} ms, "
        f"workspace median {statistics.median(mine) * 1000:.0f} ms, ratio {ratio:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cold", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.cold:
        cold(args.cold)
    q = city(load_questionnaire(ROOT / "questionnaire.yaml"))
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with local_workspace(OUT, q, NOW, publish=False) as ws:
        responses = fill(ws, q, random.Random(7))
        make_account(ws, "office-1", "office")
        make_account(ws, "clerk-1", "department", [q.departments[0].id])
        print(f"{DEPARTMENTS} departments × {MONTHS} months, {responses:,} responses counted")
        office, clerk = Client(ws), Client(ws, "10.0.0.2")
        office.log_in("office-1")
        clerk.log_in("clerk-1")
        pages = [
            ("office dashboard", office, "/workspace/office/"),
            ("department dashboard", clerk, f"/workspace/d/{q.departments[0].id}/"),
            ("audit log", office, "/workspace/audit/"),
            ("accounts", office, "/workspace/accounts/"),
            ("login page", Client(ws, "10.0.0.3"), "/workspace/login"),
        ]
        print(f"{'page':<22}{'median ms':>10}{'worst ms':>10}{'HTML KB':>9}{'gzip KB':>9}")
        for name, client, path in pages:
            client.get(path)  # templates compiled once, like a warm process
            times, body = timed(client, path, args.runs)
            print(
                f"{name:<22}{statistics.median(times):>10.1f}{max(times):>10.1f}"
                f"{len(body) / 1024:>9.1f}{len(gzip.compress(body)) / 1024:>9.1f}"
            )
        css = office.get(f"/workspace/assets/{stylesheet()[0]}").body
        kb, gz = len(css) / 1024, len(gzip.compress(css)) / 1024
        print(f"{'stylesheet':<42}{kb:>9.1f}{gz:>9.1f}")
    encoded = hash_password("a-long-enough-Passw0rd", DEFAULT_COST)
    start = time.perf_counter()
    for _ in range(5):
        verify_password("a-long-enough-Passw0rd", encoded)
    print(
        f"password check (scrypt N={DEFAULT_COST.n}, r={DEFAULT_COST.r}, p={DEFAULT_COST.p}): "
        f"{(time.perf_counter() - start) / 5 * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
