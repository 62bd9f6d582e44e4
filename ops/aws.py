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

from shortener.models import ApiKeyModel, EffectStatusModel, WebhookDeliveryModel, bind_table_names

DEFAULT_REGION = "us-east-1"
# Standard retries ride out throttling on real AWS and give up on a dead endpoint in seconds.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# What moto (the local cloud) accepts; it checks no signature.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def default_local_credentials() -> None:
    """`AWS_ENDPOINT_URL=http://127.0.0.1:4566 python -m ops ...` works in a fresh shell: a
    loopback endpoint is the local cloud, which needs credentials only to sign requests.
    Real credentials, when there are any, still win."""
    host = urlparse(os.environ.get("AWS_ENDPOINT_URL", "")).hostname
    if host in _LOOPBACK_HOSTS and boto3.session.Session().get_credentials() is None:
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
