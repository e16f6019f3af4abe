"""`manyi deploy --stack NAME --artifact-bucket BUCKET`: package, upload and deploy the stack."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, load_or_report

# Options that set a template parameter, by parameter name.
PARAMETER_OPTIONS = {
    "Stage": "stage",
    "BaseUrl": "base_url",
    "DomainName": "domain",
    "AcmCertificateArn": "acm_certificate",
    "IamCertificateId": "iam_certificate",
    "Cdn": "cdn",
    "ApiDomainName": "api_domain",
    "ApiCertificateArn": "api_certificate",
    "AlarmEmail": "alarm_email",
    "VersionGraceDays": "grace_days",
}


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "deploy",
        help="package the functions and deploy infra/template.yaml with CloudFormation",
        description=(
            "Build the Lambda artifact, upload it to the deployment bucket (created, private, "
            "if missing), then create and execute a CloudFormation change set for "
            "infra/template.yaml (the AWS::Serverless transform runs in CloudFormation). A "
            "parameter not given keeps its value on an update. Run it before `manyi publish` "
            "whenever questionnaire.yaml changed."
        ),
    )
    parser.add_argument("--stack", required=True, help="stack name, e.g. manyi-prod")
    parser.add_argument(
        "--artifact-bucket",
        required=True,
        help="deployment bucket in the stack's region for the code and template",
    )
    parser.add_argument("--region", help="AWS region, e.g. cn-north-1 (default: configured)")
    parser.add_argument("--stage", choices=("prod", "staging", "dev"))
    parser.add_argument("--base-url", help="the site's public origin, https://host")
    parser.add_argument("--domain", help="the site's host name served by CloudFront")
    parser.add_argument("--acm-certificate", help="ACM certificate ARN (us-east-1) for --domain")
    parser.add_argument("--iam-certificate", help="IAM server certificate ID (China regions)")
    parser.add_argument("--cdn", choices=("cloudfront", "none"))
    parser.add_argument("--api-domain", help="the API's own host name (with --cdn none)")
    parser.add_argument("--api-certificate", help="ACM certificate ARN for --api-domain")
    parser.add_argument("--alarm-email", help="address the alarms are sent to")
    parser.add_argument("--grace-days", help="days a superseded questionnaire is accepted")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other template parameter (repeatable)",
    )
    parser.add_argument("--dist", default="dist", help="the built site (default: dist)")
    parser.add_argument("--cache", default="build", help="where the artifact is built")
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Clients:
    s3: Any
    cloudformation: Any
    region: str
    partition: str  # aws, or aws-cn in the China regions

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


def run(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from manyi.deploy.artifact import ArtifactError
    from manyi.deploy.catalogue import CatalogueError
    from manyi.deploy.stack import DeployError

    session = boto3.session.Session(region_name=args.region)
    region = session.region_name
    if not region:
        print("manyi deploy: no region: give --region (e.g. cn-north-1)", file=sys.stderr)
        return EXIT_PROBLEMS
    clients = Clients(
        s3=session.client("s3"),
        cloudformation=session.client("cloudformation"),
        region=region,
        partition=session.get_partition_for_region(region),
    )
    try:
        return deploy(
            args, clients, log=lambda line: print(f"manyi deploy: {line}", file=sys.stderr)
        )
    except (ArtifactError, CatalogueError, DeployError) as error:
        print(f"manyi deploy: {error}", file=sys.stderr)
    except (BotoCoreError, ClientError) as error:
        print(f"manyi deploy: AWS refused: {error}", file=sys.stderr)
    return EXIT_PROBLEMS


def deploy(args: argparse.Namespace, clients: Clients, log: Callable[[str], None]) -> int:
    from manyi.calendar import OfficeCalendar
    from manyi.deploy.artifact import build_artifact, dependencies_folder
    from manyi.deploy.catalogue import restore_versions
    from manyi.deploy.partition import for_partition
    from manyi.deploy.stack import (
        DeployError,
        deploy_stack,
        deployable_template,
        ensure_bucket,
        stack_outputs,
        stack_status,
        template_argument,
        template_body,
        upload_artifact,
    )
    from manyi.deploy.template import load_template

    questionnaire = load_or_report(args.questionnaire)
    if questionnaire is None:
        return EXIT_PROBLEMS
    parameters = given_parameters(args)
    dist = Path(args.dist)
    if stack_status(clients.cloudformation, args.stack) is not None:
        site_bucket = stack_outputs(clients.cloudformation, args.stack).get("SiteBucketName")
        if site_bucket:
            restored = restore_versions(clients.s3, site_bucket, dist)
            if restored:
                log(f"restored from s3://{site_bucket}: {', '.join(restored)}")
    artifact = build_artifact(
        Path(args.cache) / "lambda.zip",
        dist=dist,
        current_version=questionnaire.version,
        today=OfficeCalendar.of(questionnaire.reporting).today(datetime.now(UTC)),
        dependencies=dependencies_folder(Path(args.cache)),
    )
    log(artifact.summary())
    if ensure_bucket(clients.s3, args.artifact_bucket, clients.region):
        log(f"created the deployment bucket s3://{args.artifact_bucket}")
    code = upload_artifact(clients.s3, artifact.path, args.artifact_bucket, args.stack)
    log(f"code at {code.uri}")
    # What the partition decides is decided here: CloudFormation in China refuses even a
    # conditional resource of a type it lacks (origin access control).
    template = for_partition(load_template(), clients.partition)
    body = template_body(deployable_template(template, code))
    source = template_argument(
        clients.s3, body, args.artifact_bucket, args.stack, clients.region, clients.url_suffix
    )
    result = deploy_stack(
        clients.cloudformation,
        stack=args.stack,
        template=template,
        parameters=parameters,
        template_source=source,
        tags={"project": "manyi", "stage": parameters.get("Stage", "prod")},
        log=log,
    )
    if not result.outputs:
        raise DeployError(f"stack {args.stack} has no outputs")
    for key, value in sorted(result.outputs.items()):
        print(f"{key}\t{value}")
    publish = f"manyi publish --bucket {result.outputs['SiteBucketName']}"
    if "DistributionId" in result.outputs:
        publish += f" --distribution {result.outputs['DistributionId']}"
    log(f"next: {publish}")
    return 0


def given_parameters(args: argparse.Namespace) -> dict[str, str]:
    from manyi.deploy.stack import DeployError

    given = {
        name: str(getattr(args, option))
        for name, option in PARAMETER_OPTIONS.items()
        if getattr(args, option, None) is not None
    }
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise DeployError(f"--parameter {item!r}: write NAME=VALUE")
        given[name] = value
    return given
