"""`manyi check [FILE]`: every problem in questionnaire.yaml at once, or a one-line summary."""

from __future__ import annotations

import argparse
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, load_or_report, questionnaire_path


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "check", help="check questionnaire.yaml; print file:line: problems and exit 2 if any"
    )
    parser.add_argument("file", nargs="?", help="default: ./questionnaire.yaml")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    questionnaire = load_or_report(args.file)
    if questionnaire is None:
        return EXIT_PROBLEMS
    added = sum(1 for q in questionnaire.questions if q.added)
    print(
        f"{questionnaire_path(args.file)}: ok — version {questionnaire.version}, "
        f"{len(questionnaire.sections)} sections, {len(questionnaire.questions)} questions "
        f"({added} added to the original), {len(questionnaire.departments)} departments, "
        f"{len(questionnaire.channels)} channels"
    )
    return 0
