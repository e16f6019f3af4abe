"""The template's own definitions for tests: its YAML with CloudFormation tags, its tables in moto.

Create the DynamoDB tables of infra/template.yaml, exactly as defined there, in one call:

    from tests.cfn import create_tables, table_environment
    names = create_tables(boto3.client("dynamodb", region_name="cn-north-1"))
    env = table_environment(names)  # {"SUBMISSIONS_TABLE": "SubmissionsTable", ...}

so a store adapter tested against moto fails when the code and the infrastructure drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from manyi.deploy.template import (
    TEMPLATE_PATH,
    load_template,
    loads_template,
    resources_of_type,
)

__all__ = [
    "TEMPLATE_PATH",
    "create_tables",
    "load_template",
    "loads_template",
    "table_definitions",
    "table_environment",
]

# What the DynamoDB API takes as is from a table's CloudFormation properties.
_API_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
)


def table_definitions(template: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Logical ID → Properties of every AWS::DynamoDB::Table in the template."""
    template = dict(template) if template is not None else load_template()
    return {
        name: resource["Properties"]
        for name, resource in resources_of_type(template, "AWS::DynamoDB::Table").items()
    }


def create_tables(
    dynamodb: Any,
    names: Mapping[str, str] | None = None,
    *,
    template: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Create the template's tables; return logical ID → table name.

    `dynamodb` is a boto3 DynamoDB client or resource (moto's, in tests). `names` maps logical
    IDs (`SubmissionsTable`, `ResultsTable`) to the table names to use; a table it leaves out
    is named by its logical ID. TTL and point-in-time recovery are switched on as defined.
    """
    client = getattr(getattr(dynamodb, "meta", None), "client", dynamodb)
    names = names or {}
    created: dict[str, str] = {}
    for logical_id, properties in table_definitions(template).items():
        table_name = names.get(logical_id, logical_id)
        request: dict[str, Any] = {k: properties[k] for k in _API_PROPERTIES if k in properties}
        sse = properties.get("SSESpecification")
        if sse is not None:
            request["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
        client.create_table(TableName=table_name, **request)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl is not None:
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": bool(ttl["Enabled"]),
                },
            )
        recovery = properties.get("PointInTimeRecoverySpecification")
        if recovery is not None:
            client.update_continuous_backups(
                TableName=table_name,
                PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": bool(recovery["PointInTimeRecoveryEnabled"])
                },
            )
        created[logical_id] = table_name
    return created


def table_environment(
    names: Mapping[str, str], template: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The functions' table variables (SUBMISSIONS_TABLE, ...) for the tables in `names`.

    Read from the template's functions (`VAR: !Ref SomeTable`), so a renamed variable shows up.
    """
    template = dict(template) if template is not None else load_template()
    environment: dict[str, str] = {}
    for function in resources_of_type(template, "AWS::Serverless::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for variable, value in variables.items():
            if isinstance(value, dict) and value.get("Ref") in names:
                environment[variable] = names[value["Ref"]]
    return environment
