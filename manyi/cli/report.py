"""`manyi report --month YYYY-MM --out DIR`: the printable HTML report and its data files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report
from manyi.cli.results_options import (
    add_backend_options,
    add_selection_options,
    close_store,
    month_type,
    open_results,
    selection_of,
)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "report",
        help="write a month's HTML report (and its JSON, CSV, XLSX) into a folder",
    )
    parser.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    add_selection_options(parser)
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.reports.files import month_files
    from manyi.reports.view import TREND_MONTHS, month_view
    from manyi.results.outputs import OutputFolder

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    store = open_results(args)
    try:
        view = month_view(
            questionnaire, store, args.month, TREND_MONTHS, selection_of(args, questionnaire)
        )
        folder = OutputFolder(Path(args.out))
        for name, (data, content_type) in month_files(questionnaire, view).items():
            folder.write(name, data, content_type)
            print(Path(args.out) / name)
    finally:
        close_store(store)
    return 0
