"""The `manyi` command: one subcommand a module, each with `register(subparsers)`.

Subcommand modules keep their heavy imports inside their `run` function, so `manyi check`
does not pay for boto3 or Jinja2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# In the order `manyi --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "check",
    "build",
    "serve",
    "served",
    "aggregate",
    "results",
    "report",
    "alerts",
    "token",
    "key",
    "backup",
    "account",
    "followup",
    "complaints",
    "package",
    "publish",
    "deploy",
    "restore_table",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manyi",
        description="依法行政调查问卷: survey pages, collector and monthly results.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"manyi.cli.{name}").register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from manyi.cli.common import EXIT_PROBLEMS, QuestionnaireRejected
    from manyi.errors import ManyiError

    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except QuestionnaireRejected:  # its problems are printed, and the file's summary
        return EXIT_PROBLEMS
    except ManyiError as error:
        # Its message says what to fix (a bad option, a missing table): once, no traceback.
        print(f"manyi {args.command}: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
