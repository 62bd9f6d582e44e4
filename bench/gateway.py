"""Part `gateway` (issue 10): what the usage-plan check adds, and what the gateway sustains.

- The check, timed in-process: `UsagePlans.admit` (the caller's API key found among moto's API
  keys, its usage plan of the stage, the plan's daily quota and token bucket) on the shared
  cloud's own moto data, with 50 API keys on the plans, interleaved with a GET of a `pro` key
  through the local API Gateway (authorizer cached; four routes in turn, as each method has
  its own bucket of the stage's throttle), whose p50 it is a share of.
- Sustained: 8 client threads for 3 s each, on keep-alive connections. A throttled `free`
  key's GET /links is answered by the gateway alone (route, cached authorizer, usage plan: 429),
  so its rate is the gateway's own ceiling; GET /{code} of an unknown code runs the redirect
  function too (404), under the redirect's own method throttle (cdk.json
  `redirect_throttle_rate_limit`), counted apart.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from bench.measure import Goal, Table, interleaved, latency_table, median
from bench.report import PartResult
from bench.stack import Api, BenchStack, create_key
from localcloud.apigateway.usage_plans import UsagePlans

ITERATIONS = 300
WARMUP = 20
KEYS = 50
CLIENTS = 8
SECONDS = 3.0


def run(stack: BenchStack) -> PartResult:
    result = PartResult(
        "gateway", "API Gateway plans and limits (issue 10)", description=__doc__ or ""
    )
    check_cost(stack, result)
    sustained(stack, result)
    return result


def _gateway_key_value(stack: BenchStack, key_id: str) -> str:
    apigateway = stack.client("apigateway")
    keys = apigateway.get_api_keys(nameQuery=key_id, includeValues=True)["items"]
    return str(next(key["value"] for key in keys if key["name"] == key_id))


def check_cost(stack: BenchStack, result: PartResult) -> None:
    print(f"gateway: the usage-plan check, {ITERATIONS} calls ...", file=sys.stderr, flush=True)
    cloud = stack.cloud
    api = stack.api()
    for n in range(KEYS - 1):  # the bench's own key is one more
        create_key(cloud.aws_endpoint, f"{stack.owner}-gw{n}")
    record = api.request("GET", "/links")
    record.raise_for_status()
    key_id = next(
        key["name"]
        for key in stack.client("apigateway").get_api_keys()["items"]
        if key["description"].endswith(f"of {stack.owner}")
    )
    value = _gateway_key_value(stack, key_id)
    gateway = cloud.gateways[0]
    # A metering of its own: the same moto data, buckets and quotas apart from the served one's.
    plans = UsagePlans(gateway.api.api_id, gateway.api.stage_name or "$default")
    statuses: Counter[int] = Counter()
    code = api.create_link("https://example.com/gateway-bench").json()["code"]
    # Round robin over four routes: each method has its own bucket of the stage's throttle,
    # which one route asked back to back would reach.
    paths = itertools.cycle(["/links", f"/links/{code}", "/webhooks", "/stats"])

    def get_links() -> None:
        statuses[api.request("GET", next(paths)).status_code] += 1

    samples = interleaved(
        {
            "usage-plan check (in-process)": lambda: plans.admit(value),
            "GET (4 routes) through the gateway": get_links,
        },
        iterations=ITERATIONS,
        warmup=WARMUP,
    )
    result.notes.append(f"The GETs answered {_of(statuses)}")
    check, request = (median(values) for values in samples.values())
    result.tables.append(latency_table(f"Latency, ms ({KEYS} API keys)", "call", samples))
    result.goals.append(
        Goal(
            "usage-plan check p50 ÷ a GET's p50",
            100 * check / request,
            5,
            "%",
            why="the check reads moto's API Gateway data in process and takes a token: far "
            "below the function call it guards",
        )
    )


def _hammer(api: Api, path: str) -> tuple[Counter[int], float]:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client(_: int) -> None:
        session = Api(api.base_url, api.key)
        while time.monotonic() < deadline:
            status = session.request("GET", path).status_code
            with lock:
                statuses[status] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return statuses, time.monotonic() - started


def sustained(stack: BenchStack, result: PartResult) -> None:
    print(f"gateway: {CLIENTS} clients for {SECONDS:g} s each ...", file=sys.stderr, flush=True)
    cloud = stack.cloud
    free = Api(cloud.api_url, create_key(cloud.aws_endpoint, f"{stack.owner}-free", plan="free"))
    free.request("GET", "/links").raise_for_status()  # the authorizer's answer is cached
    table = Table(
        f"Requests per second, {CLIENTS} clients for {SECONDS:g} s",
        ["requests", "answered by", "per second", "statuses"],
    )
    throttled, seconds = _hammer(free, "/links")
    gateway_rps = sum(throttled.values()) / seconds
    table.add(
        "GET /links, free key past its plan", "the gateway (429)", gateway_rps, _of(throttled)
    )
    redirects, seconds = _hammer(Api(cloud.api_url), "/nosuchcode")
    table.add(
        "GET /{code}, unknown code",
        "the redirect function (404), its method throttle (429)",
        sum(redirects.values()) / seconds,
        _of(redirects),
    )
    result.tables.append(table)
    result.goals.append(
        Goal(
            "gateway answers per second (429s of a throttled key)",
            gateway_rps,
            200,
            "/s",
            at_most=False,
            why="a client over its plan is refused by the gateway without a function call, so "
            "a flood costs the local cloud little",
        )
    )


def _of(statuses: Counter[int]) -> str:
    return ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
