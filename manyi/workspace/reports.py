"""Reading the published report files back (the data folder or the private S3 bucket), and
the report sections the workspace's own stores fill.

The aggregator writes a month's files under `reports/<YYYY-MM>/` (manyi.results.outputs); the
office downloads them through the workspace, never from a public address. When they were last
written is also when the month's figures were last counted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from manyi.results.outputs import PREFIX, s3_client, s3_head

if TYPE_CHECKING:
    from manyi.model import Questionnaire
    from manyi.reports.sections import SectionProviders
    from manyi.workspace.context import Workspace


def report_sections(
    ws: Workspace, questionnaire: Questionnaire, *, complaints: bool
) -> SectionProviders:
    """The 回访 and 投诉举报 sections' providers over the stores set up here. `complaints`:
    False for a department's own copy, since complaint figures are the office's and viewers'
    (the workspace's complaint-figures page has the same rule)."""
    from manyi.followup.service import today_in_beijing
    from manyi.reports.providers import report_providers

    return report_providers(
        questionnaire,
        cases=ws.followup.store if ws.followup is not None else None,
        complaints=ws.complaints.store if complaints and ws.complaints is not None else None,
        today=today_in_beijing(ws.clock()),
    )


class ReportFiles(Protocol):
    def read(self, key: str) -> bytes | None: ...

    def modified(self, key: str) -> datetime | None: ...


def report_key(month: str, name: str) -> str:
    return f"{PREFIX}/{month}/{name}"


class LocalReportFiles:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def read(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def modified(self, key: str) -> datetime | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class S3ReportFiles:
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self.client = s3_client(client)

    def read(self, key: str) -> bytes | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = found["Body"].read()
        return data

    def modified(self, key: str) -> datetime | None:
        found = s3_head(self.client, self.bucket, key)
        if found is None:
            return None
        modified: datetime = found["LastModified"]
        return modified
