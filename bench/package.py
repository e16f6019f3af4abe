"""The Lambda artifact: size against Lambda's limits, build times, the collector's cold start.

    python bench/package.py [--runs 7]

Builds the real site and the artifact in a temporary folder (with and without the bytecode
`manyi package` ships when the target's Python is on this machine), then starts the collector
from each unzipped artifact in a clean interpreter (`-I -S -B`, Python 3.13 when present, only
boto3 and its kin beside it, precompiled, as in Lambda's /var/runtime; /var/task is read-only,
so nothing compiled there is kept between cold starts). Each round runs, back to back, the
floor (`import boto3; boto3.client("dynamodb")` in the same interpreter) and the collector's
init (the import of `lambda/collector/app.py`, which builds the handler, its boto3 client and
the questionnaire catalogue) with Lambda's tracing environment off and on. Figures are medians
of CPU time (what a neighbour's load on a shared machine disturbs least; init is one thread)
and of the per-round ratios to the floor; the first request (`GET /api/health`) is timed too.
Nothing calls AWS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manyi.calendar import OfficeCalendar  # noqa: E402
from manyi.deploy.artifact import build_artifact, dependencies_folder  # noqa: E402
from manyi.loader import load_questionnaire  # noqa: E402
from site_builder.build import build_site  # noqa: E402
from tests.integration.test_package import RUNTIME_MODULES, http_event, lambda_python  # noqa: E402

VARIANTS = ("floor", "tracing off", "tracing on")

LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload; through S3 the unzipped limit counts
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

COLD_START = """
import importlib, json, sys, time
task, runtime, event_file, what = sys.argv[1:]
sys.path[:0] = [task, runtime]
start = time.process_time()
if what == "floor":
    import boto3
    boto3.client("dynamodb")
    print(json.dumps({"init": time.process_time() - start, "first": 0.0, "status": 0}))
    raise SystemExit
module = importlib.import_module("lambda.collector.app")
imported = time.process_time()
with open(event_file, encoding="utf-8") as f:
    event = json.load(f)
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:bench"
answer = module.lambda_handler(event, Context())
answered = time.process_time()
print(json.dumps({"init": imported - start, "first": answered - imported,
                  "status": answer["statusCode"]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build_site(questionnaire, work / "dist", base_url="https://manyi.example.gov.cn")
        timings = []
        artifacts = {}
        # A fresh wheel install, then builds that find the wheels already installed.
        for cache, bytecode in (("empty", False), ("filled", False), ("filled", True)):
            start = time.perf_counter()
            artifacts[bytecode] = build_artifact(
                work / f"lambda-{bytecode}.zip",
                dist=work / "dist",
                current_version=questionnaire.version,
                today=OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC)),
                dependencies=dependencies_folder(work / "deps"),
                bytecode=bytecode,
            )
            timings.append((cache, bytecode, time.perf_counter() - start))
        for artifact in artifacts.values():
            print(artifact.summary())
            print(
                f"size: {artifact.size / LAMBDA_ZIP_LIMIT:.1%} of Lambda's 50 MB zip limit, "
                f"{artifact.unzipped_size / LAMBDA_UNZIPPED_LIMIT:.1%} of its 250 MB unzipped"
            )
        for cache, bytecode, seconds in timings:
            compiled = "with bytecode" if bytecode else "sources only"
            print(f"build, {cache} wheel folder, {compiled}: {seconds:.2f} s")
        runtime = runtime_folder(work)
        tasks = {b: unpack(a.path, work / f"task-{b}") for b, a in artifacts.items()}
        event = work / "event.json"
        event.write_text(json.dumps(http_event("GET", "/api/health")), encoding="utf-8")
        (work / "cold.py").write_text(COLD_START, encoding="utf-8")
        python = lambda_python()
        print(f"interpreter: {python}")
        for bytecode, task in tasks.items():
            # Every round runs the floor and both variants back to back.
            runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
            for _ in range(args.runs):
                for variant in VARIANTS:
                    runs[variant].append(cold_start(python, work, task, runtime, event, variant))
            floor = [r["init"] for r in runs["floor"]]
            compiled = "with bytecode" if artifacts[bytecode].bytecode else "sources only"
            print(
                f"{compiled}: floor (import boto3, one client) "
                f"{statistics.median(floor) * 1000:6.1f} ms CPU"
            )
            for variant in VARIANTS[1:]:
                inits = [r["init"] for r in runs[variant]]
                ratio = statistics.median(m / f for m, f in zip(inits, floor, strict=True))
                first = statistics.median(r["first"] for r in runs[variant]) * 1000
                print(
                    f"{compiled}: collector init, {variant:11}: "
                    f"{statistics.median(inits) * 1000:6.1f} ms CPU, {ratio:.2f}x the floor; "
                    f"first request {first:5.1f} ms (status {runs[variant][0]['status']}; "
                    f"median of {args.runs})"
                )


def unpack(artifact: Path, task: Path) -> Path:
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(task)
    return task


def runtime_folder(work: Path) -> Path:
    """boto3 and its kin, compiled once: Lambda's own boto3 comes with its bytecode."""
    runtime = work / "runtime"
    runtime.mkdir()
    for name in RUNTIME_MODULES:
        module = __import__(name)
        source = Path(module.__file__ or "")
        if source.name == "__init__.py":
            shutil.copytree(source.parent, runtime / source.parent.name)
        else:
            shutil.copy(source, runtime / source.name)
    subprocess.run([lambda_python(), "-I", "-m", "compileall", "-q", str(runtime)], check=True)
    return runtime


def cold_start(
    python: str, work: Path, task: Path, runtime: Path, event: Path, variant: str
) -> dict[str, float]:
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "cn-north-1",
        "AWS_REGION": "cn-north-1",
        "SUBMISSIONS_TABLE": "bench",
        "POWERTOOLS_SERVICE_NAME": "collector",
        "LAMBDA_TASK_ROOT": str(task),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    if variant == "tracing on":
        env |= {
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        }
    result = subprocess.run(
        [python, "-I", "-S", "-B", *map(str, (work / "cold.py", task, runtime, event)), variant],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    main()
