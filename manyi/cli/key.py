"""`manyi key create --key-file PATH`: the local master key that seals personal fields at rest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "key",
        help="create the key file that seals personal data (follow-up cases, complaints)",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="write a new random key file (mode 0600), outside the data folder; never overwrites",
    )
    create.add_argument("--key-file", required=True, metavar="PATH", help="where to write it")
    create.add_argument(
        "--data",
        default="data",
        metavar="DIR",
        help="the data folder the key must stay out of (default: ./data)",
    )
    create.set_defaults(run=run_create)


def run_create(args: argparse.Namespace) -> int:
    from manyi.sealing import create_key_file

    create_key_file(Path(args.key_file), data_folder=Path(args.data))
    print(f"key file written: {Path(args.key_file).resolve()} (keep a copy apart from backups)")
    return 0
