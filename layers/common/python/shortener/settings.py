"""The environment a function runs in: every name the stack sets, read in one place."""

from __future__ import annotations

import json
import os
from functools import lru_cache


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def links_table_name() -> str:
    return env("LINKS_TABLE_NAME")


def keys_table_name() -> str:
    return env("KEYS_TABLE_NAME")


def webhooks_table_name() -> str:
    return env("WEBHOOKS_TABLE_NAME")


def idempotency_table_name() -> str:
    return env("IDEMPOTENCY_TABLE_NAME")


def qr_bucket_name() -> str:
    return env("QR_BUCKET_NAME")


def email_sender() -> str:
    return env("EMAIL_SENDER")


def delivery_queue_url() -> str:
    return env("DELIVERY_QUEUE_URL")


def distribution_id() -> str:
    return env("DISTRIBUTION_ID")


def allow_loopback_webhooks() -> bool:
    return os.environ.get("ALLOW_LOOPBACK_WEBHOOKS", "false").lower() == "true"


@lru_cache(maxsize=1)
def webhook_retry_delays() -> tuple[int, ...]:
    return tuple(int(delay) for delay in json.loads(env("WEBHOOK_RETRY_DELAYS")))


def short_base_url() -> str:
    """The public base of short links, without a trailing slash (cached five minutes)."""
    # Imported here: the parameters utility loads boto3, which most functions never need.
    from aws_lambda_powertools.utilities.parameters import get_parameter

    value = get_parameter(env("SHORT_BASE_URL_PARAMETER"), max_age=300)
    return str(value).rstrip("/")


def own_origins() -> tuple[str, ...]:
    """Other names the stack answers on (URLs), known after deploy (cached five minutes)."""
    name = os.environ.get("OWN_ORIGINS_PARAMETER")
    if not name:
        return ()
    from aws_lambda_powertools.utilities.parameters import get_parameter

    value = str(get_parameter(name, max_age=300))
    return tuple(url.strip() for url in value.split(",") if url.strip())
