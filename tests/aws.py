"""Fake AWS for the tests: the one place that makes the DynamoDB tables (moto's `mock_aws`).

Issue 6 builds these tables from infra/template.yaml; until then the layout fixed by the team
(string `pk` and `sk`, TTL on `expires_at`, on-demand) is written here, once.
"""

from __future__ import annotations

from typing import Any

REGION = "cn-north-1"
SUBMISSIONS_TABLE = "manyi-submissions-test"


def create_submissions_table(client: Any, name: str = SUBMISSIONS_TABLE) -> str:
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    return name
