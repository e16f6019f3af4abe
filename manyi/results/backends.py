"""Opening the aggregator's stores and outputs: local files by default, AWS when told.

Local: the submission store of `manyi serve` and the results state in the same data folder
(`data/` by default), outputs under `<data>/reports/`. AWS: the two DynamoDB tables and the
private reports bucket, named by options or by the Lambda's environment variables. Beside them,
for the integrity signals (docs/integrity.md): the collector's daily network keys, which the
aggregator deletes once their month is closed, and the pressure question's counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manyi.results.outputs import OutputFolder, Outputs, S3Outputs
from manyi.store.errors import StoreMisconfigured
from manyi.store.network_keys.base import NetworkKeys
from manyi.store.pressure.base import PressureStore
from manyi.store.results.base import ResultsStore
from manyi.store.submissions.base import SubmissionStore

DEFAULT_DATA = Path("data")
# The file `manyi serve` keeps its submissions in (issue 4's SQLite store).
SUBMISSIONS_FILE = "submissions.sqlite3"


@dataclass
class Backend:
    submissions: SubmissionStore
    results: ResultsStore
    outputs: Outputs | None  # None: nothing is published (no reports bucket configured)
    where: str
    # The collector's daily network keys, deleted here once their month is closed.
    network_keys: NetworkKeys | None = None
    # The pressure question's counts, shown beside the month's results.
    pressure: PressureStore | None = None

    def close(self) -> None:
        for part in (self.submissions, self.results, self.network_keys, self.pressure):
            closer = getattr(part, "close", None)
            if closer is not None:
                closer()


def local_results(data: Path) -> ResultsStore:
    from manyi.store.results.sqlite import SqliteResultsStore

    return SqliteResultsStore.in_folder(data)


def aws_client(service: str, region: str | None) -> Any:
    """A boto3 client; no region or credentials is StoreMisconfigured, said once, in words."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.client(service, region_name=region)
    except BotoCoreError as error:
        raise StoreMisconfigured(f"AWS: {error} (--region or $AWS_REGION)") from error


def aws_results(names: AwsNames, dynamodb: Any = None) -> ResultsStore:
    from manyi.store.results.dynamodb import DynamoDBResultsStore

    if dynamodb is None:
        dynamodb = aws_client("dynamodb", names.region)
    return DynamoDBResultsStore(names.results_table, dynamodb)


def local_backend(data: Path) -> Backend:
    from manyi.store.network_keys.sqlite import SQLiteNetworkKeys
    from manyi.store.results.sqlite import SqliteResultsStore
    from manyi.store.submissions.sqlite import SQLiteSubmissionStore

    return Backend(
        submissions=SQLiteSubmissionStore(data / SUBMISSIONS_FILE),
        results=SqliteResultsStore.in_folder(data),
        outputs=OutputFolder(data),
        where=str(data),
        network_keys=SQLiteNetworkKeys.in_folder(data),
        pressure=local_pressure(data),
    )


def local_pressure(data: Path) -> PressureStore | None:
    """The data folder's pressure counts, if the collector ever kept any there."""
    from manyi.store.pressure.sqlite import FILE_NAME, SQLitePressureStore

    return SQLitePressureStore(data / FILE_NAME) if (data / FILE_NAME).is_file() else None


@dataclass(frozen=True)
class AwsNames:
    submissions_table: str | None
    results_table: str
    reports_bucket: str | None
    region: str | None = None
    network_keys_table: str | None = None
    pressure_table: str | None = None

    @classmethod
    def from_environment(cls, env: Any = None) -> AwsNames:
        env = os.environ if env is None else env
        return cls(
            submissions_table=env.get("SUBMISSIONS_TABLE") or None,
            results_table=env["RESULTS_TABLE"],
            reports_bucket=env.get("REPORTS_BUCKET") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            network_keys_table=env.get("NETWORK_KEYS_TABLE") or None,
            pressure_table=env.get("PRESSURE_TABLE") or None,
        )


def aws_backend(names: AwsNames, dynamodb: Any = None, s3: Any = None) -> Backend:
    from manyi.store.results.dynamodb import DynamoDBResultsStore
    from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore

    if names.submissions_table is None:
        raise ValueError("the submissions table is not named")
    if dynamodb is None:
        dynamodb = aws_client("dynamodb", names.region)
    if s3 is None and names.reports_bucket:
        s3 = aws_client("s3", names.region)
    outputs = S3Outputs(names.reports_bucket, s3) if names.reports_bucket else None
    keys = None
    if names.network_keys_table:
        from manyi.store.network_keys.dynamodb import DynamoDBNetworkKeys

        keys = DynamoDBNetworkKeys(names.network_keys_table, dynamodb)
    return Backend(
        submissions=DynamoDBSubmissionStore(names.submissions_table, dynamodb),
        results=DynamoDBResultsStore(names.results_table, dynamodb),
        outputs=outputs,
        where=f"DynamoDB {names.submissions_table} / {names.results_table}",
        network_keys=keys,
        pressure=aws_pressure(names, dynamodb),
    )


def aws_pressure(names: AwsNames, dynamodb: Any = None) -> PressureStore | None:
    if not names.pressure_table:
        return None
    from manyi.store.pressure.dynamodb import DynamoDBPressureStore

    if dynamodb is None:
        dynamodb = aws_client("dynamodb", names.region)
    return DynamoDBPressureStore(names.pressure_table, dynamodb)
