"""The documentation covers the tool: every `manyi` command and every message code."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from manyi import messages
from manyi.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
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


MESSAGES_DOC = ROOT / "docs" / "messages.md"
# Each catalogue of manyi/messages.py, and who reads its messages.
CATALOGUES = {
    "DEFINITION": "questionnaire.yaml problems (`manyi check`; English, for whoever edits it)",
    "ANSWER": "answer rules (the citizen's page and the API; Chinese)",
    "SUBMISSION": "the collector's refusals (the API and its pages; Chinese)",
    "SUBMISSION_FIELD": "the collector's field errors (the API; Chinese)",
    "PAGE": "the site's pages (Chinese)",
    "COMPLAINT_FIELD": "the complaint form's field errors (the page and the API; Chinese)",
    "COMPLAINT": "the complaint intake and status answers (Chinese)",
    "PRESSURE": "the pressure question after the thanks page (Chinese)",
    "SIGNAL": "the integrity signals' names (the workspace and the monthly report; Chinese)",
}


def messages_page() -> str:
    lines = [
        "# Message codes",
        "",
        "Every message a person can see comes from `manyi/messages.py` under a stable code; API",
        "clients, pages and tests match on the codes, which never change once published. This",
        "page is checked against the catalogue by `tests/unit/test_docs.py` (after a change,",
        "rewrite it with `MANYI_UPDATE_DOCS=1 pytest tests/unit/test_docs.py`).",
    ]
    for name, audience in CATALOGUES.items():
        catalogue: dict[str, str] = getattr(messages, name)
        lines += ["", f"## {audience}", "", "| code | message |", "| --- | --- |"]
        for code, text in catalogue.items():
            shown = " ".join(text.split()).replace("|", "\\|")
            lines.append(f"| `{code}` | {shown} |")
    return "\n".join(lines) + "\n"


def test_every_catalogue_is_on_the_messages_page() -> None:
    found = {
        name for name, value in vars(messages).items() if name.isupper() and isinstance(value, dict)
    }
    assert found == set(CATALOGUES)


def test_every_message_code_is_documented() -> None:
    expected = messages_page()
    if os.environ.get("MANYI_UPDATE_DOCS"):
        MESSAGES_DOC.write_text(expected, encoding="utf-8")
    assert MESSAGES_DOC.read_text(encoding="utf-8") == expected, (
        "docs/messages.md is out of date: MANYI_UPDATE_DOCS=1 pytest tests/unit/test_docs.py"
    )
