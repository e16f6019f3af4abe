"""`manyi alerts --month YYYY-MM [--department ID] [--format text|json]`: the month's warnings.

What the office and the departments are warned of before the 28th (manyi.alerts): coverage at
the close at the current pace, silent departments, problem rates and satisfaction that moved
sharply against the previous 3 months. Exit status 0 either way: a warning is not an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, CommandError, add_questionnaire_option, load_or_report
from manyi.cli.results_options import (
    add_backend_options,
    close_store,
    department_option,
    month_type,
    open_results,
)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "alerts",
        help="list the month's warnings: pace to the close, silent departments, sharp changes",
    )
    parser.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    parser.add_argument("--department", metavar="ID", help="one department only (ID or name)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--at",
        metavar="ISO-TIME",
        help="compute as of this moment (e.g. 2026-11-20T09:00+08:00); default: now",
    )
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.alerts import month_alerts

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    now = _moment(args.at)
    department = department_option(questionnaire, args.department) if args.department else None
    store = open_results(args)
    try:
        alerts = month_alerts(questionnaire, store, args.month, now, department)
    finally:
        close_store(store)
    if args.format == "json":
        body = {"month": args.month, "at": now.isoformat(), "alerts": [a.to_dict() for a in alerts]}
        print(json.dumps(body, ensure_ascii=False, indent=2))
    elif not alerts:
        print(f"{args.month}：没有需要提醒的情况。")
    else:
        print(f"{args.month}：{len(alerts)} 条提醒")
        for alert in alerts:
            print(f"- {alert.text}")
    sys.stdout.flush()
    return 0


def _moment(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--at {text!r} is not an ISO time like 2026-11-20T09:00+08:00"
        ) from None
    if moment.tzinfo is None:
        raise CommandError(f"--at {text!r} needs a time zone, e.g. +08:00")
    return moment
