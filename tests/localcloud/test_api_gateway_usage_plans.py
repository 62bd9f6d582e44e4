"""The local API Gateway's metering, on moto's API Gateway data and a clock the test turns: a
token bucket per key (burst at once, then the rate), a quota per UTC day, disabled and planless
keys refused 403 as API Gateway refuses them, the stage's method throttles, and
FlushStageAuthorizersCache answered at the AWS endpoint.

The plans and keys go into the mini cloud's moto (moto's in-process mock would reset the data of
every cloud in the process), each test on a REST API id of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from localcloud.apigateway.cache_flush import AuthorizerCacheFlushes, FlushStageAuthorizersCache
from localcloud.apigateway.model import MethodThrottle, method_throttles_of
from localcloud.apigateway.responses import INVALID_API_KEY, QUOTA_EXCEEDED, THROTTLED
from localcloud.apigateway.throttling import UNLIMITED, Buckets, method_limits
from localcloud.apigateway.usage_plans import UsagePlans

STAGE = "dev"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 23, 59, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def apigateway(mini_client: Callable[[str], Any]) -> Any:
    return mini_client("apigateway")


@pytest.fixture
def api_id() -> str:
    return uuid.uuid4().hex[:10]


def _plan(
    apigateway: Any, api_id: str, rate: float, burst: int, quota: int, stage: str = STAGE
) -> str:
    return str(
        apigateway.create_usage_plan(
            name=f"plan-{rate}-{stage}",
            apiStages=[{"apiId": api_id, "stage": stage}],
            throttle={"rateLimit": rate, "burstLimit": burst},
            quota={"limit": quota, "period": "DAY", "offset": 0},
        )["id"]
    )


def _key(apigateway: Any, plan_id: str | None, enabled: bool = True) -> str:
    key = apigateway.create_api_key(name="k", enabled=enabled, value=uuid.uuid4().hex)
    if plan_id:
        apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return str(key["value"])


def _metering(api_id: str, clock: Clock) -> UsagePlans:
    return UsagePlans(api_id, STAGE, clock=clock, buckets=Buckets(clock.seconds))


def test_a_key_gets_its_burst_at_once_then_its_rate(apigateway: Any, api_id: str) -> None:
    clock = Clock()
    key = _key(apigateway, _plan(apigateway, api_id, rate=2, burst=5, quota=1000))
    plans = _metering(api_id, clock)

    at_once = [plans.admit(key) for _ in range(8)]
    clock.now += timedelta(seconds=1.5)  # three tokens back at 2 per second
    later = [plans.admit(key) for _ in range(4)]

    assert at_once == [None] * 5 + [THROTTLED] * 3
    assert later == [None] * 3 + [THROTTLED]


def test_the_daily_quota_counts_per_utc_day_and_renews_at_midnight(
    apigateway: Any, api_id: str
) -> None:
    clock = Clock()
    key = _key(apigateway, _plan(apigateway, api_id, rate=100, burst=100, quota=3))
    plans = _metering(api_id, clock)

    today = [plans.admit(key) for _ in range(4)]
    clock.now += timedelta(minutes=1)  # 00:00 UTC
    tomorrow = plans.admit(key)

    assert today == [None, None, None, QUOTA_EXCEEDED]
    assert tomorrow is None


def test_each_key_has_its_own_bucket(apigateway: Any, api_id: str) -> None:
    clock = Clock()
    plan = _plan(apigateway, api_id, rate=1, burst=1, quota=1000)
    first, second = _key(apigateway, plan), _key(apigateway, None)
    key_id = next(
        k["id"]
        for k in apigateway.get_api_keys(includeValues=True, limit=500)["items"]
        if k["value"] == second
    )
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key_id, keyType="API_KEY")
    plans = _metering(api_id, clock)

    assert [plans.admit(first), plans.admit(first)] == [None, THROTTLED]
    assert plans.admit(second) is None


def test_a_disabled_unknown_or_planless_key_is_forbidden(apigateway: Any, api_id: str) -> None:
    clock = Clock()
    plan = _plan(apigateway, api_id, rate=10, burst=10, quota=1000)
    other_stage = _plan(apigateway, api_id, rate=10, burst=10, quota=1000, stage="prod")
    disabled = _key(apigateway, plan, enabled=False)
    planless = _key(apigateway, None)
    elsewhere = _key(apigateway, other_stage)
    plans = _metering(api_id, clock)

    for value in (disabled, planless, elsewhere, "no-such-key-value-at-all", None):
        assert plans.admit(value) is INVALID_API_KEY, value


def test_disabling_a_key_refuses_its_next_request(apigateway: Any, api_id: str) -> None:
    clock = Clock()
    key = _key(apigateway, _plan(apigateway, api_id, rate=10, burst=10, quota=1000))
    plans = _metering(api_id, clock)
    assert plans.admit(key) is None
    items = apigateway.get_api_keys(includeValues=True, limit=500)["items"]
    key_id = next(item["id"] for item in items if item["value"] == key)

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


def test_flush_stage_authorizers_cache_flushes_the_served_stage_and_only_it(api_id: str) -> None:
    flushed: list[str] = []
    flushes = AuthorizerCacheFlushes()
    flushes.serve(api_id, STAGE, lambda: flushed.append(STAGE))

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"moto"]

    app = FlushStageAuthorizersCache(moto, flushes)

    served = _call(app, "DELETE", f"/restapis/{api_id}/stages/{STAGE}/cache/authorizers")
    unknown = _call(app, "DELETE", f"/restapis/{api_id}/stages/prod/cache/authorizers")
    other = _call(app, "GET", f"/restapis/{api_id}/stages/{STAGE}")

    assert served == ("202 Accepted", b"")
    assert unknown[0] == "404 Not Found"
    assert other == ("200 OK", b"moto")  # everything else is moto's
    assert flushed == [STAGE]


# --- the template's own usage plan, on the mini cloud: MiniApiKey on MiniUsagePlan (burst 2, a
# token every 1,000 s), sent in the x-api-key header to GET /metered (ApiKeyRequired).

METERED_KEY = "mini-metered-key-0123456789"


@pytest.mark.integration
def test_a_template_usage_plan_meters_its_key_and_refuses_requests_without_one(
    mini_cloud: Any,
) -> None:
    url = f"{mini_cloud.api_url}/metered"

    without = requests.get(url, timeout=30)
    wrong = requests.get(url, headers={"x-api-key": "not-a-key-of-this-stage"}, timeout=30)
    metered = [requests.get(url, headers={"x-api-key": METERED_KEY}, timeout=30) for _ in range(3)]

    for refused in (without, wrong):
        assert refused.status_code == 403
        assert refused.json() == {"message": "Forbidden"}
    assert [response.status_code for response in metered] == [200, 200, 429]
    assert metered[2].json() == {"message": "Too Many Requests"}
