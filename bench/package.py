"""The Lambda artifact: size against Lambda's limits, build times, the collector's cold start.

    python bench/package.py [--runs 7]

Builds the real site and the artifact in a temporary folder, then starts the collector from the
unzipped artifact in a clean interpreter (`-I -S`, Python 3.13 when present, only boto3 and its
kin beside it, as in Lambda) several times: the import of `lambda/collector/app.py` (which
builds the handler, its boto3 client and the questionnaire catalogue) and the first request
(`GET /api/health`), with X-Ray tracing off and on; `-B` and a read-only habit as in Lambda
(/var/task is read-only, so without shipped bytecode every cold start compiles our sources and
the dependencies'), then once more with bytecode compiled beforehand, to show what shipping it
would save. (It is not shipped: CPython's .pyc files are not byte-reproducible, since marshal
marks shared objects by reference count, and two builds of one commit must be identical.)
Figures are medians; nothing calls AWS.
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
from tests.test_package import RUNTIME_MODULES, http_event, lambda_python  # noqa: E402

LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload; through S3 the unzipped limit counts
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

COLD_START = """
import importlib, json, sys, time
task, runtime, event_file = sys.argv[1:]
sys.path[:0] = [task, runtime]
start = time.perf_counter()
module = importlib.import_module("lambda.collector.app")
imported = time.perf_counter()
with open(event_file, encoding="utf-8") as f:
    event = json.load(f)
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:bench"
answer = module.lambda_handler(event, Context())
answered = time.perf_counter()
print(json.dumps({"import": imported - start, "first": answered - imported,
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
        # First a fresh wheel install, then a build that finds the wheels already installed.
        for cache in ("empty", "filled"):
            start = time.perf_counter()
            artifact = build_artifact(
                work / "lambda.zip",
                dist=work / "dist",
                current_version=questionnaire.version,
                today=OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC)),
                dependencies=dependencies_folder(work / "deps"),
            )
            timings.append((cache, time.perf_counter() - start))
        print(artifact.summary())
        print(
            f"size: {artifact.size / LAMBDA_ZIP_LIMIT:.1%} of Lambda's 50 MB zip limit, "
            f"{artifact.unzipped_size / LAMBDA_UNZIPPED_LIMIT:.1%} of its 250 MB unzipped limit"
        )
        for cache, seconds in timings:
            print(f"build, {cache} wheel folder: {seconds:.2f} s")
        task, runtime = unpack(artifact.path, work)
        event = work / "event.json"
        event.write_text(json.dumps(http_event("GET", "/api/health")), encoding="utf-8")
        (work / "cold.py").write_text(COLD_START, encoding="utf-8")
        python = lambda_python()
        print(f"interpreter: {python}")
        results = {}
        for bytecode in (False, True):
            if bytecode:
                subprocess.run([python, "-I", "-m", "compileall", "-q", str(task)], check=True)
            # Off and on alternate, so a busy moment of the machine weighs on both alike.
            runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
            for _ in range(args.runs):
                for tracing in (False, True):
                    runs[tracing].append(cold_start(python, work, task, runtime, event, tracing))
            for tracing in (False, True):
                results[bytecode, tracing] = statistics.median(r["import"] for r in runs[tracing])
                firsts = statistics.median(r["first"] for r in runs[tracing]) * 1000
                label = f"{'with' if bytecode else 'no  '} bytecode, tracing "
                label += "on " if tracing else "off"
                milliseconds = results[bytecode, tracing] * 1000
                print(
                    f"collector cold start, {label}: import {milliseconds:6.1f} ms, first "
                    f"request {firsts:5.1f} ms (median of {args.runs}; "
                    f"status {runs[tracing][0]['status']})"
                )
        for bytecode in (False, True):
            ratio = results[bytecode, True] / results[bytecode, False]
            print(f"tracing on / off ({'with' if bytecode else 'no'} bytecode): {ratio:.2f}x")
        for tracing in (False, True):
            ratio = results[False, tracing] / results[True, tracing]
            print(f"no bytecode / bytecode (tracing {'on' if tracing else 'off'}): {ratio:.2f}x")


def unpack(artifact: Path, work: Path) -> tuple[Path, Path]:
    task = work / "task"
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(task)
    # A copy, compiled once: Lambda's own boto3 comes with its bytecode.
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
    return task, runtime


def cold_start(
    python: str, work: Path, task: Path, runtime: Path, event: Path, tracing: bool
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
    if tracing:
        env |= {
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        }
    result = subprocess.run(
        [python, "-I", "-S", "-B", str(work / "cold.py"), str(task), str(runtime), str(event)],
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
