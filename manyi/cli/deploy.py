"""`manyi deploy --stack NAME --artifact-bucket BUCKET`: package, upload, deploy, check health."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manyi.cli.common import EXIT_PROBLEMS, add_questionnaire_option, aws_refusals, questionnaire_of

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
    "ResponseRetentionDays": "retention_days",
    "MonthlyBudget": "monthly_budget",
    "FunctionRuntime": "runtime",
    "FunctionArchitecture": "architecture",
}


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "deploy",
        help="package the functions, deploy infra/template.yaml, check the collector answers",
        description=(
            "Build the Lambda artifact for the stack's runtime and architecture, upload it to "
            "the deployment bucket (created, private, if missing), then create and execute a "
            "CloudFormation change set for infra/template.yaml (the AWS::Serverless transform "
            "runs in CloudFormation), and finally call /api/health through the site's address. "
            "A parameter not given keeps its value on an update. The schedules follow "
            "questionnaire.yaml's reporting settings. Run it before `manyi publish` whenever "
            "questionnaire.yaml changed."
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
        "--retention-days", help="days raw responses are kept (0: for good; results stay)"
    )
    parser.add_argument(
        "--monthly-budget", help="monthly spend (USD; CNY in China) above which alarms go out"
    )
    parser.add_argument(
        "--runtime", choices=("python3.13", "python3.12"), help="default: the region's"
    )
    parser.add_argument("--architecture", choices=("arm64", "x86_64"), help="default: the region's")
    parser.add_argument(
        "--rotate-origin-secret",
        action="store_true",
        help="replace the secret CloudFront sends to the API (the old one works until the next "
        "deployment)",
    )
    parser.add_argument(
        "--no-health-check", action="store_true", help="do not call /api/health afterwards"
    )
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
    # Any other service's client, in this region or (second argument) another one.
    other: Callable[[str, str | None], Any]

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


def run(args: argparse.Namespace) -> int:
    import boto3

    session = boto3.session.Session(region_name=args.region)
    region = session.region_name
    if not region:
        print("manyi deploy: no region: give --region (e.g. cn-north-1)", file=sys.stderr)
        return EXIT_PROBLEMS

    def other(service: str, where: str | None = None) -> Any:
        return session.client(service, region_name=where or region)

    clients = Clients(
        s3=session.client("s3"),
        cloudformation=session.client("cloudformation"),
        region=region,
        partition=session.get_partition_for_region(region),
        other=other,
    )
    with aws_refusals():
        return deploy(
            args, clients, log=lambda line: print(f"manyi deploy: {line}", file=sys.stderr)
        )


def deploy(
    args: argparse.Namespace,
    clients: Clients,
    log: Callable[[str], None],
    check: Callable[..., Any] | None = None,
) -> int:
    from manyi.cli.package import lambda_artifact
    from manyi.deploy.catalogue import restore_versions
    from manyi.deploy.health import check_health
    from manyi.deploy.parameters import function_target, reporting_parameters
    from manyi.deploy.partition import for_partition
    from manyi.deploy.stack import (
        DeployError,
        deploy_stack,
        deployable_template,
        ensure_bucket,
        stack_outputs,
        stack_parameters_now,
        stack_status,
        template_argument,
        template_body,
        upload_artifact,
    )
    from manyi.deploy.template import load_template

    questionnaire = questionnaire_of(args)
    given = given_parameters(args)
    dist = Path(args.dist)
    status = stack_status(clients.cloudformation, args.stack)
    previous = outputs = None
    if status is not None:
        previous = stack_parameters_now(clients.cloudformation, args.stack)
        outputs = stack_outputs(clients.cloudformation, args.stack)
        site_bucket = outputs.get("SiteBucketName")
        if site_bucket:
            restored = restore_versions(clients.s3, site_bucket, dist)
            if restored:
                log(f"restored from s3://{site_bucket}: {', '.join(restored)}")
    # What the partition and region decide is decided here: CloudFormation in China refuses
    # even a conditional resource of a type it lacks (origin access control).
    template = for_partition(load_template(), clients.partition, clients.region)
    target = function_target(template, clients.region, given, previous)
    cache = Path(args.cache)
    artifact = lambda_artifact(questionnaire, cache / "lambda.zip", dist, cache, target)
    log(artifact.summary())
    parameters = {
        **reporting_parameters(questionnaire.reporting),
        **decided_parameters(args, clients, given, previous, outputs, log),
        **given,
    }
    prepare_backups(clients, args.stack, log)
    if ensure_bucket(clients.s3, args.artifact_bucket, clients.region):
        log(f"created the deployment bucket s3://{args.artifact_bucket}")
    code = upload_artifact(clients.s3, artifact.path, args.artifact_bucket, args.stack)
    log(f"code at {code.uri}")
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
        existing=None if previous is None else set(previous),
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
    if args.no_health_check or "HealthUrl" not in result.outputs:
        return 0
    health = (check or check_health)(
        result.outputs["HealthUrl"],
        questionnaire.version,
        china=clients.partition == "aws-cn",
        outputs=result.outputs,
        stack=args.stack,
    )
    for line in health.lines:
        print(f"manyi deploy: {line}", file=sys.stderr)
    return 0 if health.ok else EXIT_PROBLEMS


def decided_parameters(
    args: argparse.Namespace,
    clients: Clients,
    given: dict[str, str],
    previous: dict[str, str] | None,
    outputs: dict[str, str] | None,
    log: Callable[[str], None],
) -> dict[str, str]:
    """The origin secret and the concurrency reservation (see manyi.deploy.parameters)."""
    from manyi.deploy.parameters import current_origin_secret, origin_secret, reservation

    current = None
    if args.rotate_origin_secret and outputs and outputs.get("DistributionId"):
        cloudfront = clients.other("cloudfront", None)
        current = current_origin_secret(cloudfront, outputs["DistributionId"])
    secret = origin_secret(previous, args.rotate_origin_secret, current)
    reserve = reservation(clients.other("lambda", None), previous, given)
    for note in (secret.note, reserve.note):
        log(note)
    return {**secret.parameters, **reserve.parameters}


def prepare_backups(clients: Clients, stack: str, log: Callable[[str], None]) -> None:
    """In a China region: the copy vault in the other one, and AWS Backup managing DynamoDB."""
    from manyi.deploy.backup import copy_region, ensure_copy_vault, manage_dynamodb_backups

    other = copy_region(clients.region)
    if other is None:
        return
    if ensure_copy_vault(clients.other("backup", other), stack):
        log(f"created the backup copy vault in {other}")
    if manage_dynamodb_backups(clients.other("backup", None)):
        log(f"AWS Backup now manages DynamoDB backups in {clients.region} (to copy them)")


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
