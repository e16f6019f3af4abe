"""The template's own definitions for tests: its YAML with CloudFormation tags, its tables in moto,
its expansion by the SAM translator, and its intrinsic functions evaluated for one deployment.

Create the DynamoDB tables of infra/template.yaml, exactly as defined there, in one call:

    from tests.cfn import create_tables, table_environment
    names = create_tables(boto3.client("dynamodb", region_name="cn-north-1"))
    env = table_environment(names)  # {"SUBMISSIONS_TABLE": "SubmissionsTable", ...}

so a store adapter tested against moto fails when the code and the infrastructure drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from manyi.deploy.template import (
    TEMPLATE_PATH,
    load_template,
    loads_template,
    resources_of_type,
)

__all__ = [
    "TEMPLATE_PATH",
    "Evaluator",
    "create_tables",
    "load_template",
    "loads_template",
    "table_definitions",
    "table_environment",
    "translate",
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


def translate(template: Mapping[str, Any], region: str, parameters: Mapping[str, str]) -> Any:
    """Expand the AWS::Serverless transform as CloudFormation would, for one region."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    from manyi.deploy.stack import template_body

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    return translator.translate(
        json.loads(template_body(template)),
        parameter_values=dict(parameters),
        get_managed_policy_map=dict,
    )


class Evaluator:
    """CloudFormation's intrinsic functions, as far as the template uses them, for one
    deployment: its parameters (defaults filled in), partition, region and stack name."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        *,
        partition: str,
        region: str,
        stack: str = "manyi-test",
    ) -> None:
        declared = template.get("Parameters", {})
        self.values: dict[str, Any] = {
            name: str(p.get("Default", "")) for name, p in declared.items()
        }
        self.values |= dict(parameters)
        self.values |= {
            "AWS::Partition": partition,
            "AWS::Region": region,
            "AWS::StackName": stack,
            "AWS::AccountId": "123456789012",
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        }
        self.conditions = template.get("Conditions", {})
        self.mappings = template.get("Mappings", {})

    def condition(self, name: str) -> bool:
        return bool(self(self.conditions[name]))

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict) or len(value) != 1:
            return value
        ((function, argument),) = value.items()
        if function == "Ref":
            return self.values.get(argument, argument)  # a resource: its logical ID
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::If":
            name, if_true, if_false = argument
            return self(if_true if self.condition(name) else if_false)
        if function == "Fn::Equals":
            return str(self(argument[0])) == str(self(argument[1]))
        if function == "Fn::Not":
            return not self(argument[0])
        if function == "Fn::And":
            return all(self(part) for part in argument)
        if function == "Fn::Or":
            return any(self(part) for part in argument)
        if function == "Fn::FindInMap":
            mapping, key, attribute = (self(part) for part in argument)
            return self.mappings[mapping][key][attribute]
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(self(part)) for part in parts)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            local = {name: self(v) for name, v in variables.items()}

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                return str(local[name] if name in local else self.values.get(name, name))

            return re.sub(r"\$\{([^}]+)\}", substitute, text)
        return value


class _Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=_Closable)


def over_both_adapters(
    adapter: str,
    local: Callable[[], S],
    aws: Callable[[Any, dict[str, str]], S],
) -> Iterator[S]:
    """A contract suite's store: its SQLite file (`adapter` "sqlite"), or its tables in moto,
    made from the template (`aws` gets the client and the tables' names by logical ID)."""
    if adapter == "sqlite":
        opened = local()
        yield opened
        opened.close()
        return
    import boto3
    from moto import mock_aws

    from tests.aws import REGION

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        yield aws(client, create_tables(client))
