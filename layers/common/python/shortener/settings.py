"""The environment a function runs in: every name the stack sets, read in one place."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DisableRule:
    """An endpoint whose failed deliveries in a row have lasted this long and number this many
    is disabled."""

    failing_for_seconds: int
    failures: int


@lru_cache(maxsize=1)
def webhook_disable_after() -> DisableRule:
    """WEBHOOK_DISABLE_AFTER: {"failing_for_seconds", "failures"} (default: 20 in a row)."""
    value = json.loads(os.environ.get("WEBHOOK_DISABLE_AFTER") or "{}")
    return DisableRule(
        failing_for_seconds=int(value.get("failing_for_seconds", 0)),
        failures=int(value.get("failures", 20)),
    )


def delivery_dead_letter_queue_url() -> str:
    return env("DELIVERY_DEAD_LETTER_QUEUE_URL")


def webhook_notice_queue_url() -> str:
    return env("WEBHOOK_NOTICE_QUEUE_URL")


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
