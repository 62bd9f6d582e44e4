"""What the consumer tests need beyond conftest's `aws`: a versioned QR bucket, a verified SES
sender, a CloudFront distribution, and each consumer's handler. A test module uses them with
`pytest_plugins = ["tests.unit.consumers_fixtures"]`; its inputs come from
`tests.unit.consumer_events`. Plugin fixtures are global to the session, so the handlers' names
say which consumer they are. `decode_qr` reads a QR image as a phone would.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import boto3
import pytest

from tests.unit.consumer_events import Handler, load_handler


@pytest.fixture
def qr_bucket(aws: Any) -> str:
    """The QR bucket, versioned so that a test can count every write of a key."""
    name = os.environ["QR_BUCKET_NAME"]
    boto3.client("s3").put_bucket_versioning(
        Bucket=name, VersioningConfiguration={"Status": "Enabled"}
    )
    return name


@pytest.fixture
def email_sender(aws: Any) -> str:
    """EMAIL_SENDER as a verified SES identity (SES refuses to send from any other)."""
    sender = os.environ["EMAIL_SENDER"]
    boto3.client("sesv2").create_email_identity(EmailIdentity=sender)
    return sender


@pytest.fixture
def distribution_id(aws: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A CloudFront distribution in front of the API, named by DISTRIBUTION_ID."""
    origin = {
        "Id": "api",
        "DomainName": "api.example.com",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    distribution = boto3.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "unit",
            "Comment": "unit",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "api",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )
    identifier = str(distribution["Distribution"]["Id"])
    monkeypatch.setenv("DISTRIBUTION_ID", identifier)
    return identifier


@pytest.fixture
def qr_consumer(qr_bucket: str) -> Handler:
    return load_handler("qr")


@pytest.fixture
def stats_consumer(aws: Any) -> Handler:
    return load_handler("stats")


@pytest.fixture
def email_consumer(aws: Any) -> Handler:
    return load_handler("email")


@pytest.fixture
def cdn_consumer(distribution_id: str) -> Handler:
    return load_handler("cdn")


def decode_qr(png: bytes) -> str:
    """What a phone reads from a QR image (zbarimg)."""
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", "-"], input=png, capture_output=True, check=True, timeout=30
    )
    return decoded.stdout.decode().strip()
