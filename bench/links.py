"""Part `links` (issue 11): what the link features cost on the redirect, and bulk create.

- The redirect handler, called in-process with the proxy events the local cloud builds, for a
  plain link and for links with `utm`, `targets` (an iPhone's User-Agent) and `max_clicks` (a
  person's click: one GetItem and one conditional UpdateItem), against a bare GetItem (and, for
  `max_clicks`, a bare GetItem followed by the same conditional UpdateItem) on the same moto,
  interleaved call by call.
- `POST /links/bulk` with 100 items against 100 single `POST /links`, both through the api
  handler in-process on the same moto, interleaved round by round. moto runs in this process,
  so the bulk's concurrent writes share one interpreter with the server answering them: on
  DynamoDB, each write waits on the network instead, and the pool overlaps more of them.
- The redirect's cold import in a fresh process, with the environment the template gives it,
  against `import boto3` alone, as the `sync` part measures it (round-robin, bytecode cached).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.measure import RATIO, Goal, interleaved, latency_table, median
from bench.report import PartResult
from bench.stack import (
    REPO_ROOT,
    SHARED_CODE,
    TEST_CREDENTIALS,
    BenchStack,
    LambdaContextStub,
    folder_of,
    stdout_silenced,
)
from bench.sync_path import IMPORT_RUNS
from bench.sync_path import _import_ms as import_ms
from localcloud.lambda_.functions import worker_environment

REDIRECT_ITERATIONS = 300
REDIRECT_WARMUP = 20
BULK_ROUNDS = 7
BULK_ITEMS = 100
BULK = f"POST /links/bulk, {BULK_ITEMS} items"
SINGLES = f"{BULK_ITEMS} x POST /links"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
FEATURES: dict[str, dict[str, Any]] = {
    "plain link": {},
    "link with utm": {"utm": {"source": "bench", "campaign": "spring sale"}},
    "link with targets (iPhone)": {
        "targets": {"ios": "https://apps.apple.com/app/id1", "android": "https://play.google.com/x"}
    },
    "link with max_clicks (a person's click)": {"max_clicks": 1_000_000_000},
}


def run(stack: BenchStack) -> PartResult:
    result = PartResult("links", "Link features (issue 11)", description=__doc__ or "")
    redirect_features(stack, result)
    bulk_vs_singles(stack, result)
    redirect_cold_import(stack, result)
    return result


def redirect_cold_import(stack: BenchStack, result: PartResult) -> None:
    print("links: the redirect's cold import ...", file=sys.stderr, flush=True)
    cloud = stack.cloud
    pool = next(p for logical_id, p in cloud.pools.items() if folder_of(logical_id) == "redirect")
    env = worker_environment(pool.spec, cloud.aws_endpoint)
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    env["PYTHONPATH"] = str(SHARED_CODE)
    folder = str(REPO_ROOT / "functions" / "redirect")
    baseline = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SHARED_CODE),
        **TEST_CREDENTIALS,
    }
    probes = {"redirect handler": ("handler", env), "import boto3": ("boto3", baseline)}
    for module, probe_env in probes.values():  # untimed: write the bytecode caches first
        import_ms(module, folder, probe_env)
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(IMPORT_RUNS):
        for name, (module, probe_env) in probes.items():
            samples[name].append(import_ms(module, folder, probe_env))
    ratio = median(samples["redirect handler"]) / median(samples["import boto3"])
    result.goals.append(
        Goal(
            "redirect cold import ÷ import boto3 (median)",
            ratio,
            1.3,
            RATIO,
            why="botocore's DynamoDB client and the standard library only; the bot rules load "
            "on the first usage-limited link, never at import",
        )
    )


def _create(stack: BenchStack, body: dict[str, Any]) -> dict[str, Any]:
    create = stack.handler("api")
    with stdout_silenced():
        answer = create(stack.api_event("POST", "/links", body=body), LambdaContextStub("api"))
    if answer["statusCode"] != 201:
        raise RuntimeError(f"the create handler answered {answer}")
    created: dict[str, Any] = json.loads(answer["body"])
    return created


def redirect_features(stack: BenchStack, result: PartResult) -> None:
    print("links: the redirect per feature against a bare GetItem ...", file=sys.stderr, flush=True)
    dynamodb = stack.client("dynamodb")
    redirect = stack.handler("redirect")
    context = LambdaContextStub("redirect", memory_limit_in_mb=256)
    calls: dict[str, Callable[[], Any]] = {}
    for name, features in FEATURES.items():
        code = _create(stack, {"url": "https://example.com/bench?x=1", **features})["code"]
        event = stack.api_event("GET", f"/{code}", authorized=False)
        event["headers"]["User-Agent"] = IPHONE
        answered = redirect(event, context)
        if answered["statusCode"] != 302:
            raise RuntimeError(f"the redirect answered {answered} for the {name}")
        calls[f"redirect: {name}"] = partial(redirect, event, context)
    plain_code = _create(stack, {"url": "https://example.com/bare"})["code"]
    key = {"pk": {"S": plain_code}, "sk": {"S": "link"}}
    calls["bare GetItem"] = lambda: dynamodb.get_item(TableName=stack.bench_links_table, Key=key)
    limited_code = _create(stack, {"url": "https://example.com/bare", "max_clicks": 10**9})["code"]
    limited_key = {"pk": {"S": limited_code}, "sk": {"S": "link"}}

    def bare_get_and_count() -> None:
        dynamodb.get_item(TableName=stack.bench_links_table, Key=limited_key)
        dynamodb.update_item(
            TableName=stack.bench_links_table,
            Key=limited_key,
            UpdateExpression="ADD clicks_used :one",
            ConditionExpression="clicks_used < max_clicks OR attribute_not_exists(clicks_used)",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    calls["bare GetItem + conditional UpdateItem"] = bare_get_and_count

    samples = interleaved(calls, iterations=REDIRECT_ITERATIONS, warmup=REDIRECT_WARMUP)
    result.tables.append(
        latency_table(
            f"The redirect in-process per link feature vs a bare GetItem, same moto "
            f"({REDIRECT_ITERATIONS} interleaved calls each after {REDIRECT_WARMUP} warm-up "
            "rounds)",
            "call",
            samples,
        )
    )
    bare = median(samples["bare GetItem"])
    plain_ratio = median(samples["redirect: plain link"]) / bare
    limited_ratio = median(samples["redirect: link with max_clicks (a person's click)"]) / median(
        samples["bare GetItem + conditional UpdateItem"]
    )
    result.goals += [
        Goal(
            "redirect of a plain link ÷ bare GetItem (p50)",
            plain_ratio,
            1.2,
            RATIO,
            why="the features cost a plain link only four more projected attributes",
        ),
        Goal(
            "redirect of a max_clicks link ÷ bare GetItem + conditional UpdateItem (p50)",
            limited_ratio,
            1.2,
            RATIO,
            why="a person's click on a usage-limited link is those two calls and the bot rules "
            "(loaded once, on the first such link)",
        ),
    ]


def bulk_vs_singles(stack: BenchStack, result: PartResult) -> None:
    print("links: bulk 100 against 100 single creates ...", file=sys.stderr, flush=True)
    create = stack.handler("api")
    context = LambdaContextStub("api")
    round_number = iter(range(10**9))

    def items() -> list[dict[str, Any]]:
        n = next(round_number)
        return [{"url": f"https://example.com/bulk/{n}/{i}"} for i in range(BULK_ITEMS)]

    def bulk() -> None:
        event = stack.api_event("POST", "/links/bulk", body={"items": items()})
        answer = create(event, context)
        statuses = [item["status"] for item in json.loads(answer["body"])["items"]]
        if answer["statusCode"] != 200 or set(statuses) != {201}:
            raise RuntimeError(f"the bulk create answered {answer['statusCode']}: {statuses}")

    def singles() -> None:
        for body in items():
            answer = create(stack.api_event("POST", "/links", body=body), context)
            if answer["statusCode"] != 201:
                raise RuntimeError(f"the create handler answered {answer}")

    with stdout_silenced():
        samples = interleaved(
            {BULK: bulk, SINGLES: singles},
            iterations=BULK_ROUNDS,
            warmup=1,
        )
    result.tables.append(
        latency_table(
            f"{BULK_ITEMS} links in one bulk request vs one request each, in-process, same moto "
            f"({BULK_ROUNDS} interleaved rounds after 1 warm-up round)",
            "call",
            samples,
        )
    )
    ratio = median(samples[BULK]) / median(samples[SINGLES])
    result.goals.append(
        Goal(
            f"bulk of {BULK_ITEMS} ÷ {BULK_ITEMS} single creates (p50)",
            ratio,
            1.0,
            RATIO,
            why="one request's routing and validation instead of a hundred, and writes "
            "overlapped on a pool of 10",
        )
    )
