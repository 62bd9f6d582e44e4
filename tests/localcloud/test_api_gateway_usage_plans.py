"""The local API Gateway's metering, on moto's API Gateway data and a clock the test turns: a
token bucket per key (burst at once, then the rate), a quota per UTC day, disabled and planless
keys refused 403 as API Gateway refuses them, the stage's method throttles, and
FlushStageAuthorizersCache answered at the AWS endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.apigateway.cache_flush import AuthorizerCacheFlushes, FlushStageAuthorizersCache
from localcloud.apigateway.model import MethodThrottle, method_throttles_of
from localcloud.apigateway.responses import INVALID_API_KEY, QUOTA_EXCEEDED, THROTTLED
from localcloud.apigateway.throttling import UNLIMITED, Buckets, method_limits
from localcloud.apigateway.usage_plans import UsagePlans
from localcloud.names import REGION

API_ID, STAGE = "abc123", "dev"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 23, 59, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def apigateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("apigateway", region_name=REGION)


def _plan(apigateway: Any, rate: float, burst: int, quota: int, stage: str = STAGE) -> str:
    return str(
        apigateway.create_usage_plan(
            name=f"plan-{rate}-{stage}",
            apiStages=[{"apiId": API_ID, "stage": stage}],
            throttle={"rateLimit": rate, "burstLimit": burst},
            quota={"limit": quota, "period": "DAY", "offset": 0},
        )["id"]
    )


def _key(apigateway: Any, plan_id: str | None, enabled: bool = True) -> str:
    key = apigateway.create_api_key(name="k", enabled=enabled, value="v" * 20 + str(plan_id))
    if plan_id:
        apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return str(key["value"])


def _metering(clock: Clock) -> UsagePlans:
    return UsagePlans(API_ID, STAGE, clock=clock, buckets=Buckets(clock.seconds))


def test_a_key_gets_its_burst_at_once_then_its_rate(apigateway: Any) -> None:
    clock = Clock()
    key = _key(apigateway, _plan(apigateway, rate=2, burst=5, quota=1000))
    plans = _metering(clock)

    at_once = [plans.admit(key) for _ in range(8)]
    clock.now += timedelta(seconds=1.5)  # three tokens back at 2 per second
    later = [plans.admit(key) for _ in range(4)]

    assert at_once == [None] * 5 + [THROTTLED] * 3
    assert later == [None] * 3 + [THROTTLED]


def test_the_daily_quota_counts_per_utc_day_and_renews_at_midnight(apigateway: Any) -> None:
    clock = Clock()
    key = _key(apigateway, _plan(apigateway, rate=100, burst=100, quota=3))
    plans = _metering(clock)

    today = [plans.admit(key) for _ in range(4)]
    clock.now += timedelta(minutes=1)  # 00:00 UTC
    tomorrow = plans.admit(key)

    assert today == [None, None, None, QUOTA_EXCEEDED]
    assert tomorrow is None


def test_each_key_has_its_own_bucket(apigateway: Any) -> None:
    clock = Clock()
    plan = _plan(apigateway, rate=1, burst=1, quota=1000)
    first, second = _key(apigateway, plan), _key(apigateway, None)
    key_id = next(
        k["id"]
        for k in apigateway.get_api_keys(includeValues=True)["items"]
        if k["value"] == second
    )
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key_id, keyType="API_KEY")
    plans = _metering(clock)

    assert [plans.admit(first), plans.admit(first)] == [None, THROTTLED]
    assert plans.admit(second) is None


def test_a_disabled_unknown_or_planless_key_is_forbidden(apigateway: Any) -> None:
    clock = Clock()
    plan = _plan(apigateway, rate=10, burst=10, quota=1000)
    other_stage = _plan(apigateway, rate=10, burst=10, quota=1000, stage="prod")
    disabled = _key(apigateway, plan, enabled=False)
    planless = _key(apigateway, None)
    elsewhere = _key(apigateway, other_stage)
    plans = _metering(clock)

    for value in (disabled, planless, elsewhere, "no-such-key-value-at-all", None):
        assert plans.admit(value) is INVALID_API_KEY, value


def test_disabling_a_key_refuses_its_next_request(apigateway: Any) -> None:
    clock = Clock()
    key = _key(apigateway, _plan(apigateway, rate=10, burst=10, quota=1000))
    plans = _metering(clock)
    assert plans.admit(key) is None
    key_id = apigateway.get_api_keys()["items"][0]["id"]

    apigateway.update_api_key(
        apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )

    assert plans.admit(key) is INVALID_API_KEY


def test_a_method_s_own_throttle_wins_over_the_stage_default() -> None:
    throttles = [
        MethodThrottle("/*", "*", 50, 100),
        MethodThrottle("/{code}", "GET", 200, 400),
    ]

    assert method_limits(throttles, "/{code}", "GET") == (200, 400)
    assert method_limits(throttles, "/{code}", "HEAD") == (50, 100)
    assert method_limits(throttles, "/links", "POST") == (50, 100)
    assert method_limits([], "/links", "POST") == (UNLIMITED, UNLIMITED)


def test_method_settings_paths_are_read_as_cloudformation_escapes_them() -> None:
    stage = {
        "MethodSettings": [
            {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 50},
            {
                "ResourcePath": "/~1{code}",
                "HttpMethod": "GET",
                "ThrottlingRateLimit": 200,
                "ThrottlingBurstLimit": 400,
            },
            {"ResourcePath": "/~1links~1{code}", "HttpMethod": "GET", "MetricsEnabled": True},
        ]
    }

    assert method_throttles_of(stage) == (
        MethodThrottle("/*", "*", 50, -1),
        MethodThrottle("/{code}", "GET", 200, 400),
    )


def test_method_buckets_are_separate() -> None:
    now = [0.0]
    buckets = Buckets(lambda: now[0])

    assert [buckets.take(("/links", "POST"), 1, 2) for _ in range(3)] == [True, True, False]
    assert buckets.take(("/{code}", "GET"), 1, 2) is True


def _call(app: Any, method: str, path: str) -> tuple[str, bytes]:
    answer: list[str] = []
    body = b"".join(
        app({"REQUEST_METHOD": method, "PATH_INFO": path}, lambda status, _: answer.append(status))
    )
    return answer[0], body


def test_flush_stage_authorizers_cache_flushes_the_served_stage_and_only_it() -> None:
    flushed: list[str] = []
    flushes = AuthorizerCacheFlushes()
    flushes.serve(API_ID, STAGE, lambda: flushed.append(STAGE))

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"moto"]

    app = FlushStageAuthorizersCache(moto, flushes)

    served = _call(app, "DELETE", f"/restapis/{API_ID}/stages/{STAGE}/cache/authorizers")
    unknown = _call(app, "DELETE", f"/restapis/{API_ID}/stages/prod/cache/authorizers")
    other = _call(app, "GET", f"/restapis/{API_ID}/stages/{STAGE}")

    assert served == ("202 Accepted", b"")
    assert unknown[0] == "404 Not Found"
    assert other == ("200 OK", b"moto")  # everything else is moto's
    assert flushed == [STAGE]
