"""AWS clients for the CLI: the usual credential and region chain, plus AWS_ENDPOINT_URL.

boto3 and botocore already honour AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>), so the
same command works against real AWS and against the local cloud. Only the region gets a
default, because a fresh shell pointed at a local endpoint often has none.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from ops.errors import LOOPBACK_HOSTS, UsageError
from shortener.models import ApiKeyModel, EffectStatusModel, WebhookDeliveryModel, bind_table_names

DEFAULT_REGION = "us-east-1"
# Standard retries ride out throttling on real AWS and give up on a dead endpoint in seconds.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)


# What moto (the local cloud) accepts; it checks no signature.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"


def check_endpoint_variables() -> None:
    """AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) must be URLs with a scheme: botocore
    would otherwise fail on the first client with a bare `ValueError: Invalid endpoint`."""
    for name, value in sorted(os.environ.items()):
        if name != _ENDPOINT_VARIABLE and not name.startswith(_ENDPOINT_VARIABLE + "_"):
            continue
        if not value:
            continue
        parsed = urlparse(value)
        if parsed.scheme in ("http", "https") and parsed.hostname:
            continue
        example = value.split("://", 1)[-1] or "127.0.0.1:4566"
        raise UsageError(
            f"{name}={value!r} is not a URL: give it a scheme and a host, "
            f"e.g. {name}=http://{example}"
        )


def default_local_credentials() -> None:
    """`AWS_ENDPOINT_URL=http://127.0.0.1:4566 python -m ops ...` works in a fresh shell: a
    loopback endpoint is the local cloud, which needs credentials only to sign requests.
    Real credentials, when there are any, still win."""
    host = urlparse(os.environ.get("AWS_ENDPOINT_URL", "")).hostname
    if host in LOOPBACK_HOSTS and boto3.session.Session().get_credentials() is None:
        for name, value in _LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)


class Clients:
    """One boto3 session and one client per service for the whole command."""

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self.session = session or boto3.session.Session()
        self.region = self.session.region_name or DEFAULT_REGION
        self._client = cache(self._make_client)

    def _make_client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region, config=_CLIENT_CONFIG)

    def client(self, service: str) -> Any:
        return self._client(service)

    def bind_tables(self, *, links: str, keys: str, webhooks: str) -> None:
        """Point the shared pynamodb models at the stack's tables, in this CLI's region."""
        for model in (ApiKeyModel, EffectStatusModel, WebhookDeliveryModel):
            setattr(model.Meta, "region", self.region)  # noqa: B010 - Meta classes differ per model
        bind_table_names(links=links, keys=keys, webhooks=webhooks)
