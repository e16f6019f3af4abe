"""The package's layering: no two modules import each other, and nothing under manyi/ reaches
up into the command line or the Lambda entry points (docs/testing.md; issue 10)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("manyi", "site_builder")


def module_files() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = module_files()


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(name: str, path: Path) -> set[str]:
    """The package's modules that `name` imports at run time, wherever in the file (an
    import inside a function still joins the two); imports only for type checkers are not."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if _type_checking(node):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module or ""]) if node.level else node.module or ""
            found.add(module.rstrip("."))
            found.update(f"{module}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def test_the_scan_sees_the_imports_it_should() -> None:
    # Guards the test itself: a parser that found nothing would pass everything below.
    assert "manyi.model" in GRAPH["manyi.loader"]
    assert "manyi.cli" in GRAPH["manyi.__main__"]


def test_no_two_modules_import_each_other() -> None:
    mutual = sorted((a, b) for a in GRAPH for b in GRAPH[a] if a < b and a in GRAPH[b])
    assert mutual == []


@pytest.mark.parametrize("layer", ["manyi.cli", "lambda"])
def test_nothing_below_reaches_up_into(layer: str) -> None:
    reaching = sorted(
        (name, target)
        for name, targets in GRAPH.items()
        if not name.startswith(("manyi.cli", "manyi.__main__"))
        for target in targets
        if target == layer or target.startswith(layer + ".")
    )
    assert reaching == []
