"""`manyi token [--new]`: print the office's access token for the results pages of `manyi serve`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from manyi.cli.results_options import add_data_option


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "token",
        help="print the office's access token for /results/ in `manyi serve` (made on first use)",
    )
    parser.add_argument("--new", action="store_true", help="replace the token with a new one")
    add_data_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.results.office_token import office_token

    print(office_token(Path(args.data), new=args.new))
    print(
        "note: the staff workspace replaces this token: manyi account add NAME --role office, "
        "then sign in at /workspace/ (docs/workspace.md)",
        file=sys.stderr,
    )
    return 0
