"""What several subcommands share: finding questionnaire.yaml, loading it or saying why not."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from manyi.errors import ManyiError
from manyi.loader import check_file
from manyi.model import Questionnaire

# What a command exits with when its input has problems it reported (1 is left for crashes).
EXIT_PROBLEMS = 2


class CommandError(ManyiError):
    """Bad options or input a command cannot go on with; `main` prints it and exits 2."""


class QuestionnaireRejected(ManyiError):
    """questionnaire.yaml has problems, each printed already: `main` exits 2 saying no more."""


# The checkout's own file, for commands run from anywhere inside a clone.
REPOSITORY_QUESTIONNAIRE = Path(__file__).resolve().parents[2] / "questionnaire.yaml"


def questionnaire_path(given: str | None) -> Path:
    """The file named, else $MANYI_QUESTIONNAIRE, else ./questionnaire.yaml, else the checkout's."""
    if given:
        return Path(given)
    if os.environ.get("MANYI_QUESTIONNAIRE"):
        return Path(os.environ["MANYI_QUESTIONNAIRE"])
    here = Path("questionnaire.yaml")
    return here if here.exists() else REPOSITORY_QUESTIONNAIRE


def add_questionnaire_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--questionnaire",
        metavar="FILE",
        help="questionnaire.yaml to use (default: ./questionnaire.yaml or $MANYI_QUESTIONNAIRE)",
    )


def load_or_report(given: str | None) -> Questionnaire | None:
    """The checked questionnaire, or None after printing every problem to stderr."""
    path = questionnaire_path(given)
    questionnaire, problems = check_file(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if questionnaire is None:
        print(f"{path}: {len(problems)} problem(s); nothing was done", file=sys.stderr)
    return questionnaire


def questionnaire_of(args: argparse.Namespace) -> Questionnaire:
    """The checked questionnaire --questionnaire names; its problems printed, the command stops
    (exit 2) with QuestionnaireRejected."""
    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        raise QuestionnaireRejected(questionnaire_path(args.questionnaire))
    return questionnaire


@contextmanager
def aws_refusals() -> Iterator[None]:
    """An AWS error within stops the command: `main` prints `manyi COMMAND: AWS refused: …`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise CommandError(f"AWS refused: {error}") from error


def cli_actor() -> str:
    """Who the audit log names for a write from the command line: cli:<operating-system user>."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:{os.getuid()}" if hasattr(os, "getuid") else "cli:unknown"
