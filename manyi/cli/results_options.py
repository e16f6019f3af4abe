"""Options the office's commands share: where the data is (a local folder, or AWS) and months."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from manyi.calendar import parse_month
from manyi.cli.common import CommandError
from manyi.model import Questionnaire
from manyi.results.backends import (
    DEFAULT_DATA,
    AwsNames,
    Backend,
    aws_backend,
    aws_pressure,
    aws_results,
    local_backend,
    local_pressure,
    local_results,
)
from manyi.selection import BadSelection, Selection, parse_selection
from manyi.store.pressure.base import PressureStore
from manyi.store.results.base import ResultsStore

if TYPE_CHECKING:
    from manyi.reports.view import MonthView


def month_type(text: str) -> str:
    try:
        return parse_month(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=str(DEFAULT_DATA),
        help=f"the local data folder shared with `manyi serve` (default: {DEFAULT_DATA}/)",
    )


def add_named_by_environment(
    options: argparse._ActionsContainer, option: str, variable: str, what: str = ""
) -> None:
    """An AWS table's or bucket's name, by default the environment variable that names it to
    the functions too (so a shell set up like the Lambda's needs no options)."""
    default = f"default: ${variable}"
    options.add_argument(
        option,
        metavar="NAME",
        default=os.environ.get(variable),
        help=f"{what} ({default})" if what else default,
    )


def add_region_option(options: argparse._ActionsContainer) -> None:
    """The AWS region, by default the environment's, as the AWS SDK reads it."""
    options.add_argument(
        "--region",
        metavar="REGION",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="default: $AWS_REGION",
    )


def add_folder_or_aws_options(
    parser: argparse.ArgumentParser, uses: str, names: Iterable[tuple[str, str]]
) -> None:
    """--data, or --aws (`uses` says what it uses there) with an option for each (option,
    environment variable) in `names` and --region."""
    add_data_option(parser)
    aws = parser.add_argument_group("AWS (instead of the local data folder)")
    aws.add_argument("--aws", action="store_true", help=uses)
    for option, variable in names:
        add_named_by_environment(aws, option, variable)
    add_region_option(aws)


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    add_folder_or_aws_options(
        parser,
        "use DynamoDB and S3",
        (
            ("--submissions-table", "SUBMISSIONS_TABLE"),
            ("--results-table", "RESULTS_TABLE"),
            ("--reports-bucket", "REPORTS_BUCKET"),
        ),
    )


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("which responses to count (default: all)")
    group.add_argument(
        "--respondent",
        metavar="TYPE",
        help="one respondent type only: an option ID of the respondent question (e.g. private)",
    )
    group.add_argument(
        "--entry",
        choices=("self", "staff"),
        help="one channel group only: self-completed or staff-entered (from channels' entry)",
    )


def selection_of(args: argparse.Namespace, questionnaire: Questionnaire) -> Selection:
    try:
        return parse_selection(questionnaire, args.respondent, args.entry)
    except BadSelection as error:
        raise CommandError(str(error)) from None


def department_option(questionnaire: Questionnaire, text: str) -> str:
    """The ID of the department `--department` names (ID, full or short name), or why not."""
    from manyi.department_names import DepartmentNotFound, find_department

    try:
        return find_department(questionnaire, text).department.id
    except DepartmentNotFound as error:
        raise CommandError(str(error)) from None


class BackendError(CommandError):
    """The options do not say where the data is; the message says what is missing."""


def _aws_names(args: argparse.Namespace, *, submissions: bool) -> AwsNames:
    needed = [("--results-table (or $RESULTS_TABLE)", args.results_table)]
    if submissions:
        needed.append(("--submissions-table (or $SUBMISSIONS_TABLE)", args.submissions_table))
    missing = [option for option, value in needed if not value]
    if missing:
        raise BackendError(f"--aws needs {' and '.join(missing)}")
    return AwsNames(
        submissions_table=args.submissions_table,
        results_table=args.results_table,
        reports_bucket=args.reports_bucket,
        region=args.region,
        # Tables of the integrity signals (docs/integrity.md), as the Lambda's environment names
        # them: without them the keys are not deleted here, nor the pressure counts shown.
        network_keys_table=os.environ.get("NETWORK_KEYS_TABLE") or None,
        pressure_table=os.environ.get("PRESSURE_TABLE") or None,
    )


def open_backend(args: argparse.Namespace) -> Backend:
    """The submissions, the results state and the outputs (for `manyi aggregate`)."""
    if not args.aws:
        return local_backend(Path(args.data))
    return aws_backend(_aws_names(args, submissions=True))


def open_results(args: argparse.Namespace) -> ResultsStore:
    """The results state alone (for the commands that only read results or set served counts)."""
    if not args.aws:
        return local_results(Path(args.data))
    return aws_results(_aws_names(args, submissions=False))


def open_pressure(args: argparse.Namespace) -> PressureStore | None:
    """The pressure question's counts: the data folder's, or `$PRESSURE_TABLE` with --aws."""
    if not args.aws:
        return local_pressure(Path(args.data))
    return aws_pressure(_aws_names(args, submissions=False))


def month_view_of(
    args: argparse.Namespace, questionnaire: Questionnaire, trend_months: int = 0
) -> MonthView:
    """--month's results for the responses the selection options count, read from where the
    data is; the stores are closed again before the view is put to use."""
    from manyi.reports.view import month_view

    store = open_results(args)
    pressure = open_pressure(args)
    try:
        selection = selection_of(args, questionnaire)
        return month_view(questionnaire, store, args.month, trend_months, selection, pressure)
    finally:
        close_store(store)
        close_store(pressure)


def close_store(store: object) -> None:
    closer = getattr(store, "close", None)
    if closer is not None:
        closer()
