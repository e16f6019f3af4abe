"""`manyi restore-table --stack NAME --table submissions`: put lost items back from a restore."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from manyi.cli.common import CommandError, aws_refusals

# The stack output that names each table.
TABLE_OUTPUTS = {"submissions": "SubmissionsTableName", "results": "ResultsTableName"}


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "restore-table",
        help="copy a table's items back from a point-in-time restore or a backup",
        description=(
            "A DynamoDB restore always makes a new table, which the stack does not use. This "
            "command makes one (from point-in-time recovery at --time, or from a backup ARN) or "
            "takes one already made (--from-table, e.g. by AWS Backup), then copies its items "
            "into the stack's table: only those the table lacks, unless --overwrite. Responses "
            "received since stay; running it twice changes nothing. The restored table is left "
            "for inspection: delete it when done."
        ),
    )
    parser.add_argument("--stack", required=True, help="the stack, e.g. manyi-prod")
    parser.add_argument("--table", required=True, choices=sorted(TABLE_OUTPUTS))
    parser.add_argument("--region", help="AWS region (default: configured)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--time", help="restore the table as it was then (ISO 8601, e.g. 2026-11-27T08:00+08:00)"
    )
    source.add_argument("--latest", action="store_true", help="the latest restorable time")
    source.add_argument("--from-backup", metavar="ARN", help="a DynamoDB backup's ARN")
    source.add_argument("--from-table", metavar="NAME", help="a table already restored")
    parser.add_argument("--overwrite", action="store_true", help="also replace items the table has")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    session = boto3.session.Session(region_name=args.region)
    with aws_refusals():
        return restore(
            args, session.client("cloudformation"), session.client("dynamodb"), datetime.now(UTC)
        )


def restore(args: argparse.Namespace, cloudformation: Any, dynamodb: Any, now: datetime) -> int:
    from manyi.deploy.backup import copy_back, restore_to_point_in_time
    from manyi.deploy.stack import stack_outputs

    table = stack_outputs(cloudformation, args.stack).get(TABLE_OUTPUTS[args.table])
    if not table:
        raise CommandError(f"stack {args.stack} names no {args.table} table")
    source = args.from_table or f"{table}-restored-{now:%Y%m%d%H%M%S}"
    if args.from_backup:
        dynamodb.restore_table_from_backup(TargetTableName=source, BackupArn=args.from_backup)
        dynamodb.get_waiter("table_exists").wait(TableName=source)
    elif not args.from_table:
        restore_to_point_in_time(dynamodb, table, source, None if args.latest else _when(args))
    print(f"manyi restore-table: restored into {source}", file=sys.stderr)
    result = copy_back(dynamodb, source, table, overwrite=args.overwrite)
    print(
        f"{table}: {result.copied} item(s) copied back from {source}, "
        f"{result.kept} already there and kept"
    )
    if args.table == "submissions":
        print(
            "manyi restore-table: next, recount the months concerned: "
            "manyi aggregate --aws --verify --month YYYY-MM (then without --verify if it differs)",
            file=sys.stderr,
        )
    print(
        f"manyi restore-table: {source} is left for inspection; delete it when done: "
        f"aws dynamodb delete-table --table-name {source}",
        file=sys.stderr,
    )
    return 0


def _when(args: argparse.Namespace) -> datetime:
    try:
        when = datetime.fromisoformat(args.time)
    except ValueError:
        raise CommandError(f"--time {args.time!r}: write ISO 8601 with a zone") from None
    if when.tzinfo is None:
        raise CommandError(f"--time {args.time!r}: give the zone, e.g. +08:00 for Beijing")
    return when
