"""`manyi aggregate [--month YYYY-MM] [--close | --reopen | --verify]`: count, close, check."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from manyi.cli.common import CommandError, add_questionnaire_option, questionnaire_of
from manyi.cli.results_options import add_backend_options, month_type, open_backend

if TYPE_CHECKING:
    from manyi.results.service import Summary

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
            "Count what is new since the last run (the office's month and the one before, or "
            "--month), write the results under <data>/reports/ (or the reports bucket). "
            "--close freezes the month's report from its close day on (reporting.close_day): "
            "later responses are counted apart as late. --reopen un-freezes a closed month. "
            "Both are recorded with who (--by), when and why (--reason) and shown in the "
            "report. --verify counts everything again from scratch and compares, changing "
            "nothing."
        ),
    )
    parser.add_argument(
        "--month", type=month_type, action="append", metavar="YYYY-MM", help="repeatable"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--close",
        action="store_true",
        help="close the months whose close day has come (default: last month if still open, "
        "and this one from its close day on)",
    )
    action.add_argument(
        "--reopen", action="store_true", help="un-freeze a closed --month (needs --reason)"
    )
    action.add_argument("--verify", action="store_true", help="recount from scratch and compare")
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --close: close before the close day, or a month not yet begun (needs --reason)",
    )
    parser.add_argument("--reason", default="", metavar="TEXT", help="why: shown in the report")
    parser.add_argument(
        "--by", metavar="NAME", help="who closes or reopens (default: your login name)"
    )
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
    from manyi.reports.tables import unlisted_warning
    from manyi.results.service import Action, RefusedRequest, Request, run_aggregator

    if args.force and not args.close:
        raise CommandError("--force goes with --close")
    questionnaire = questionnaire_of(args)
    action: Action = "aggregate"
    if args.close:
        action = "close"
    elif args.reopen:
        action = "reopen"
    elif args.verify:
        action = "verify"
    request = Request(
        action,
        tuple(sorted(set(args.month))) if args.month else None,
        by=args.by or _login_name(),
        reason=args.reason.strip(),
        force=args.force,
    )
    backend = open_backend(args)
    default_lag = AWS_LAG_SECONDS if args.aws else LOCAL_LAG_SECONDS
    lag = max(args.lag if args.lag is not None else default_lag, 0.0)
    try:
        if lag and not args.aws and not args.verify:
            print(f"waiting {lag:g} s for responses still being written…", file=sys.stderr)
            time.sleep(lag)
        summary = run_aggregator(
            questionnaire,
            backend,
            request,
            datetime.now(UTC),
            lag=timedelta(seconds=lag),
            progress=ProgressBar(),
        )
    except RefusedRequest as error:
        raise CommandError(str(error)) from None
    finally:
        backend.close()
    if summary.unlisted:
        print(unlisted_warning(summary.unlisted), file=sys.stderr)
    if summary.keys_destroyed:
        days = summary.keys_destroyed
        print(f"destroyed the network keys of {len(days)} day(s) of closed months", file=sys.stderr)
    if action == "verify":
        return _report_verify(summary)
    for month in summary.months if action == "reopen" else ():
        if month in summary.reopened:
            print(f"reopened {month}: its report is open again, late responses counted in it")
        else:
            print(f"{month} was not closed: nothing to reopen")
    for month in summary.already_closed:
        print(f"{month} was closed already")
    print(
        f"{backend.where}: read {summary.read} new response(s) in "
        f"{', '.join(summary.months)}; {summary.written} department-month(s) updated"
    )
    for month in summary.closed:
        print(f"closed {month}: its report is frozen; later responses count as late")
    if action == "close" and not summary.closed and not summary.already_closed:
        print("nothing to close: no month has reached its close day (see --month, --force)")
    if backend.outputs is None:
        print("no reports bucket configured: nothing published")
    for key in summary.published:
        print(f"wrote {key}")
    return 0


def _report_verify(summary: Summary) -> int:
    for d in summary.disagreements:
        print(
            f"{d.department} {d.month}: stored {d.stored.counts.responses} + "
            f"{d.stored.late.responses} late, recounted {d.recomputed.counts.responses} + "
            f"{d.recomputed.late.responses} late",
            file=sys.stderr,
        )
    if summary.disagreements:
        print(f"verify: {len(summary.disagreements)} department-month(s) disagree", file=sys.stderr)
        return EXIT_DISAGREE
    months = ", ".join(summary.months)
    print(f"verify: {summary.checked} department-month(s) in {months} agree exactly")
    return 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return "unknown"
