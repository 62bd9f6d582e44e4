"""Usage plans, as API Gateway applies them to a method that requires an API key: the caller's
key (the `x-api-key` header, or the authorizer's `usageIdentifierKey` when the API's key source
is AUTHORIZER) must be an enabled API key on a usage plan of this stage, else 403 Forbidden;
then the plan's daily (weekly, monthly) quota and its throttle, per key.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html

The plans, keys and usage plan keys are moto's API Gateway data, read on every request: a key
created, disabled or moved by CreateApiKey, UpdateApiKey or CreateUsagePlanKey counts at the
next request. A quota period starts at 00:00 UTC: of the day; of the week's Sunday or the
month's first day, plus the plan's offset in days
(https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html). Per-method
throttles inside a usage plan (`apiStages[].throttle`) are not emulated; the report says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.apigateway.models import APIGatewayBackend, apigateway_backends

from localcloud.apigateway.responses import (
    INVALID_API_KEY,
    QUOTA_EXCEEDED,
    THROTTLED,
    GatewayError,
)
from localcloud.apigateway.throttling import Buckets
from localcloud.names import ACCOUNT_ID, REGION


@dataclass(frozen=True)
class _Metered:
    plan_id: str
    key_id: str
    throttle: dict[str, Any]
    quota: dict[str, Any]


class UsagePlans:
    """One API stage's usage plans: the per-key throttles and quotas."""

    def __init__(
        self,
        api_id: str,
        stage: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        buckets: Buckets | None = None,
    ) -> None:
        self._api_id = api_id
        self._stage = stage
        self._clock = clock
        self._buckets = buckets or Buckets()
        self._used: dict[tuple[str, str, datetime], int] = {}
        self._lock = threading.Lock()

    def admit(self, key_value: str | None) -> GatewayError | None:
        """None when a request with this API key value may pass; else API Gateway's answer."""
        metered = self._metered(key_value)
        if metered is None:
            return INVALID_API_KEY
        period = _period_start(metered.quota, self._clock()) if metered.quota else None
        if period is not None:
            with self._lock:
                used = self._used.get((metered.plan_id, metered.key_id, period), 0)
            if used >= int(metered.quota["limit"]):
                return QUOTA_EXCEEDED
        throttle = metered.throttle
        if throttle and not self._buckets.take(
            (metered.plan_id, metered.key_id),
            float(throttle.get("rateLimit", -1)),
            int(throttle.get("burstLimit", -1)),
        ):
            return THROTTLED
        if period is not None:
            with self._lock:
                counter = (metered.plan_id, metered.key_id, period)
                self._used[counter] = self._used.get(counter, 0) + 1
        return None

    def _metered(self, key_value: str | None) -> _Metered | None:
        if not key_value:
            return None
        backend = _backend()
        key = next((k for k in list(backend.keys.values()) if k.value == key_value), None)
        if key is None or not key.enabled:
            return None
        for plan in list(backend.usage_plans.values()):
            if key.id not in backend.usage_plan_keys.get(plan.id, {}):
                continue
            if any(
                stage.get("apiId") == self._api_id and stage.get("stage") == self._stage
                for stage in plan.api_stages
            ):
                return _Metered(plan.id, key.id, dict(plan.throttle), dict(plan.quota))
        return None


def per_method_plan_throttles() -> list[str]:
    """Usage plans with per-method throttles, which are not emulated (for the report)."""
    return [
        plan.name or plan.id
        for plan in list(_backend().usage_plans.values())
        if any(stage.get("throttle") for stage in plan.api_stages)
    ]


def _backend() -> APIGatewayBackend:
    return apigateway_backends[ACCOUNT_ID][REGION]


def _period_start(quota: dict[str, Any], now: datetime) -> datetime:
    """The start of the quota period `now` falls in, in UTC: the day; the week from Sunday plus
    the offset in days; the month from its first day plus the offset."""
    offset = timedelta(days=int(quota.get("offset", 0)))
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    match str(quota.get("period", "DAY")).upper():
        case "WEEK":
            start = today - timedelta(days=(today.weekday() + 1) % 7) + offset
            return start if start <= now else start - timedelta(days=7)
        case "MONTH":
            start = today.replace(day=1) + offset
            if start <= now:
                return start
            previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
            return previous + offset
    return today


def report_lines() -> list[str]:
    """What the start-up report says about API Gateway's metering."""
    lines = [
        "Gateway    emulated: usage plans (rate, burst, quota per UTC day, per API key; a "
        "disabled or planless key is 403), stage and method throttles (token buckets), "
        "FlushStageAuthorizersCache; not emulated: the account's 10,000 requests/s per Region "
        "(one laptop does not reach it)"
    ]
    lines += [
        f"  skipped  per-method throttles inside usage plan {name}: the plan's own limits apply"
        for name in per_method_plan_throttles()
    ]
    return lines
