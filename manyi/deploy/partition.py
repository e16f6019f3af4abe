"""The template for one partition and region: what they already decide is decided before sending.

CloudFormation refuses a template that names a resource type the region does not have, even
under a condition that is false there (e.g. `AWS::CloudFront::OriginAccessControl` in the China
regions, `AWS::Budgets::Budget` in Hong Kong), and a `!GetAtt` of such a resource even in an
`!If` branch never taken. So before a deployment every condition that depends only on
`AWS::Partition` and `AWS::Region` (and on other such conditions) is evaluated, and the
template is rewritten: resources and outputs under a false condition go, `!If`s on a known
condition become the branch taken, and conditions nothing refers to any more go too.
Conditions that depend on parameters stay for CloudFormation.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

_NO_VALUE = {"Ref": "AWS::NoValue"}
_DROP = object()  # what a known !If yields when the branch taken is AWS::NoValue


def for_partition(
    template: Mapping[str, Any], partition: str, region: str | None = None
) -> dict[str, Any]:
    """The template as sent to `partition` (and `region`, when given)."""
    result = copy.deepcopy(dict(template))
    conditions: dict[str, Any] = result.get("Conditions", {})
    known = known_conditions(conditions, partition, region)
    for section in ("Resources", "Outputs"):
        entries = result.get(section, {})
        for name in [
            n for n, entry in entries.items() if known.get(entry.get("Condition")) is False
        ]:
            del entries[name]
        for entry in entries.values():
            if known.get(entry.get("Condition")) is True:
                del entry["Condition"]
    for section in ("Resources", "Outputs"):
        if section in result:
            result[section] = _resolve(result[section], known)
    _drop_unused_conditions(result, known)
    return result


def known_conditions(
    conditions: Mapping[str, Any], partition: str, region: str | None = None
) -> dict[str, bool]:
    """Each condition whose value the partition (and region) alone decide, with that value."""
    pseudo = {"AWS::Partition": partition} | ({"AWS::Region": region} if region else {})
    values: dict[str, bool | None] = {}

    def evaluate(expression: Any) -> bool | None:
        if not isinstance(expression, dict) or len(expression) != 1:
            return None
        ((function, argument),) = expression.items()
        if function == "Condition":
            name = str(argument)
            if name not in values:
                values[name] = None  # a cycle reads as unknown
                values[name] = evaluate(conditions.get(name))
            return values[name]
        if function == "Fn::Equals":
            left, right = (_constant(side, pseudo) for side in argument)
            return None if left is None or right is None else left == right
        if function == "Fn::Not":
            inner = evaluate(argument[0])
            return None if inner is None else not inner
        if function in ("Fn::And", "Fn::Or"):
            parts = [evaluate(part) for part in argument]
            decisive = bool(function == "Fn::Or")  # True decides an Or, False an And
            if decisive in parts:
                return decisive
            if None in parts:
                return None
            return not decisive
        return None

    for name in conditions:
        evaluate({"Condition": name})
    return {name: value for name, value in values.items() if value is not None}


def _constant(value: Any, pseudo: Mapping[str, str]) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return pseudo.get(str(value["Ref"]))
    return None


def _resolve(value: Any, known: Mapping[str, bool]) -> Any:
    if isinstance(value, list):
        items = [_resolve(item, known) for item in value]
        return [item for item in items if item is not _DROP]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"} and value["Fn::If"][0] in known:
        condition, if_true, if_false = value["Fn::If"]
        taken = if_true if known[condition] else if_false
        return _DROP if taken == _NO_VALUE else _resolve(taken, known)
    resolved = {key: _resolve(item, known) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not _DROP}


def _drop_unused_conditions(template: dict[str, Any], known: Mapping[str, bool]) -> None:
    conditions = template.get("Conditions", {})
    while True:
        used = _condition_names({k: v for k, v in template.items() if k != "Conditions"})
        used |= _condition_names(conditions)
        unused = [name for name in conditions if name in known and name not in used]
        if not unused:
            return
        for name in unused:
            del conditions[name]


def _condition_names(value: Any) -> set[str]:
    """Every condition named: `Condition:` keys, {"Condition": name} and !If's first item."""
    names: set[str] = set()
    if isinstance(value, list):
        for item in value:
            names |= _condition_names(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Condition" and isinstance(item, str):
                names.add(item)
            elif key == "Fn::If" and isinstance(item, list) and item:
                names.add(item[0])
                names |= _condition_names(item[1:])
            else:
                names |= _condition_names(item)
    return names
