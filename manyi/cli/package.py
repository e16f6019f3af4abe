"""`manyi package`: build the Lambda artifact (build/lambda.zip) that `manyi deploy` uploads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manyi.cli.common import add_questionnaire_option, questionnaire_of

if TYPE_CHECKING:
    from manyi.deploy.artifact import Artifact, LambdaTarget
    from manyi.model import Questionnaire


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "package",
        help="build the Lambda artifact: our code, the questionnaire versions, pinned wheels",
        description=(
            "Zip both functions' code reproducibly: manyi, site_builder, templates, the "
            "handlers in lambda/, every questionnaire version in DIST/api/questionnaire/ and "
            "the wheels of infra/lambda-requirements.txt for the functions' Python and "
            "architecture: python3.13 on arm64 unless --region names a region whose default "
            "differs (Ningxia: python3.12 on x86_64) or --runtime/--architecture say otherwise."
        ),
    )
    parser.add_argument("--dist", default="dist", help="the built site (default: dist)")
    parser.add_argument(
        "--out", default="build/lambda.zip", help="the zip to write (default: build/lambda.zip)"
    )
    parser.add_argument(
        "--cache",
        default="build",
        help="where installed wheels are kept between builds (default: build)",
    )
    parser.add_argument("--region", help="use the template's defaults for this region")
    parser.add_argument("--runtime", choices=("python3.13", "python3.12"))
    parser.add_argument("--architecture", choices=("arm64", "x86_64"))
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from manyi.deploy.parameters import function_target
    from manyi.deploy.template import load_template

    questionnaire = questionnaire_of(args)
    given = {"FunctionRuntime": args.runtime, "FunctionArchitecture": args.architecture}
    target = function_target(
        load_template(), args.region or "default", {k: v for k, v in given.items() if v}, None
    )
    artifact = lambda_artifact(
        questionnaire, Path(args.out), Path(args.dist), Path(args.cache), target
    )
    print(artifact.summary())
    return 0


def lambda_artifact(
    questionnaire: Questionnaire, out: Path, dist: Path, cache: Path, target: LambdaTarget
) -> Artifact:
    """The zip `manyi deploy` uploads, written to `out`: the site's versions in `dist` as of the
    office's today, the target's wheels kept in `cache` between builds."""
    from datetime import UTC, datetime

    from manyi.calendar import OfficeCalendar
    from manyi.deploy.artifact import build_artifact, dependencies_folder

    return build_artifact(
        out,
        dist=dist,
        current_version=questionnaire.version,
        today=OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC)),
        dependencies=dependencies_folder(cache, target=target),
        target=target,
    )
