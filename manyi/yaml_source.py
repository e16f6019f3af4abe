"""YAML read with line numbers kept, so every problem can point at the line to fix.

PyYAML's composer gives nodes with positions; we build plain dicts and lists from them that also
remember the line of each key and item, and we flag duplicate keys, which PyYAML silently lets
the last one win.

A hostile or broken file gets a problem, never a traceback, in bounded time and memory: the text,
the nesting depth and the number of values (aliases can multiply a short file into billions) are
capped, an alias inside the value it names is refused, and a scalar Python cannot hold (a
5,000-digit integer, the 13th month) is reported at its line. Events come from libyaml where
PyYAML has it (about six times faster than its pure-Python parser); nodes are composed in Python,
so that the depth and count are checked as they grow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from manyi.messages import DefinitionCode, definition_message

# Far above any real questionnaire (questionnaire.yaml: 10 KB, 7 levels, about 900 values; a
# thousand departments: about 70 KB and 9,000 values), far below what takes seconds or many MB.
MAX_CHARACTERS = 250_000
MAX_DEPTH = 40
MAX_VALUES = 50_000


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
    """Parse text; on a problem that stops reading, return (None, [that problem])."""
    if len(text) > MAX_CHARACTERS:
        return None, [_problem(file, 0, "too_large", size=len(text), limit=MAX_CHARACTERS)]
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        problems: list[Problem] = []
        return _Converter(loader, file, problems).value(node), problems
    except _Stop as stop:
        return None, [_problem(file, stop.line, stop.code, **stop.values)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        detail = " ".join(filter(None, [error.context, error.problem]))
        return None, [_problem(file, line, "yaml_syntax", detail=detail)]
    except yaml.YAMLError as error:
        return None, [_problem(file, 0, "yaml_syntax", detail=str(error))]
    finally:
        loader.dispose()


def _problem(file: str, line: int, code: DefinitionCode, **values: object) -> Problem:
    return Problem(file, line, code, definition_message(code, **values))


class _Stop(Exception):
    """Reading cannot go on: the file is built to exhaust the reader, or is nested too deep."""

    def __init__(self, line: int, code: DefinitionCode, **values: object) -> None:
        super().__init__(code)
        self.line = line
        self.code: DefinitionCode = code
        self.values = values


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _Events(CParser):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)

else:  # pragma: no cover (PyYAML built without libyaml)
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Events(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)


class _BoundedLoader(Composer, _Events, SafeConstructor, Resolver):
    """A safe loader whose recursive composer stops at MAX_DEPTH and MAX_VALUES."""

    def __init__(self, text: str) -> None:
        _Events.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        mark = event.start_mark if event is not None else None
        line = mark.line + 1 if mark is not None else 0
        self.depth += 1
        self.nodes += 1
        if self.depth > MAX_DEPTH:
            raise _Stop(line, "too_deep", limit=MAX_DEPTH)
        if self.nodes > MAX_VALUES:
            raise _Stop(line, "too_many_values", limit=MAX_VALUES)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Converter:
    """Nodes to LineDicts, LineLists and scalars, each alias expanded (and counted) again."""

    def __init__(self, loader: SafeConstructor, file: str, out: list[Problem]) -> None:
        self.loader = loader
        self.file = file
        self.out = out
        self.values = 0
        self.open: set[int] = set()  # the nodes being converted: an alias back to one loops

    def value(self, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Stop(line, "too_many_values", limit=MAX_VALUES)
        if id(node) in self.open:
            raise _Stop(line, "recursive_alias")
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            self.open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self.mapping(node, line)
                return self.sequence(node, line)
            finally:
                self.open.discard(id(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as error:  # e.g. 5,000 digits, month 13
            detail = str(error).split(";")[0]  # not Python's advice on sys.set_int_max_str_digits
            self.out.append(_problem(self.file, line, "bad_value", detail=detail))
            return None

    def mapping(self, node: yaml.MappingNode, line: int) -> LineDict:
        mapping = LineDict(line)
        for key_node, value_node in node.value:
            key = self.value(key_node)
            key_line = key_node.start_mark.line + 1
            if not _hashable(key):
                key = str(key)
            if key in mapping:
                first = mapping.key_lines[key]
                self.out.append(
                    _problem(self.file, key_line, "duplicate_key", key=key, first=first)
                )
                continue
            mapping[key] = self.value(value_node)
            mapping.key_lines[key] = key_line
        return mapping

    def sequence(self, node: yaml.SequenceNode, line: int) -> LineList:
        sequence = LineList(line)
        for item in node.value:
            sequence.append(self.value(item))
            sequence.item_lines.append(item.start_mark.line + 1)
        return sequence


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
