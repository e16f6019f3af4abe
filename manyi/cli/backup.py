"""`manyi backup --data DIR --out FILE` and `manyi restore --from FILE --data EMPTY_DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subcommands: Any) -> None:
    backup = subcommands.add_parser(
        "backup",
        help="copy the data folder into one file, consistently, while manyi serve runs",
        description=(
            "Copy the data folder into a new archive (a gzipped tar): every SQLite database "
            "through SQLite's online backup API, the questionnaire versions and the reports. "
            "Key files (office-token, *.key) are never copied, only recorded as present: keep "
            "them apart. See docs/operations.md."
        ),
    )
    backup.add_argument("--data", default="data", metavar="DIR", help="the data folder")
    backup.add_argument("--out", required=True, metavar="FILE", help="the archive to write")
    backup.add_argument(
        "--key-file",
        action="append",
        default=[],
        metavar="PATH",
        help="a key kept outside the folder (e.g. the sealing key of manyi key create): "
        "recorded as present with its fingerprint, never copied; repeatable",
    )
    backup.set_defaults(run=run_backup)

    restore = subcommands.add_parser(
        "restore",
        help="put a backup into an empty data folder",
        description=(
            "Check a backup made by manyi backup (every file's checksum, every database) and "
            "put it into --data, which must be empty or not exist. Key files are not in a "
            "backup: the command says which ones to put back by hand."
        ),
    )
    restore.add_argument("--from", dest="archive", required=True, metavar="FILE", help="the backup")
    restore.add_argument("--data", required=True, metavar="DIR", help="an empty folder")
    restore.set_defaults(run=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from manyi.store.backup import back_up

    summary = back_up(Path(args.data), Path(args.out), [Path(k) for k in args.key_file])
    print(f"backed up {summary.data} to {summary.archive}")
    _describe(summary.databases, summary.files, summary.size)
    for name, fingerprint in summary.key_files.items():
        if fingerprint is not None:
            print(f"  not in the backup (a key): {name} ({fingerprint}); keep a copy apart")
        elif Path(name).is_absolute():
            print(f"  no key file at {name}: nothing recorded for it")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from manyi.store.backup import restore

    summary = restore(Path(args.archive), Path(args.data))
    print(f"restored {summary.archive} into {summary.data}")
    _describe(summary.databases, summary.files, summary.size)
    for name, fingerprint in summary.key_files.items():
        if fingerprint is None:
            continue
        place = Path(name) if Path(name).is_absolute() else summary.data / name
        remake = " or make a new one (manyi token --new)" if name == "office-token" else ""
        print(
            f"  a key is never in a backup: put the key file with fingerprint {fingerprint} "
            f"back at {place}{remake}"
        )
    return 0


def _describe(databases: dict[str, int], files: int, size: int) -> None:
    for name, version in databases.items():
        print(f"  {name} (schema version {version})")
    print(f"  {files} file(s), {size:,} bytes")
