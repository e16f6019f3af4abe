"""Where a month's files go (a local folder or a private S3 bucket), and which files are written.

Per month, under `reports/<YYYY-MM>/`: results.json, summary.csv, options.csv, results.xlsx and
report.html. While a month is open every run makes them afresh; the close writes them one
last time, and from then on they are frozen: later runs only write late.json (the late
arrivals, kept apart) and never touch the report again.

A file is written only when its bytes differ from what is already there: the hourly run would
otherwise rewrite every report (a new object version in the versioned bucket, a new mtime for
whoever syncs the folder) although nothing changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

from manyi.model import Questionnaire
from manyi.reports.files import JSON_TYPE, json_bytes, month_files
from manyi.reports.json_export import published_counts
from manyi.reports.view import TREND_MONTHS, month_view
from manyi.store.pressure.base import PressureStore
from manyi.store.results.base import ResultsStore

PREFIX = "reports"
# The object metadata holding the SHA-256 of what was put: compared before the next put.
SHA256_META = "sha256"


class Outputs(Protocol):
    def write(self, key: str, data: bytes, content_type: str) -> bool:
        """Store `data` under `key` unless exactly that is there already; whether it wrote."""
        ...


class OutputFolder:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def write(self, key: str, data: bytes, content_type: str) -> bool:
        path = self.root / key
        if path.is_file() and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: a reader never sees half a file.
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
        return True


def s3_client(client: Any = None) -> Any:
    """The given S3 client (tests pass moto's), or a new one."""
    if client is None:
        import boto3  # only the AWS path pays for boto3

        client = boto3.client("s3")
    return client


def s3_head(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The object's HEAD answer (metadata, content type, last modified); None if it is absent."""
    from botocore.exceptions import ClientError

    try:
        head: dict[str, Any] = client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head


class S3Outputs:
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self.client = s3_client(client)

    def write(self, key: str, data: bytes, content_type: str) -> bool:
        """Put unless the object's recorded SHA-256 and content type match already.

        The hash is kept in the object's own metadata rather than read off the ETag: the ETag
        is the body's MD5 only for single-part puts without SSE-KMS, so it would silently stop
        matching if the bucket's encryption or the upload method ever changed.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        from manyi.store.aws_errors import store_error

        digest = hashlib.sha256(data).hexdigest()
        try:
            if self._stored(key) == (digest, content_type):
                return False
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ServerSideEncryption="AES256",
                Metadata={SHA256_META: digest},
            )
        except (BotoCoreError, ClientError) as error:
            raise store_error(error, f"S3 bucket {self.bucket!r}") from error
        return True

    def _stored(self, key: str) -> tuple[str, str] | None:
        """The recorded SHA-256 and content type of the object at `key`; None if there is none."""
        head = s3_head(self.client, self.bucket, key)
        if head is None:
            return None
        return head.get("Metadata", {}).get(SHA256_META, ""), head.get("ContentType", "")


def publish_month(
    questionnaire: Questionnaire,
    store: ResultsStore,
    month: str,
    outputs: Outputs,
    pressure: PressureStore | None = None,
) -> list[str]:
    """Write the month's files as the rules above say; the keys written (those that changed)."""
    close = store.month_close(month)
    view = month_view(questionnaire, store, month, TREND_MONTHS, pressure=pressure)
    base = f"{PREFIX}/{month}"
    if close is not None and close.published:
        late = {
            "month": month,
            "closed_at": close.closed_at,
            "late_responses": view.city.late.responses,
            "departments": [
                {"department": d.department.id, **published_counts(d.late)}
                for d in view.city.departments
                if d.late.responses
            ],
        }
        key = f"{base}/late.json"
        return [key] if outputs.write(key, json_bytes(late), JSON_TYPE) else []
    written = [
        f"{base}/{name}"
        for name, (data, content_type) in month_files(questionnaire, view).items()
        if outputs.write(f"{base}/{name}", data, content_type)
    ]
    if close is not None:
        store.mark_published(month)
    return written
