"""What an unattended stack checks by itself each day: the days left on CloudFront's certificate.

CloudFront in the China regions serves a certificate from the IAM certificate store, which
never renews anything and warns nobody. The daily run reports the days left as the CloudWatch
metric `manyi/CertificateDaysLeft` (an embedded-metric log line, so no CloudWatch permission is
needed); the template's alarm fires below 30 days, and also when no report came for a day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from manyi.errors import ManyiError

METRIC = "CertificateDaysLeft"


class CertificateNotFound(ManyiError, LookupError):
    """No IAM server certificate has the ID the stack was deployed with."""


def days_left(iam: Any, certificate_id: str, now: datetime) -> int:
    """Whole days from `now` to the end of the IAM server certificate `certificate_id`."""
    for page in iam.get_paginator("list_server_certificates").paginate():
        for metadata in page.get("ServerCertificateMetadataList", []):
            if metadata.get("ServerCertificateId") == certificate_id:
                expiration: datetime = metadata["Expiration"]
                return (expiration - now).days
    raise CertificateNotFound(
        f"no IAM server certificate with ID {certificate_id}: CloudFront cannot serve with it; "
        "upload the certificate again (path /cloudfront/) and deploy with its new ID"
    )
