"""`manyi aggregate [--month YYYY-MM] [--close] [--verify]`: count new responses, close, check."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report
from manyi.cli.results_options import add_backend_options, month_type, open_backend

EXIT_DISAGREE = 1
# The safety lag (see manyi.results.run): on one machine a response is committed within
# milliseconds of its stamp (the store waits 5 s at most for a lock); in AWS within seconds.
LOCAL_LAG_SECONDS = 5.0
AWS_LAG_SECONDS = 120.0


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "aggregate",
        help="count the responses received since the last run and publish the month's results",
        description=(
            "Count what is new since the last run (this Beijing month and the one before, or "
            "--month), write the results under <data>/reports/ (or the reports bucket). "
            "--close freezes the month's report: later responses are counted apart as late. "
            "--verify counts everything again from scratch and compares, changing nothing."
        ),
    )
    parser.add_argument(
        "--month", type=month_type, action="append", metavar="YYYY-MM", help="repeatable"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--close", action="store_true", help="close the month (default: this one)")
    action.add_argument("--verify", action="store_true", help="recount from scratch and compare")
    parser.add_argument(
        "--lag",
        type=float,
        metavar="SECONDS",
        help=(
            f"count only responses older than this (default {LOCAL_LAG_SECONDS:g} locally, "
            f"waiting it out first so that everything received before the command is counted; "
            f"{AWS_LAG_SECONDS:g} with --aws)"
        ),
    )
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.cli.progress import ProgressBar
    from manyi.results.outputs import publish_month
    from manyi.results.run import Aggregator

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    backend = open_backend(args)
    default_lag = AWS_LAG_SECONDS if args.aws else LOCAL_LAG_SECONDS
    lag = max(args.lag if args.lag is not None else default_lag, 0.0)
    if lag and not args.aws and not args.verify:
        print(f"waiting {lag:g} s for responses still being written…", file=sys.stderr)
        time.sleep(lag)
    now = datetime.now(UTC)
    aggregator = Aggregator(
        questionnaire,
        backend.submissions,
        backend.results,
        lag=timedelta(seconds=lag),
        progress=ProgressBar(),
    )
    try:
        if args.verify:
            return _verify(aggregator, args.month or [aggregator.calendar.month(now)])
        months = args.month
        close = (months or [aggregator.calendar.month(now)]) if args.close else []
        report = aggregator.run(now, months or None, close=close)
        print(
            f"{backend.where}: read {report.read} new response(s) in "
            f"{', '.join(report.months)}; {report.written} department-month(s) updated"
        )
        for month in report.closed:
            print(f"closed {month}: its report is frozen; later responses count as late")
        if backend.outputs is None:
            print("no reports bucket configured: nothing published")
            return 0
        for month in report.months:
            for key in publish_month(questionnaire, backend.results, month, backend.outputs):
                print(f"wrote {key}")
        return 0
    finally:
        backend.close()


def _verify(aggregator: Any, months: list[str]) -> int:
    problems = 0
    for month in months:
        for d in aggregator.verify(month):
            problems += 1
            print(
                f"{d.department} {d.month}: stored {d.stored.counts.responses} + "
                f"{d.stored.late.responses} late, recounted {d.recomputed.counts.responses} + "
                f"{d.recomputed.late.responses} late",
                file=sys.stderr,
            )
    if problems:
        print(f"verify: {problems} department-month(s) disagree", file=sys.stderr)
        return EXIT_DISAGREE
    count = len(aggregator.department_ids) * len(months)
    print(f"verify: {count} department-month(s) in {', '.join(months)} agree exactly")
    return 0
