"""Where a month's files go (a local folder or a private S3 bucket), and which files are written.

Per month, under `reports/<YYYY-MM>/`: results.json, summary.csv, options.csv, results.xlsx and
report.html. While a month is open they are rewritten by every run; the close writes them one
last time, and from then on they are frozen: later runs only write late.json (the late
arrivals, kept apart) and never touch the report again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from manyi.model import Questionnaire
from manyi.reports.files import JSON_TYPE, json_bytes, month_files
from manyi.reports.view import TREND_MONTHS, month_view
from manyi.results.state import ResultsStore

PREFIX = "reports"


class Outputs(Protocol):
    def write(self, key: str, data: bytes, content_type: str) -> None: ...


class OutputFolder:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def write(self, key: str, data: bytes, content_type: str) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: a reader never sees half a file.
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)


class S3Outputs:
    def __init__(self, bucket: str, client: Any = None) -> None:
        if client is None:
            import boto3  # only the AWS path pays for boto3

            client = boto3.client("s3")
        self.bucket = bucket
        self.client = client

    def write(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from manyi.store.aws_errors import store_error

        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ServerSideEncryption="AES256",
            )
        except (BotoCoreError, ClientError) as error:
            raise store_error(error, f"S3 bucket {self.bucket!r}") from error


def publish_month(
    questionnaire: Questionnaire, store: ResultsStore, month: str, outputs: Outputs
) -> list[str]:
    """Write the month's files as the rules above say; the keys written."""
    close = store.month_close(month)
    view = month_view(questionnaire, store, month, TREND_MONTHS)
    base = f"{PREFIX}/{month}"
    if close is not None and close.published:
        late = {
            "month": month,
            "closed_at": close.closed_at,
            "late_responses": view.city.late.responses,
            "departments": [
                {"department": d.department.id, **d.late.to_dict()}
                for d in view.city.departments
                if d.late.responses
            ],
        }
        outputs.write(f"{base}/late.json", json_bytes(late), JSON_TYPE)
        return [f"{base}/late.json"]
    files = month_files(questionnaire, view)
    for name, (data, content_type) in files.items():
        outputs.write(f"{base}/{name}", data, content_type)
    if close is not None:
        store.mark_published(month)
    return [f"{base}/{name}" for name in files]
