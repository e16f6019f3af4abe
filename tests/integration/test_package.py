"""`manyi package`: a reproducible zip whose handlers import and answer in a clean interpreter.

The clean interpreter is what Lambda runs: `python -I -S -B` (no site-packages, no PYTHONPATH,
no user site, no bytecode written), with sys.path set to the unzipped artifact (/var/task) and
a folder standing in for /var/runtime, which holds only what the runtime provides: boto3 and
its dependencies. Python
3.13 is used when this machine has it (the template's runtime); the handlers talk to a moto
server through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import base64
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from docx import Document
from moto.server import ThreadedMotoServer

from manyi.deploy.artifact import (
    ZIP_TIMESTAMP,
    Artifact,
    ArtifactError,
    LambdaTarget,
    build_artifact,
    dependencies_folder,
    find_python,
)
from manyi.deploy.template import resources_of_type
from manyi.model import Questionnaire, normalized_with_version
from manyi.reports.word import DOCX_TYPE
from manyi.store.staff.base import Account, Session, session_key_hash
from manyi.store.staff.dynamodb import StaffTables, aws_staff_stores
from manyi.versions import publish
from tests.cfn import Evaluator, create_tables, load_template
from tests.cli import run_manyi
from tests.responses import OFFICE

ROOT = Path(__file__).resolve().parents[2]
REGION = "cn-north-1"
# The collector judges versions by its own clock, so the history is dated from today.
TODAY = OFFICE.today(datetime.now(UTC))
EARLIER = TODAY - timedelta(days=38)
VERSIONS = "lambda/collector/questionnaires"
# What the Lambda Python runtime provides besides the standard library.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

DRIVER = """
import importlib, json, sys, zoneinfo

task, runtime, handler_name, event_file, out_file = sys.argv[1:]
sys.path[:0] = [task, runtime]
# As if the runtime image had no /usr/share/zoneinfo: Asia/Shanghai must come from the artifact.
zoneinfo.reset_tzpath(to=[])
# What the runtime's bootstrap does with the function's Handler setting.
module_name, function_name = handler_name.rsplit(".", 1)
handler = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)

class Context:
    function_name = "manyi-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:manyi-test"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    def get_remaining_time_in_millis(self):
        return 10000

with open(event_file, encoding="utf-8") as f:
    events = json.load(f)
result = [handler(event, Context()) for event in events]
files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
with open(out_file, "w", encoding="utf-8") as f:
    json.dump({"result": result, "files": files, "path": sys.path}, f, default=str)
"""


# The dependencies with compiled code (cryptography's one abi3 library serves every Python;
# cffi's backend, markupsafe's speedups and lxml's modules are built per Python and machine).
COMPILED = {"_cffi_backend", "cryptography", "lxml", "markupsafe"}


def compiled_libraries(names: list[str]) -> set[str]:
    """The top-level packages (or modules) of the artifact that hold compiled libraries."""
    return {n.split("/")[0].split(".")[0] for n in names if n.endswith(".so")}


def compiled_builds(names: list[str]) -> set[str]:
    """What the compiled libraries were built for: cpython-313-aarch64-linux-gnu, abi3."""
    return {
        n.rsplit("/", 1)[-1].split(".", 1)[1].removesuffix(".so")
        for n in names
        if n.endswith(".so")
    }


def lambda_python() -> str:
    """The runtime's Python (3.13) if this machine has it, else the one running the tests."""
    return find_python("3.13") or sys.executable


def write_version(dist: Path, data: dict[str, Any]) -> None:
    """A version's JSON where and as `manyi build` writes it."""
    folder = dist / "api" / "questionnaire"
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    (folder / f"{data['version']}.json").write_text(text, encoding="utf-8")


def earlier_version(questionnaire: Questionnaire) -> dict[str, Any]:
    """The questionnaire as it was before an edit: another wording, so another version."""
    data = questionnaire.to_dict()
    del data["version"]
    data["title"] = "依法行政调查问卷（试行）"
    return normalized_with_version(data)


def package(out: Path, dist: Path, cache: Path, version: str) -> Any:
    return build_artifact(
        out,
        dist=dist,
        current_version=version,
        today=TODAY,
        dependencies=dependencies_folder(cache),
    )


def package_for(
    target: LambdaTarget, work: Path, dist: Path, questionnaire: Questionnaire
) -> Artifact:
    """The artifact of another target than the default, built in `work`."""
    return build_artifact(
        work / "lambda.zip",
        dist=dist,
        current_version=questionnaire.version,
        today=TODAY,
        dependencies=dependencies_folder(work / "cache", target=target),
        target=target,
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire) -> Path:
    """A site built before an edit of the questionnaire and again after it."""
    folder = tmp_path_factory.mktemp("site") / "dist"
    old = earlier_version(questionnaire)
    write_version(folder, old)
    # The earlier version was packaged (and so entered the history) weeks ago.
    publish(folder / "api" / "questionnaire", Questionnaire.from_dict(old), EARLIER)
    write_version(folder, questionnaire.to_dict())
    return folder


@pytest.fixture(scope="module")
def artifact_zip(
    tmp_path_factory: pytest.TempPathFactory, dist: Path, questionnaire: Questionnaire
) -> Path:
    work = tmp_path_factory.mktemp("package")
    return Path(package(work / "lambda.zip", dist, work / "cache", questionnaire.version).path)


@pytest.mark.slow
def test_two_builds_are_byte_identical(
    tmp_path: Path, dist: Path, artifact_zip: Path, questionnaire: Questionnaire
) -> None:
    # A second build from scratch: its own wheel install, its own zip, at another time.
    again = package(tmp_path / "again.zip", dist, tmp_path / "cache", questionnaire.version)
    assert again.path.read_bytes() == artifact_zip.read_bytes()
    assert again.versions == tuple(
        sorted((questionnaire.version, earlier_version(questionnaire)["version"]))
    )
    assert 0 < again.size < again.unzipped_size


@pytest.mark.slow
def test_the_shipped_history_supersedes_the_old_version_on_the_day_it_is_packaged(
    artifact_zip: Path, dist: Path, questionnaire: Questionnaire
) -> None:
    old = earlier_version(questionnaire)["version"]
    with zipfile.ZipFile(artifact_zip) as archive:
        history = json.loads(archive.read(f"{VERSIONS}/versions.json"))
        names = set(archive.namelist())
    assert history == {
        "versions": [
            {"version": old, "published": EARLIER.isoformat()},
            {"version": questionnaire.version, "published": TODAY.isoformat()},
        ]
    }
    assert {f"{VERSIONS}/{old}.json", f"{VERSIONS}/{questionnaire.version}.json"} <= names
    # The record stays with the site, so `manyi publish` keeps it in the bucket.
    on_disk = json.loads((dist / "api/questionnaire/versions.json").read_text(encoding="utf-8"))
    assert on_disk == history


@pytest.mark.slow
def test_zip_has_fixed_times_bytecode_for_its_python_and_what_the_functions_need(
    artifact_zip: Path, questionnaire: Questionnaire
) -> None:
    with zipfile.ZipFile(artifact_zip) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {ZIP_TIMESTAMP}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    # Bytecode of every module, for the runtime's Python: hash-based and unchecked (flags 0b01),
    # so no timestamp in it; nothing of this machine's own caches.
    sources = {n for n in names if n.endswith(".py")}
    bytecode = {n for n in names if n.endswith(".pyc")}
    if find_python("3.13") is None:
        assert not bytecode  # sources only where the runtime's Python is not at hand
    else:
        assert len(bytecode) == len(sources)
        assert all(".cpython-313.pyc" in n for n in bytecode)
        with zipfile.ZipFile(artifact_zip) as archive:
            header = archive.read("manyi/__pycache__/model.cpython-313.pyc")[:16]
        assert int.from_bytes(header[4:8], "little") == 0b01
    assert not [n for n in names if n.endswith(".pyo") or ".mypy_cache" in n]
    assert not [n for n in names if n.startswith(("bin/", "boto3/", "botocore/", "tests/"))]
    assert f"{VERSIONS}/{questionnaire.version}.json" in names
    needed = [
        "lambda/collector/app.py",
        "manyi/model.py",
        "site_builder/render.py",
        "templates/form.html.j2",
        "manyi/reports/templates/report.html.j2",
        "aws_lambda_powertools/__init__.py",
        "jinja2/__init__.py",
        "openpyxl/__init__.py",
        "cryptography/__init__.py",
        "chinese_calendar/__init__.py",
        "docx/__init__.py",
        "docx/templates/default.docx",
        "lxml/__init__.py",
    ]
    assert not [n for n in needed if n not in names]
    # No X-Ray SDK: the collector does not trace from inside (nor could it in China).
    assert not [n for n in names if n.startswith(("aws_xray_sdk/", "wrapt/"))]
    # The compiled dependencies are the arm64 builds for the runtime's Python.
    assert compiled_libraries(names) == COMPILED
    assert compiled_builds(names) == {"cpython-313-aarch64-linux-gnu", "abi3"}


@pytest.mark.slow
def test_ningxia_gets_an_x86_64_artifact_for_python_3_12(
    tmp_path: Path, dist: Path, questionnaire: Questionnaire
) -> None:
    target = LambdaTarget.of_runtime("python3.12", "x86_64")
    artifact = package_for(target, tmp_path, dist, questionnaire)
    with zipfile.ZipFile(artifact.path) as archive:
        names = archive.namelist()
    assert compiled_libraries(names) == COMPILED
    assert compiled_builds(names) == {"cpython-312-x86_64-linux-gnu", "abi3"}
    assert "python3.12 on x86_64" in artifact.summary()


def test_no_built_questionnaire_no_artifact(tmp_path: Path, questionnaire: Questionnaire) -> None:
    with pytest.raises(ArtifactError, match="manyi build"):
        package(tmp_path / "x.zip", tmp_path / "dist", tmp_path / "unused", questionnaire.version)
    # Built before the last edit: the current version's JSON is not there.
    write_version(tmp_path / "dist", earlier_version(questionnaire))
    with pytest.raises(ArtifactError, match=questionnaire.version):
        package(tmp_path / "x.zip", tmp_path / "dist", tmp_path / "unused", questionnaire.version)
    assert not (tmp_path / "x.zip").exists()
    assert not (tmp_path / "unused").exists()


@pytest.mark.slow
def test_cli_reports_the_size(tmp_path: Path, dist: Path) -> None:
    out = tmp_path / "lambda.zip"
    cache = str(tmp_path / "cache")
    site = shutil.copytree(dist, tmp_path / "dist")
    result = run_manyi(
        "package", "--dist", str(site), "--out", str(out), "--cache", cache, timeout=None
    )
    assert result.returncode == 0, result.stderr
    assert "MB zipped" in result.stdout
    assert out.exists()
    missing = run_manyi(
        "package", "--dist", str(tmp_path / "none"), "--out", str(tmp_path / "no.zip")
    )
    assert missing.returncode == 2
    assert "manyi build" in missing.stderr
    assert not (tmp_path / "no.zip").exists()


# -- the handlers in a clean interpreter, against moto ---------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory, artifact_zip: Path) -> tuple[Path, Path]:
    return unpack(tmp_path_factory, artifact_zip)


def host_target() -> LambdaTarget:
    """A Lambda target this machine can run compiled code of: its own architecture, with the
    Python the clean interpreter runs (the runtime's, 3.13, when at hand)."""
    python = subprocess.run(
        [lambda_python(), "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    architecture = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine(), "")
    try:
        return LambdaTarget.of_runtime(f"python{python}", architecture)
    except ArtifactError as error:
        pytest.skip(f"this machine runs no Lambda target: {error}")


@pytest.fixture(scope="module")
def host_unpacked(
    tmp_path_factory: pytest.TempPathFactory, dist: Path, questionnaire: Questionnaire
) -> tuple[Path, Path]:
    """The artifact built for this machine's architecture, unpacked: the workspace imports
    compiled libraries (cryptography, lxml) that an arm64 build cannot load on x86_64."""
    built = package_for(host_target(), tmp_path_factory.mktemp("host-package"), dist, questionnaire)
    return unpack(tmp_path_factory, built.path)


def unpack(tmp_path_factory: pytest.TempPathFactory, artifact: Path) -> tuple[Path, Path]:
    """The artifact in an empty /var/task, and a /var/runtime with only boto3 and its kin."""
    task = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(task)
    runtime = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_MODULES:
        module = __import__(name)
        source = Path(module.__file__ or "")
        source = source.parent if source.name == "__init__.py" else source
        (runtime / source.name).symlink_to(source)
    return task, runtime


@pytest.fixture(scope="module")
def aws(moto_endpoint: str) -> dict[str, str]:
    """Tables from the template, the reports bucket, and each name a function's env refers to."""
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    names = create_tables(
        session.client("dynamodb", endpoint_url=moto_endpoint),
        {"SubmissionsTable": "pkg-submissions", "ResultsTable": "pkg-results"},
    )
    session.client("s3", endpoint_url=moto_endpoint).create_bucket(
        Bucket="pkg-reports", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return {**credentials, **names, "ReportsBucket": "pkg-reports", "SiteBucket": "pkg-site"}


def function_environment(function: str, aws: dict[str, str], task: Path) -> dict[str, str]:
    """The function's environment as the template defines it, with test names for the Refs.

    `task` stands for /var/task, where Lambda unpacks the artifact.
    """
    properties = load_template()["Resources"][function]["Properties"]
    given = {"Stage": "test", "BaseUrl": "https://manyi.example.cn", "OriginSecret": "s" * 40}
    names = {k: v for k, v in aws.items() if not k.startswith("AWS_")}
    resolve = Evaluator(load_template(), given | names, partition="aws-cn", region=REGION)
    env = {}
    for name, value in properties["Environment"]["Variables"].items():
        env[name] = str(resolve(value)).replace("/var/task/", f"{task}/")
    keep = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")
    return {
        **{k: aws[k] for k in keep},
        "AWS_ENDPOINT_URL": aws["AWS_ENDPOINT_URL"],
        # What Lambda sets with active tracing: the handlers must run the same with them (they
        # import no X-Ray SDK).
        "LAMBDA_TASK_ROOT": str(task),
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "_X_AMZN_TRACE_ID": (
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        ),
        "PATH": "/usr/bin:/bin",
        **env,
    }


def invoke(
    unpacked: tuple[Path, Path],
    tmp_path: Path,
    function: str,
    events: list[Any],
    env: dict[str, str],
) -> dict[str, Any]:
    """Run the function's handler on each event in one fresh interpreter (one cold start)."""
    task, runtime = unpacked
    handler = load_template()["Resources"][function]["Properties"]["Handler"]
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    (tmp_path / "event.json").write_text(json.dumps(events), encoding="utf-8")
    out = tmp_path / "out.json"
    driver = [str(tmp_path / "driver.py"), str(task), str(runtime), handler]
    result = subprocess.run(
        # -B: /var/task is read-only in Lambda, and the runtime folder links into this machine's
        # site-packages, where a child's bytecode has no business.
        [lambda_python(), "-I", "-S", "-B", *driver, str(tmp_path / "event.json"), str(out)],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    # Every module came from the artifact, the runtime folder or the standard library.
    stdlib = str(Path(os.__file__).parent) if lambda_python() == sys.executable else ""
    for file in answer["files"]:
        assert file.startswith((str(task), str(runtime))) or (
            "site-packages" not in file and (not stdlib or file.startswith(stdlib))
        ), file
    assert not [p for p in answer["path"] if "site-packages" in p]
    return answer


def moto_client(service: str, aws: dict[str, str]) -> Any:
    """A client of the moto server the functions talk to."""
    return boto3.client(
        service,
        endpoint_url=aws["AWS_ENDPOINT_URL"],
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def handler_file(function: str) -> Path:
    handler: str = load_template()["Resources"][function]["Properties"]["Handler"]
    return ROOT / (handler.rsplit(".", 1)[0] + ".py")


def valid_answers(questionnaire: Questionnaire) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if not question.applies(answers):
            continue
        option = next(o.id for o in question.options if not o.exclusive)
        answers[question.id] = option if question.kind == "single" else [option]
    return answers


def http_event(method: str, path: str, body: str = "", content_type: str = "") -> dict[str, Any]:
    """An HTTP API (payload 2.0) event as CloudFront → API Gateway deliver it."""
    return {
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": content_type, "host": "manyi.example.cn"}
        if content_type
        else {"host": "manyi.example.cn"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "manyi.example.cn",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0",
            },
            "requestId": "req-1",
            "routeKey": "ANY /api/{proxy+}",
            "stage": "$default",
            "time": "27/Nov/2026:07:00:00 +0000",
            "timeEpoch": 1795762800000,
        },
        "pathParameters": {"proxy": path.removeprefix("/api/")},
        "body": body,
        "isBase64Encoded": False,
    }


@pytest.mark.slow
def test_collector_stores_a_submission_in_a_clean_interpreter(
    unpacked: tuple[Path, Path],
    tmp_path: Path,
    aws: dict[str, str],
    questionnaire: Questionnaire,
) -> None:
    department = questionnaire.departments[0]
    earlier = earlier_version(questionnaire)["version"]

    def submission(submission_id: str, version: str) -> dict[str, Any]:
        body = {
            "submission_id": submission_id,
            "department": department.id,
            "version": version,
            "channel": questionnaire.channels[0].id,
            "website": "",
            "answers": valid_answers(questionnaire),
        }
        return http_event("POST", "/api/submissions", json.dumps(body), "application/json")

    # With JavaScript off, and nothing answered: the form comes back with its errors.
    form = urlencode(
        {
            "department": department.id,
            "version": questionnaire.version,
            "channel": questionnaire.channels[0].id,
            "website": "",
        }
    )
    events = [
        submission("pkg-test-0001", questionnaire.version),
        submission("pkg-test-0002", earlier),  # a page opened before the edit
        submission("pkg-test-0003", "0123456789ab"),  # a version never published
        http_event("POST", "/api/submissions", form, "application/x-www-form-urlencoded"),
        http_event("GET", "/api/health"),
    ]
    env = function_environment("CollectorFunction", aws, unpacked[0])
    answer = invoke(unpacked, tmp_path, "CollectorFunction", events, env)
    current, old, unknown, page, health = answer["result"]
    # The form page (Jinja2) ran from the artifact; with active tracing on, no X-Ray SDK ran.
    task = str(unpacked[0])
    for package_name in ("jinja2", "aws_lambda_powertools", "tzdata"):
        assert any(f.startswith(f"{task}/{package_name}/") for f in answer["files"]), package_name
    assert not [f for f in answer["files"] if "xray" in f]
    # The Word report's libraries stay off the collector's cold start (and its requests).
    heavy = ("docx", "lxml", "openpyxl")
    assert not [f for f in answer["files"] if f.startswith(tuple(f"{task}/{h}/" for h in heavy))]
    assert current["statusCode"] == 201, current
    assert old["statusCode"] == 201, old
    assert 400 <= unknown["statusCode"] < 500, unknown
    assert page["statusCode"] == 422, page
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert department.name in page["body"]
    assert health["statusCode"] == 200, health
    stored = json.loads(current["body"])
    assert stored["submission_id"] == "pkg-test-0001"
    dynamodb = moto_client("dynamodb", aws)
    items = dynamodb.query(
        TableName=aws["SubmissionsTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"DM#{department.id}#{stored['month']}"}},
    )["Items"]
    assert len(items) == 2
    # Nothing that identifies the person travelled into the table.
    text = json.dumps(items)
    assert "203.0.113.7" not in text
    assert "MicroMessenger" not in text


@pytest.mark.slow
def test_aggregator_runs_in_a_clean_interpreter(
    unpacked: tuple[Path, Path], tmp_path: Path, aws: dict[str, str]
) -> None:
    events = load_template()["Resources"]["AggregatorFunction"]["Properties"]["Events"]
    event = json.loads(events["Hourly"]["Properties"]["Input"])
    env = function_environment("AggregatorFunction", aws, unpacked[0])
    answer = invoke(unpacked, tmp_path, "AggregatorFunction", [event], env)
    (summary,) = answer["result"]
    assert summary["action"] == "aggregate"
    assert summary["months"]
    # Every month's results and report went to the reports bucket, the workbook among them
    # (openpyxl from the artifact).
    assert any(key.endswith(".xlsx") for key in summary["published"]), summary
    task = str(unpacked[0])
    assert any(f.startswith(f"{task}/openpyxl/") for f in answer["files"])
    s3 = moto_client("s3", aws)
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=aws["ReportsBucket"])["Contents"]}
    assert set(summary["published"]) <= stored


@pytest.mark.slow
def test_the_template_refers_only_to_handlers_the_artifact_holds(artifact_zip: Path) -> None:
    template = load_template()
    with zipfile.ZipFile(artifact_zip) as archive:
        names = set(archive.namelist())
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        handler = function["Properties"]["Handler"]
        assert handler_file(name).is_file(), name
        assert handler.rsplit(".", 1)[0] + ".py" in names, name


@pytest.mark.slow
def test_certificate_watch_reports_its_metric_in_a_clean_interpreter(
    unpacked: tuple[Path, Path], tmp_path: Path, aws: dict[str, str]
) -> None:
    iam = moto_client("iam", aws)
    uploaded = iam.upload_server_certificate(
        Path="/cloudfront/",
        ServerCertificateName="manyi-package-test",
        CertificateBody="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        PrivateKey="-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
    )["ServerCertificateMetadata"]
    env = function_environment("CertificateWatchFunction", aws, unpacked[0])
    env["MANYI_CERTIFICATE_ID"] = uploaded["ServerCertificateId"]
    answer = invoke(unpacked, tmp_path, "CertificateWatchFunction", [{}], env)
    (result,) = answer["result"]
    assert result["certificate"] == uploaded["ServerCertificateId"]
    assert isinstance(result["days_left"], int)


def signed_in(stores: Any, username: str, role: str, departments: tuple[str, ...]) -> str:
    """A live session of a new account in the staff tables: the cookie value that names it."""
    now = datetime.now(UTC).timestamp()
    stores.accounts.add(
        Account(username, role, departments, "scrypt$unused", must_change_password=False)  # type: ignore[arg-type]
    )
    session_id = f"package-test-session-{username}"
    stores.sessions.create(
        Session(session_key_hash(session_id), username, 0, "csrf-" + username, now, now)
    )
    return session_id


@pytest.mark.slow
def test_workspace_word_reports_download_in_a_clean_interpreter(
    host_unpacked: tuple[Path, Path],
    tmp_path: Path,
    aws: dict[str, str],
    questionnaire: Questionnaire,
) -> None:
    env = function_environment("WorkspaceFunction", aws, host_unpacked[0])
    stores = aws_staff_stores(StaffTables.from_environment(env), moto_client("dynamodb", aws))
    department = questionnaire.departments[0]
    office = signed_in(stores, "pkg-office", "office", ())
    clerk = signed_in(stores, "pkg-clerk", "department", (department.id,))
    month = OFFICE.month(datetime.now(UTC))

    def get(path: str, session_id: str) -> dict[str, Any]:
        event = http_event("GET", path)
        event["routeKey"] = "ANY /workspace/{proxy+}"
        event["pathParameters"] = {"proxy": path.removeprefix("/workspace/")}
        event["cookies"] = [f"manyi_session={session_id}"]
        return event

    events = [
        get(f"/workspace/office/{month}/reports/report.docx", office),
        get(f"/workspace/d/{department.id}/{month}/report.docx", clerk),
    ]
    answer = invoke(host_unpacked, tmp_path, "WorkspaceFunction", events, env)
    task = str(host_unpacked[0])
    # python-docx and its lxml came from the artifact, built for the runtime's Python.
    for package_name in ("docx", "lxml"):
        assert any(f.startswith(f"{task}/{package_name}/") for f in answer["files"]), package_name
    city, own = answer["result"]
    for result, title in (
        (city, "全市行政执法满意度测评情况通报"),
        (own, f"{department.name}{int(month[:4])}年{int(month[5:7])}月"),
    ):
        assert result["statusCode"] == 200, result
        assert result["headers"]["Content-Type"] == DOCX_TYPE
        data = base64.b64decode(result["body"]) if result["isBase64Encoded"] else b""
        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert title in text


@pytest.mark.slow
def test_the_complaints_purge_runs_in_a_clean_interpreter(
    unpacked: tuple[Path, Path], tmp_path: Path, aws: dict[str, str]
) -> None:
    from dataclasses import replace

    from manyi.complaints.model import Step
    from manyi.store.complaints.dynamodb import DynamoDBComplaintStore
    from tests.integration.test_store_complaints import draft

    store = DynamoDBComplaintStore(aws["ComplaintsTable"], moto_client("dynamodb", aws))
    old = draft("package-purge-00000001", received_on="2020-03-02", received_at="2020-03-02T01:00Z")
    stored, _ = store.add(old)
    store.replace(stored.moved(Step("2020-03-03T01:00Z", "2020-03-03", "refused", "o", "不受理")))
    env = function_environment("ComplaintsPurgeFunction", aws, unpacked[0])
    answer = invoke(unpacked, tmp_path, "ComplaintsPurgeFunction", [{}, {}], env)
    first, second = answer["result"]
    assert (first["purged"], second["purged"]) == (1, 0)
    purged = store.get(stored.number)
    assert purged is not None
    assert purged == replace(purged, contact=None, account="", subject="", happened_on="")
    assert purged.purged_at
