"""`manyi complaints purge`: remove the personal fields of complaints past their retention.

On one machine (the data folder); in AWS the scheduled ComplaintsPurgeFunction runs the same
`manyi.complaints.retention.purge` daily, and `manyi serve` runs it at each timer tick. No key
is needed: the purge drops the sealed fields without opening them.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from manyi.cli.common import CommandError, add_questionnaire_option, cli_actor, load_or_report


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "complaints", help="投诉举报: remove complainants' details after the retention period"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = actions.add_parser(
        "purge",
        help=(
            "remove names, phones, accounts of events and replies of complaints concluded or "
            "refused more than complaints.retention_years ago; counts stay; audited; idempotent"
        ),
    )
    purge.add_argument("--data", default="data", metavar="DIR", help="the data folder")
    add_questionnaire_option(purge)
    purge.set_defaults(run=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    from manyi.complaints.retention import purge
    from manyi.store.complaints.base import FILE_NAME
    from manyi.store.complaints.sqlite import SQLiteComplaintStore
    from manyi.store.staff.sqlite import local_staff_stores

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        raise CommandError("questionnaire.yaml has problems (above)")
    data = Path(args.data)
    if not data.is_dir():
        raise CommandError(f"no data folder at {data}")
    if not (data / FILE_NAME).exists():
        print(f"no complaints in {data}: nothing to purge")
        return 0
    staff = local_staff_stores(data)
    store = SQLiteComplaintStore.in_folder(data)
    try:
        result = purge(store, staff.audit, questionnaire, datetime.now(UTC), cli_actor())
    finally:
        store.close()
        staff.close()
    print(json.dumps(result.to_dict()))
    return 0
