"""`manyi publish --bucket NAME [--distribution ID]`: upload dist/ and refresh the CDN."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from manyi.cli.common import aws_refusals


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "publish",
        help="upload the built site to its S3 bucket, delete stale files, invalidate the CDN",
        description=(
            "Upload dist/ with the right Content-Type and Cache-Control, delete objects no "
            "longer built only after the new ones are up, then invalidate CloudFront. The "
            "bucket and distribution are the stack's SiteBucketName and DistributionId outputs."
        ),
    )
    parser.add_argument("--bucket", required=True, help="the site bucket")
    parser.add_argument("--distribution", help="the CloudFront distribution ID to invalidate")
    parser.add_argument("--dist", default="dist", help="the built site (default: dist)")
    parser.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    parser.add_argument(
        "--force", action="store_true", help="upload every file, even those already there"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    from manyi.deploy.publish import publish_site

    session = boto3.session.Session(region_name=args.region)
    with aws_refusals():
        report = publish_site(
            Path(args.dist),
            args.bucket,
            s3=session.client("s3"),
            cloudfront=session.client("cloudfront") if args.distribution else None,
            distribution=args.distribution,
            force=args.force,
            log=lambda line: print(f"manyi publish: {line}", file=sys.stderr),
        )
    print(report.summary(args.bucket))
    return 0
