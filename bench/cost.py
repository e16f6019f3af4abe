"""What the AWS stack costs: one million submissions, and a typical city-month, in USD and CNY.

    python bench/cost.py [--submissions 100000] [--departments 38] [--runs 300]

Quantities come from this repository, not from guesses where it can measure them:
- CloudFront requests and bytes: the pages a first-time visitor loads to answer once, found in a
  site built from questionnaire.yaml (the form page and what it links, the POST, the thanks
  page), with each file's gzip size;
- DynamoDB write units: the real store's writes of one submission, counted by a recording
  client (items of up to 1 KB cost one unit; a transaction twice);
- Lambda GB-seconds: the functions' memory from infra/template.yaml (Mappings: Functions) and
  the collector's CPU time per submission measured here (the whole handler, the store's calls
  answered at once), scaled to the CPU share Lambda gives that memory, plus the DynamoDB round
  trips and an amortized cold start (its init measured here too);
- X-Ray: a trace per submission only if the template's default turns tracing on.
What cannot be measured here is a named assumption below. Every price is a named constant with
its source and the date it was read; list prices, before free tiers (CloudFront's always-free
1 TB and 10 million requests a month would cover a city entirely in the global partition).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manyi.deploy.template import load_template  # noqa: E402
from manyi.loader import load_questionnaire  # noqa: E402
from manyi.store.submissions.dynamodb import item_bytes  # noqa: E402


class Price(NamedTuple):
    amount: float
    unit: str  # what one `amount` buys
    source: str
    read: str  # the date the source was read (or the price stated)


# -- prices: global partition (us-east-1 list prices, USD) -------------------------------------
USD = {
    "cloudfront_request": Price(
        0.0100 / 10_000,
        "HTTPS request (United States)",
        "aws.amazon.com/cloudfront/pricing; the figure issue 17's audit used ($5.00 per "
        "million submissions at 5 requests)",
        "2026-11",
    ),
    "cloudfront_gb": Price(
        0.085, "GB to the internet (first 10 TB)", "aws.amazon.com/cloudfront/pricing", "2025"
    ),
    "http_api_request": Price(
        1.00 / 1e6,
        "HTTP API request (first 300 million a month)",
        "aws.amazon.com/api-gateway/pricing, as transcribed by api-evangelist",
        "2026-09-20",
    ),
    "lambda_request": Price(0.20 / 1e6, "request", "aws.amazon.com/lambda/pricing", "2025"),
    "lambda_gb_second_arm64": Price(
        0.0000133334, "GB-second on arm64", "aws.amazon.com/lambda/pricing", "2025"
    ),
    "dynamodb_wru": Price(
        0.625 / 1e6,
        "on-demand write request unit (after the 2024-11 halving)",
        "aws.amazon.com/dynamodb/pricing, as quoted by airbyte.com",
        "2025",
    ),
    "dynamodb_rru": Price(0.125 / 1e6, "on-demand read request unit", "as dynamodb_wru", "2025"),
    "dynamodb_gb_month": Price(0.25, "GB-month stored", "aws.amazon.com/dynamodb/pricing", "2025"),
    "pitr_gb_month": Price(
        0.20, "GB-month of point-in-time recovery", "aws.amazon.com/dynamodb/pricing", "2025"
    ),
    "backup_gb_month": Price(
        0.10, "GB-month of AWS Backup warm storage", "aws.amazon.com/backup/pricing", "2025"
    ),
    "xray_trace": Price(5.00 / 1e6, "trace recorded", "aws.amazon.com/xray/pricing", "2025"),
    "s3_put": Price(0.005 / 1000, "PUT request", "aws.amazon.com/s3/pricing", "2025"),
    "backup_copy_gb_month": Price(0.0, "GB-month", "no copy: the stack copies only in China", "-"),
    "kms_key_month": Price(
        1.00, "customer-managed key a month", "aws.amazon.com/kms/pricing", "2025"
    ),
    "alarm_month": Price(
        0.10, "standard CloudWatch alarm a month", "aws.amazon.com/cloudwatch/pricing", "2025"
    ),
}

# -- prices: China regions (Beijing cn-north-1, Ningxia cn-northwest-1; CNY) --------------------
CNY = {
    "cloudfront_request": Price(
        0.15 / 10_000, "HTTPS request", "amazonaws.cn/en/cloudfront/pricing", "2026-12-02"
    ),
    "cloudfront_gb": Price(
        0.30866, "GB to the internet (0-10 TB)", "amazonaws.cn/en/cloudfront/pricing", "2026-12-02"
    ),
    "http_api_request": Price(
        7.20 / 1e6,
        "HTTP API request",
        "ESTIMATE: not in the sources read; the global $1.00 at 7.2 CNY/USD. Replace with "
        "amazonaws.cn/en/api-gateway/pricing",
        "2026-12-02",
    ),
    "lambda_request": Price(
        1.36 / 1e6,
        "request",
        "Ningxia prices quoted in a public repository's cost note (amazonaws.cn/en/lambda/pricing)",
        "2025",
    ),
    # arm64 is not priced in the sources read: x86_64's price, which Ningxia runs by default,
    # bounds it from above (arm64 is 20% cheaper wherever both are listed).
    "lambda_gb_second_arm64": Price(
        0.000113477, "GB-second (x86_64 price)", "as lambda_request", "2025"
    ),
    "dynamodb_wru": Price(
        11.1538 / 1e6,
        "on-demand write request unit",
        "amazonaws.cn/en/dynamodb/pricing",
        "2026-12-02",
    ),
    "dynamodb_rru": Price(
        11.1538 / 5 / 1e6,
        "on-demand read request unit",
        "ESTIMATE: a fifth of the write unit, the ratio of every listed on-demand table",
        "2026-12-02",
    ),
    "dynamodb_gb_month": Price(
        1.88, "GB-month stored", "ESTIMATE: the global price at 7.2 CNY/USD", "2026-12-02"
    ),
    "pitr_gb_month": Price(
        1.44, "GB-month of PITR", "ESTIMATE: as dynamodb_gb_month", "2026-12-02"
    ),
    "backup_gb_month": Price(
        0.72, "GB-month of backup storage", "ESTIMATE: as dynamodb_gb_month", "2026-12-02"
    ),
    "backup_copy_gb_month": Price(
        0.72, "GB-month of the copy in the other region", "ESTIMATE: as backup_gb_month", "-"
    ),
    "xray_trace": Price(0.0, "trace", "no X-Ray Lambda integration in the China regions", "-"),
    "s3_put": Price(
        0.036 / 1000, "PUT request", "ESTIMATE: the global price at 7.2 CNY/USD", "2026-12-02"
    ),
    "kms_key_month": Price(7.20, "key a month", "ESTIMATE: the global price at 7.2 CNY/USD", "-"),
    "alarm_month": Price(0.72, "alarm a month", "ESTIMATE: the global price at 7.2 CNY/USD", "-"),
}

# -- assumptions: what this machine cannot measure ------------------------------------------
# A Lambda vCPU is 1,769 MB; at less memory a function gets that share of one.
LAMBDA_MB_PER_VCPU = 1769
# One DynamoDB PutItem seen from Lambda in the same region: single-digit milliseconds.
DYNAMODB_PUT_MS = 6.0
# Cold starts per submission: a city's traffic is thin (100,000 a month is one every 26 s on
# average), so instances often go idle; one cold start per 50 submissions.
COLD_STARTS_PER_SUBMISSION = 1 / 50
# HTTP headers CloudFront sends with each answer, roughly.
HEADER_BYTES = 600
# DynamoDB bills 100 bytes of index overhead per stored item.
ITEM_OVERHEAD_BYTES = 100
# The aggregator: an hourly run of a city-month (38 departments, 100,000 responses) takes a few
# seconds; each run rewrites every department-month it touched and the month's five files.
AGGREGATOR_RUN_SECONDS = 5.0
RESULT_ITEM_WRU = 4  # a department-month's counts: a few KB
FILES_PER_RUN = 5
MONTHS_OF_DATA = 12  # storage and backups are priced after a year of answers
HOURLY_RUNS_A_MONTH = 24 * 30


# -- measurements ----------------------------------------------------------------------------


class PageLoad(NamedTuple):
    requests: tuple[str, ...]  # what a first-time visitor asks CloudFront for, in order
    bytes: int  # gzip bodies plus headers


def page_load() -> PageLoad:
    """Build the site and follow one answer: the form page and what it links, the POST, the
    thanks page (its assets are already cached: hashed names, a year's max-age)."""
    from site_builder.build import build_site

    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    department = questionnaire.departments[0].id
    with tempfile.TemporaryDirectory() as folder:
        dist = Path(folder) / "dist"
        build_site(questionnaire, dist, base_url="https://manyi.example.gov.cn")
        page = f"d/{department}/index.html"
        requests = [page, *_linked(dist / page), "POST /api/submissions"]
        requests.append(f"d/{department}/thanks/index.html")
        size = 0
        for request in requests:
            path = dist / request
            body = gzip.compress(path.read_bytes()) if path.is_file() else b'{"submission":1}'
            size += len(body) + HEADER_BYTES
    return PageLoad(tuple(requests), size)


def _linked(page: Path) -> Iterator[str]:
    html = page.read_text(encoding="utf-8")
    for match in re.finditer(r'<(?:link|script|img)\b[^>]*\b(?:href|src)="([^"]+)"', html):
        target = match.group(1)
        if target.startswith("/") and not target.startswith("//"):
            yield target.lstrip("/")
    if 'rel="icon"' not in html:
        yield "favicon.ico"  # browsers ask for it when the page names none


class Writes(NamedTuple):
    calls: tuple[str, ...]
    units: int
    bytes: int  # stored, all items


def collector_writes() -> Writes:
    """The write units of one submission through the real DynamoDB store."""
    from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore

    recorder = RecordingDynamoDB()
    store = DynamoDBSubmissionStore("bench", client=recorder)
    store.put(_stored(load_questionnaire(ROOT / "questionnaire.yaml"), "cost-0001"))
    return Writes(tuple(recorder.calls), recorder.units, recorder.bytes)


class RecordingDynamoDB:
    """Answers like an empty table and counts what each call would be billed."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.units = 0
        self.bytes = 0

    def put_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append("PutItem")
        size = item_bytes(request["Item"])
        self.units += math.ceil(size / 1024)
        self.bytes += size + ITEM_OVERHEAD_BYTES
        return {}

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        self.calls.append("TransactWriteItems")
        for entry in request["TransactItems"]:
            (operation,) = entry.values()
            self.units += 2 * math.ceil(item_bytes(operation.get("Item", {})) / 1024)
        return {}

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append("GetItem")
        return {}


def _stored(questionnaire: Any, submission_id: str) -> Any:
    from manyi.calendar import OfficeCalendar
    from manyi.submission import StoredSubmission, utc_timestamp

    now = datetime.now(UTC)
    event = json.loads((ROOT / "tests/events/post_submission_json.json").read_text())
    answers = json.loads(event["body"])["answers"]
    return StoredSubmission(
        submission_id=submission_id,
        department=questionnaire.departments[0].id,
        month=OfficeCalendar("Asia/Shanghai", 27).month(now),
        received_at=utc_timestamp(now),
        version=questionnaire.version,
        channel=questionnaire.channels[0].id,
        answers={k: tuple(v) if isinstance(v, list) else v for k, v in answers.items()},
    )


def handler_cpu_seconds(runs: int) -> float:
    """CPU time of the collector's whole handler for one valid JSON submission (warm), the
    DynamoDB store's calls answered at once."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from manyi.collector.handler import create_handler
    from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
    from manyi.versions import Catalogue

    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    store = DynamoDBSubmissionStore("bench", client=RecordingDynamoDB())
    handler = create_handler(store, Catalogue.of(questionnaire))
    event = json.loads((ROOT / "tests/events/post_submission_json.json").read_text())
    body = json.loads(event["body"]) | {"version": questionnaire.version}
    events = []
    for i in range(runs):
        events.append(event | {"body": json.dumps(body | {"submission_id": f"cost-{i:06d}"})})
    context = _Context()
    handler(events[0], context)  # the first request's one-off work is not per submission
    start = time.process_time()
    for each in events[1:]:
        result = handler(each, context)
    assert result["statusCode"] == 201, result
    return (time.process_time() - start) / (runs - 1)


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:bench"
    aws_request_id = "bench"


def init_cpu_seconds() -> float:
    """CPU time of the collector's init: importing lambda/collector/app.py in a new process."""
    code = (
        "import os, sys, time; start = time.process_time(); sys.path.insert(0, sys.argv[1]);"
        "os.environ.setdefault('SUBMISSIONS_TABLE', 'bench');"
        "from manyi.collector.handler import create_lambda_handler; from pathlib import Path;"
        "create_lambda_handler(Path(sys.argv[2])); print(time.process_time() - start)"
    )
    with tempfile.TemporaryDirectory() as folder:
        from manyi.versions import publish

        questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
        publish(Path(folder), questionnaire, datetime.now(UTC).date())
        env = {**os.environ, "AWS_DEFAULT_REGION": "cn-north-1", "PYTHONPATH": str(ROOT)}
        times = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", code, str(ROOT), folder],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(float(out.stdout.strip().splitlines()[-1]))
    return sorted(times)[1]


# -- the model -------------------------------------------------------------------------------


class Line(NamedTuple):
    item: str
    quantity: float
    price: str  # key of the price table
    path: bool  # on the collector's path (API + Lambda + DynamoDB)


class Usage(NamedTuple):
    per_submission: tuple[Line, ...]
    per_month: tuple[Line, ...]  # a city-month's aggregator and standing costs


def usage(
    load: PageLoad, writes: Writes, handler: float, init: float, args: argparse.Namespace
) -> Usage:
    template = load_template()
    functions = template["Mappings"]["Functions"]
    collector_gb = functions["Collector"]["MemorySize"] / 1024
    aggregator_gb = functions["Aggregator"]["MemorySize"] / 1024
    share = min(1.0, functions["Collector"]["MemorySize"] / LAMBDA_MB_PER_VCPU)
    puts = writes.calls.count("PutItem") + writes.calls.count("TransactWriteItems")
    duration = handler / share + puts * DYNAMODB_PUT_MS / 1000
    cold = COLD_STARTS_PER_SUBMISSION * init / share
    traced = template["Parameters"]["CollectorTracing"]["Default"] == "Active"
    cloudfront = len(load.requests)
    per_submission = (
        Line(f"CloudFront requests: {cloudfront} (listed below)", cloudfront,
             "cloudfront_request", False),
        Line(f"CloudFront data out ({load.bytes / 1000:.1f} kB gzip + headers)", load.bytes / 1e9,
             "cloudfront_gb", False),
        Line("HTTP API request", 1, "http_api_request", True),
        Line("Lambda request (collector)", 1, "lambda_request", True),
        Line(f"Lambda duration: {duration * 1000:.1f} ms x {collector_gb:g} GB", duration *
             collector_gb, "lambda_gb_second_arm64", True),
        Line(f"Lambda init, amortized ({init / share:.2f} s per cold start)", cold * collector_gb,
             "lambda_gb_second_arm64", True),
        Line(f"DynamoDB writes ({' + '.join(writes.calls)}: {writes.units} WRU)", writes.units,
             "dynamodb_wru", True),
        Line("X-Ray trace" + ("" if traced else " (CollectorTracing=PassThrough: none)"),
             1 if traced else 0, "xray_trace", False),
    )  # fmt: skip
    runs = HOURLY_RUNS_A_MONTH + 1
    stored_gb = args.submissions * MONTHS_OF_DATA * writes.bytes / 1e9
    backup_days = template["Parameters"]["BackupRetentionDays"]["Default"]
    alarms = sum(1 for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm")
    per_month = (
        Line(f"aggregator: {runs} runs x {AGGREGATOR_RUN_SECONDS:g} s x {aggregator_gb:g} GB",
             runs * AGGREGATOR_RUN_SECONDS * aggregator_gb, "lambda_gb_second_arm64", False),
        Line(f"aggregator: {runs} requests", runs, "lambda_request", False),
        Line("aggregator: reads every new response once (strongly consistent, 4 kB a unit)",
             args.submissions * 0.6 / 4, "dynamodb_rru", False),
        Line(f"aggregator: {args.departments} department-months rewritten a run",
             runs * args.departments * RESULT_ITEM_WRU, "dynamodb_wru", False),
        Line(f"aggregator: {FILES_PER_RUN} report files a run", runs * FILES_PER_RUN, "s3_put",
             False),
        Line(f"DynamoDB storage after {MONTHS_OF_DATA} months ({stored_gb:.2f} GB)", stored_gb,
             "dynamodb_gb_month", False),
        Line("point-in-time recovery of it", stored_gb, "pitr_gb_month", False),
        Line(f"daily full backups kept {backup_days} days", stored_gb * backup_days,
             "backup_gb_month", False),
        Line("their copies in the other China region", stored_gb * backup_days,
             "backup_copy_gb_month", False),
        Line("the alarm topic's key", 1, "kms_key_month", False),
        Line(f"{alarms} CloudWatch alarms", alarms, "alarm_month", False),
    )  # fmt: skip
    return Usage(per_submission, per_month)


def table(title: str, prices: dict[str, Price], use: Usage, args: argparse.Namespace) -> None:
    symbol = "$" if prices is USD else "¥"

    def row(label: str, amount: float) -> None:
        print(f"  {label:80} {symbol}{amount:9.2f}")

    print(f"\n{title}")
    per_million = on_path = 0.0
    for line in use.per_submission:
        cost = line.quantity * prices[line.price].amount * 1e6
        per_million += cost
        on_path += cost if line.path else 0.0
        row(line.item, cost)
    row("ONE MILLION SUBMISSIONS", per_million)
    row("  of which the collector path (API + Lambda + DynamoDB)", on_path)
    month = per_million * args.submissions / 1e6
    row(f"city-month: {args.submissions:,} submissions at that rate", month)
    for line in use.per_month:
        cost = line.quantity * prices[line.price].amount
        month += cost
        row(f"city-month: {line.item}", cost)
    row(f"A TYPICAL CITY-MONTH ({args.submissions:,} submissions, {args.departments} departments)",
        month)  # fmt: skip
    if prices is USD:
        met = "met" if on_path <= 3 else "NOT met"
        whole = "met" if per_million <= 8 else "NOT met"
        print(f"  goals: collector path <= $3 per million {met}; whole <= $8 per million {whole}")
        print(
            "  (list prices: CloudFront's always-free tier, 1 TB and 10 million requests a "
            "month, covers a city-month entirely; each request a page saves is $1.00 a million)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000, help="a city-month")
    parser.add_argument("--departments", type=int, default=38)
    parser.add_argument("--runs", type=int, default=300, help="handler runs to time")
    args = parser.parse_args()
    load = page_load()
    writes = collector_writes()
    handler = handler_cpu_seconds(args.runs)
    init = init_cpu_seconds()
    print(
        f"measured: handler {handler * 1000:.2f} ms CPU a submission, init {init * 1000:.0f} ms "
        f"CPU, {writes.units} WRU a submission, {len(load.requests)} CloudFront requests"
    )
    use = usage(load, writes, handler, init, args)
    print("what a first-time visitor asks CloudFront for, to answer once:")
    for request in load.requests:
        print(f"  {request}")
    table("Global partition, USD (us-east-1 list prices)", USD, use, args)
    table("China regions (Beijing, Ningxia), CNY", CNY, use, args)
    print("\nprices (amount per unit; source; read):")
    for name, currency in (("USD", USD), ("CNY", CNY)):
        for key, price in currency.items():
            print(f"  {name} {key}: {price.amount:.10g} per {price.unit}")
            print(f"      {price.source}; read {price.read}")


if __name__ == "__main__":
    main()
