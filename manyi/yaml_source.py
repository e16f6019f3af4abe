"""YAML read with line numbers kept, so every problem can point at the line to fix.

PyYAML's composer gives nodes with positions; we build plain dicts and lists from them that also
remember the line of each key and item, and we flag duplicate keys, which PyYAML silently lets
the last one win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from manyi.messages import definition_message


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file, at a line (1-based; 0 when the whole file is concerned)."""

    file: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code}: {self.message}"


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each of its keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def line_of(value: Any, default: int) -> int:
    return getattr(value, "line", default)


def read_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse text; on a syntax error return (None, [that problem])."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        problems: list[Problem] = []
        return _convert(node, loader, file, problems), problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        detail = " ".join(filter(None, [error.context, error.problem]))
        return None, [_syntax(file, line, detail)]
    except yaml.YAMLError as error:
        return None, [_syntax(file, 0, str(error))]
    finally:
        loader.dispose()


def _syntax(file: str, line: int, detail: str) -> Problem:
    return Problem(file, line, "yaml_syntax", definition_message("yaml_syntax", detail=detail))


def _convert(node: yaml.Node, loader: yaml.SafeLoader, file: str, out: list[Problem]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping = LineDict(line)
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, file, out)
            key_line = key_node.start_mark.line + 1
            if not _hashable(key):
                key = str(key)
            if key in mapping:
                message = definition_message("duplicate_key", key=key, first=mapping.key_lines[key])
                out.append(Problem(file, key_line, "duplicate_key", message))
                continue
            mapping[key] = _convert(value_node, loader, file, out)
            mapping.key_lines[key] = key_line
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LineList(line)
        for item in node.value:
            sequence.append(_convert(item, loader, file, out))
            sequence.item_lines.append(item.start_mark.line + 1)
        return sequence
    return loader.construct_object(node, deep=True)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
