"""The documentation covers the tool: every `manyi` command has help text and is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from manyi.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 150


def commands() -> dict[str, str | None]:
    parser = build_parser()
    [subcommands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {action.dest: action.help for action in subcommands._choices_actions}
    return {name: helps.get(name) for name in subcommands.choices}


def documentation() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


@pytest.mark.parametrize(("command", "help_text"), sorted(commands().items()))
def test_every_command_has_help_and_is_documented(command: str, help_text: str | None) -> None:
    assert help_text, f"manyi {command} has no help text"
    assert re.search(rf"`manyi {re.escape(command)}(?![\w-])", documentation()), (
        f"manyi {command} is not documented in README.md or docs/"
    )


def test_the_readme_stays_short_and_links_what_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        assert (ROOT / link).exists(), f"README links to a missing {link}"
