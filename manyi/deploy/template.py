"""Read infra/template.yaml as CloudFormation does: short tags (!Ref, !Sub, ...) in long form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml's parser reads the template about seven times faster than the pure-Python one
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"

# Tags whose long form is {"Fn::<Name>": value}; !Ref, !Condition and !GetAtt are special.
# Contains .. ValueOfAll are the functions of a template's Rules.
FUNCTION_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "Equals",
    "ForEach",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "RefAll",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
    "ValueOf",
    "ValueOfAll",
)


class TemplateLoader(_SafeLoader):
    """A safe loader that knows CloudFormation's tags and keeps dates as text.

    CloudFormation reads `AWSTemplateFormatVersion: 2010-09-09` as a string, not a date.
    """


TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _value(loader: _SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


def _long_form(key: str) -> Callable[[_SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: _SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {key: _value(loader, node)}

    return construct


def _get_att(loader: _SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _value(loader, node)
    if isinstance(value, str):
        # !GetAtt Resource.Attribute.With.Dots: only the first dot separates.
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


TemplateLoader.add_constructor("!Ref", _long_form("Ref"))
TemplateLoader.add_constructor("!Condition", _long_form("Condition"))
TemplateLoader.add_constructor("!GetAtt", _get_att)
for _name in FUNCTION_TAGS:
    TemplateLoader.add_constructor(f"!{_name}", _long_form(f"Fn::{_name}"))


def loads_template(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a safe loader subclass
    if not isinstance(data, dict):
        raise ValueError("a CloudFormation template is a mapping")
    return data


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return loads_template(path.read_text(encoding="utf-8"))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical ID → resource, for every resource of one type, in template order."""
    resources: dict[str, dict[str, Any]] = template.get("Resources", {})
    return {name: r for name, r in resources.items() if r.get("Type") == resource_type}
