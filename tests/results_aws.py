"""The aggregator's fake AWS (moto): the template's two tables, the reports bucket, responses."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from manyi.model import Questionnaire
from manyi.results.backends import AwsNames, Backend, aws_backend
from manyi.store.submissions.dynamodb import DynamoDBSubmissionStore
from tests.aws import REGION
from tests.cfn import create_tables
from tests.memory_submissions import stored
from tests.results_data import random_answers

BUCKET = "manyi-reports-test"


@dataclass
class FakeAws:
    names: AwsNames
    dynamodb: Any
    s3: Any

    def backend(self) -> Backend:
        return aws_backend(self.names, self.dynamodb, self.s3)

    def object(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body

    def object_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return sorted(o["Key"] for o in listed)


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAws]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        tables = create_tables(dynamodb, {"SubmissionsTable": "subs", "ResultsTable": "results"})
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        names = AwsNames(tables["SubmissionsTable"], tables["ResultsTable"], BUCKET, REGION)
        yield FakeAws(names, dynamodb, s3)


def put_responses(
    aws: FakeAws, questionnaire: Questionnaire, start: datetime, n: int, department: str
) -> None:
    rnd = random.Random(n)
    store = DynamoDBSubmissionStore(aws.names.submissions_table, aws.dynamodb)
    for i in range(n):
        received = start + timedelta(minutes=i)
        submission_id = f"{department}-{received:%Y%m%d%H%M%S}-{i:04d}"
        answers = random_answers(questionnaire, rnd)
        store.put(stored(submission_id, received, answers, department=department))
