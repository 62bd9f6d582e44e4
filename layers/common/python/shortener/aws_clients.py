"""AWS service clients, one per service per execution environment, made on first use.

Made from botocore, the SDK's core, rather than `boto3.client`: `import boto3` also loads its
resource layer and s3transfer, tens of milliseconds of every cold start that no function here
uses. A function that needs boto3 anyway (Powertools idempotency and parameters do) loses
nothing; the others (stats, CDN, webhook deliverer) never load it.

Every call is bounded so that it ends well inside its function's timeout, which itself ends
before API Gateway's 29-second integration timeout: a slow DynamoDB write then fails in our own
code, which answers a problem, instead of outliving the request and committing after the
gateway already answered 504. botocore's defaults would allow 60 s to connect and 60 s to read,
with retries on top (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html,
https://botocore.amazonaws.com/v1/documentation/api/latest/reference/config.html).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
# Attempts in all, the first included; the standard mode waits at most 1 s before the second.
# At most 1 + 3 + 1 + 1 + 3 = 9 s per call, under the api function's 10 s.
TOTAL_MAX_ATTEMPTS = 2


def bounded_config() -> Config:
    """The botocore settings of every client of the functions (see the module docstring)."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
    )


class BoundedCalls:
    """PynamoDB's `Meta` settings for the same bounds (its defaults: 15 s, 30 s, 3 retries)."""

    connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = READ_TIMEOUT_SECONDS
    max_retry_attempts = TOTAL_MAX_ATTEMPTS - 1


@cache
def _session() -> botocore.session.Session:
    # One session: its credentials, endpoints and service models are loaded once for all clients.
    return botocore.session.get_session()


@cache
def client(service: str) -> Any:
    """The client of `service` ("s3", "sqs", ...), shared by every caller in this process."""
    return _session().create_client(service, config=bounded_config())
