"""The daily certificate check: days left on the IAM server certificate CloudFront serves.

IAM's answers come through botocore's Stubber (checked against the API model): moto keeps no
real expiry dates for server certificates. The entry point itself runs against moto in
tests/integration/test_package.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from manyi.watch import CertificateNotFound, days_left

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def metadata(name: str, certificate_id: str, expiration: datetime) -> dict[str, Any]:
    return {
        "Path": "/cloudfront/",
        "ServerCertificateName": name,
        "ServerCertificateId": certificate_id,
        "Arn": f"arn:aws-cn:iam::123456789012:server-certificate/cloudfront/{name}",
        "Expiration": expiration,
    }


def iam_with_two_pages() -> tuple[Any, Stubber]:
    iam = boto3.client(
        "iam", region_name="cn-north-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(iam)
    first = [metadata("other", "ASCAOTHER0000000000001", NOW + timedelta(days=400))]
    stubber.add_response(
        "list_server_certificates",
        {"ServerCertificateMetadataList": first, "IsTruncated": True, "Marker": "next"},
        {},
    )
    second = [metadata("manyi-2026", "ASCAMANYI0000000000001", NOW + timedelta(days=20, hours=1))]
    stubber.add_response(
        "list_server_certificates",
        {"ServerCertificateMetadataList": second, "IsTruncated": False},
        {"Marker": "next"},
    )
    return iam, stubber


def test_days_left_counts_to_the_end_of_the_certificate_cloudfront_uses() -> None:
    iam, stubber = iam_with_two_pages()
    with stubber:
        assert days_left(iam, "ASCAMANYI0000000000001", NOW) == 20
    stubber.assert_no_pending_responses()


def test_a_certificate_that_is_gone_is_an_error_to_fix() -> None:
    iam, stubber = iam_with_two_pages()
    with stubber, pytest.raises(CertificateNotFound, match="upload the certificate again"):
        days_left(iam, "ASCANOSUCHCERTIFICATE", NOW)
