"""AWS service clients, one per service per execution environment, made on first use.

Made from botocore, the SDK's core, rather than `boto3.client`: `import boto3` also loads its
resource layer and s3transfer, tens of milliseconds of every cold start that no function here
uses. A function that needs boto3 anyway (Powertools idempotency and parameters do) loses
nothing; the others (stats, CDN, webhook deliverer) never load it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session


@cache
def _session() -> botocore.session.Session:
    # One session: its credentials, endpoints and service models are loaded once for all clients.
    return botocore.session.get_session()


@cache
def client(service: str) -> Any:
    """The client of `service` ("s3", "sqs", ...), shared by every caller in this process."""
    return _session().create_client(service)
