"""`manyi build`: the static site (pages, QR codes, leaflets) from questionnaire.yaml into dist/."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, questionnaire_of

DEFAULT_BASE_URL = "http://localhost:8000"
# Without a terminal, a progress line is worth printing only for a long build.
MANY_DEPARTMENTS = 200


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "build",
        help="build the site: a page per department and channel, QR codes, leaflets",
        description=(
            "Render every page into a temporary folder and swap it in; only changed files are "
            "rewritten, and a rebuild with nothing changed writes nothing."
        ),
    )
    parser.add_argument("--out", default="dist", help="output folder (default: dist)")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("MANYI_BASE_URL", DEFAULT_BASE_URL),
        help="public address of the site, printed in QR codes "
        f"(default: $MANYI_BASE_URL or {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--api-url",
        default="/api",
        help="the collector's API root, a path on the same origin or a URL (default: /api)",
    )
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    questionnaire = questionnaire_of(args)
    from site_builder.build import build_site
    from site_builder.paths import SiteError
    from site_builder.writer import UnsafeOutput

    progress = ProgressBar(sys.stderr, len(questionnaire.departments))
    try:
        report = build_site(
            questionnaire,
            Path(args.out),
            base_url=args.base_url,
            api_url=args.api_url,
            progress=progress.update if progress.enabled else None,
        )
    except (SiteError, UnsafeOutput, OSError) as error:
        progress.finish()
        print(f"manyi build: {error}; nothing was written", file=sys.stderr)
        return EXIT_PROBLEMS
    progress.finish()
    if args.base_url == DEFAULT_BASE_URL:
        print(
            f"manyi build: QR codes point at {DEFAULT_BASE_URL}; pass --base-url with the public "
            "address before printing leaflets",
            file=sys.stderr,
        )
    written = report.written
    print(
        f"{args.out}: version {report.version}, {report.departments} departments, "
        f"{report.pages} pages, {report.files} files: {written.written} written, "
        f"{written.unchanged} unchanged, {written.removed} removed"
    )
    return 0


class ProgressBar:
    """A bar on a terminal; on a pipe, a line per tenth, and only for a long build."""

    WIDTH = 30

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()
        self.enabled = self.tty or total >= MANY_DEPARTMENTS
        self.shown = -1

    def update(self, done: int, total: int) -> None:
        if self.tty:
            filled = self.WIDTH * done // total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\rbuilding [{bar}] {done}/{total} departments")
            self.stream.flush()
            return
        tenth = 10 * done // total
        if tenth != self.shown:
            self.shown = tenth
            print(f"building: {done}/{total} departments", file=self.stream)

    def finish(self) -> None:
        if self.tty and self.enabled:
            self.stream.write("\n")
            self.stream.flush()
