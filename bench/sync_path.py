"""Part `sync` (issue 2): what the synchronous path costs over the DynamoDB call it makes.

- The create and redirect handlers, called in-process with the proxy events the local cloud
  builds, against a bare conditional PutItem and a bare GetItem on the same moto, interleaved.
- Each function's cold import in a fresh process, laid out as Lambda lays it out (its folder,
  the shared layer, the packages) with the environment the template gives it (X-Ray tracing
  active, as deployed), against `import boto3` alone in the same conditions.
- Each function's peak memory from the local cloud's REPORT data, after every function ran,
  against the MemorySize the template gives it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections import Counter

from bench.measure import RATIO, Goal, Table, interleaved, latency_table, median
from bench.partner import Partner
from bench.report import PartResult
from bench.stack import (
    REPO_ROOT,
    SHARED_CODE,
    TEST_CREDENTIALS,
    BenchStack,
    LambdaContextStub,
    exercise_every_function,
    folder_of,
    link_item,
    stdout_silenced,
)
from localcloud.lambda_.functions import worker_environment

HANDLER_ITERATIONS = 300
HANDLER_WARMUP = 20
IMPORT_RUNS = 7
IMPORT_PROBE = """
import time
started = time.perf_counter()
import {module}
print((time.perf_counter() - started) * 1000)
"""
IMPORT_BREAKDOWN_ROWS = 8
IMPORT_GOALS = {"redirect": 1.3, "api": 2.0}
MEMORY_GOAL = 0.7


def run(stack: BenchStack) -> PartResult:
    result = PartResult("sync", "Sync path (issue 2)", description=__doc__ or "")
    handler_vs_bare(stack, result)
    cold_imports(stack, result)
    peak_memory(stack, result)
    return result


def handler_vs_bare(stack: BenchStack, result: PartResult) -> None:
    print("sync: handlers against bare DynamoDB calls ...", file=sys.stderr, flush=True)
    dynamodb = stack.client("dynamodb")
    table = stack.bench_links_table
    create = stack.handler("api")
    redirect = stack.handler("redirect")
    api_context = LambdaContextStub("api")
    redirect_context = LambdaContextStub("redirect", memory_limit_in_mb=256)
    create_event = stack.api_event("POST", "/links", body={"url": "https://example.com/bench"})

    with stdout_silenced():
        created = create(create_event, api_context)
    if created["statusCode"] != 201:
        raise RuntimeError(f"the create handler answered {created}")
    code = _json_field(created["body"], "code")
    redirect_event = stack.api_event("GET", f"/{code}", authorized=False)
    redirected = redirect(redirect_event, redirect_context)
    if redirected["statusCode"] != 302:
        raise RuntimeError(f"the redirect handler answered {redirected}")

    def bare_put() -> None:
        new_code = secrets.token_urlsafe(5)[:7]
        dynamodb.put_item(
            TableName=table,
            Item=link_item(
                new_code, stack.owner, "https://example.com/bench", "2026-01-01T00:00:00.000000Z"
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def bare_get() -> None:
        dynamodb.get_item(TableName=table, Key={"pk": {"S": code}, "sk": {"S": "link"}})

    with stdout_silenced():
        samples = interleaved(
            {
                "create handler": lambda: create(create_event, api_context),
                "bare conditional PutItem": bare_put,
                "redirect handler": lambda: redirect(redirect_event, redirect_context),
                "bare GetItem": bare_get,
            },
            iterations=HANDLER_ITERATIONS,
            warmup=HANDLER_WARMUP,
        )
    result.tables.append(
        latency_table(
            f"Handlers in-process vs bare calls, same moto ({HANDLER_ITERATIONS} interleaved "
            f"calls each after {HANDLER_WARMUP} warm-up rounds)",
            "call",
            samples,
        )
    )
    p50 = {name: median(values) for name, values in samples.items()}
    redirect_ratio = p50["redirect handler"] / p50["bare GetItem"]
    create_ratio = p50["create handler"] / p50["bare conditional PutItem"]
    result.goals += [
        Goal(
            "redirect handler ÷ bare GetItem (p50)",
            redirect_ratio,
            1.2,
            RATIO,
            why="the handler adds only event parsing and response building to one GetItem",
        ),
        Goal(
            "create handler ÷ bare conditional PutItem (p50)",
            create_ratio,
            1.5,
            RATIO,
            why=_create_overhead_note(create_ratio),
        ),
    ]


def _create_overhead_note(ratio: float) -> str:
    if ratio <= 1.5:
        return "routing, validation and the response model cost less than half a PutItem"
    return (
        "besides the PutItem the handler resolves the route and validates the body with "
        "Powertools and pydantic, builds the response model, and emits EMF metrics and a "
        "log line; on moto a PutItem takes only a few ms, so that fixed cost weighs more "
        "than it would against DynamoDB's own latency"
    )


def _json_field(body: str, name: str) -> str:
    return str(json.loads(body)[name])


def _import_ms(module: str, cwd: str, env: dict[str, str]) -> float:
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE.format(module=module)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module} in {cwd} failed:\n{completed.stderr}")
    return float(completed.stdout.strip().splitlines()[-1])


def cold_imports(stack: BenchStack, result: PartResult) -> None:
    print("sync: cold imports ...", file=sys.stderr, flush=True)
    cloud = stack.cloud
    probes: dict[str, tuple[str, str, dict[str, str]]] = {}
    for logical_id, pool in cloud.pools.items():
        folder = folder_of(logical_id)
        env = worker_environment(pool.spec, cloud.aws_endpoint)
        # As deployed: X-Ray tracing is active, so Powertools' Tracer loads the X-Ray SDK.
        env.pop("POWERTOOLS_TRACE_DISABLED", None)
        env["PYTHONPATH"] = str(SHARED_CODE)
        probes[folder] = ("handler", str(REPO_ROOT / "functions" / folder), env)
    baseline_env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SHARED_CODE),
        **TEST_CREDENTIALS,
    }
    probes["boto3"] = ("boto3", str(REPO_ROOT / "functions" / "redirect"), baseline_env)

    for module, cwd, env in probes.values():  # untimed: write the bytecode caches first
        _import_ms(module, cwd, env)
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(IMPORT_RUNS):  # round-robin, so that load on the machine hits all alike
        for name, (module, cwd, env) in probes.items():
            samples[name].append(_import_ms(module, cwd, env))
    for folder in IMPORT_GOALS:
        result.tables.append(_import_breakdown(folder, *probes[folder]))
    boto3_ms = median(samples.pop("boto3"))
    table = Table(
        f"Cold import in a fresh process (median of {IMPORT_RUNS}) against `import boto3` "
        f"alone ({boto3_ms:.0f} ms)",
        ["function", "import ms", "÷ import boto3"],
    )
    for name in sorted(samples, key=lambda n: median(samples[n])):
        ms = median(samples[name])
        table.add(name, ms, ms / boto3_ms)
    result.tables.append(table)
    for name, limit in IMPORT_GOALS.items():
        ratio = median(samples[name]) / boto3_ms
        result.goals.append(
            Goal(
                f"{name} cold import ÷ `import boto3`", ratio, limit, RATIO, why=_import_note(name)
            )
        )


def _import_breakdown(folder: str, module: str, cwd: str, env: dict[str, str]) -> Table:
    """Where a function's import time goes: `-X importtime` self times by top-level package."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    by_package: Counter[str] = Counter()
    for line in completed.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line, or anything that is not an import record
        by_package[fields[2].strip().split(".")[0]] += int(fields[0])
    total_ms = sum(by_package.values()) / 1000
    table = Table(
        f"Where the {folder} function's import time goes (one run with `-X importtime`, which "
        f"slows imports; {total_ms:.0f} ms in all): self time by top-level package",
        ["package", "ms", "share"],
    )
    shown = by_package.most_common(IMPORT_BREAKDOWN_ROWS)
    for package, micros in shown:
        table.add(package, micros / 1000, f"{micros / 1000 / total_ms:.0%}")
    rest = sum(by_package.values()) - sum(micros for _, micros in shown)
    table.add("everything else", rest / 1000, f"{rest / 1000 / total_ms:.0%}")
    return table


def _import_note(folder: str) -> str:
    if folder == "redirect":
        return (
            "the redirect imports only boto3 and the standard library, but also creates its "
            "DynamoDB client at import (loading the service model), so that no click waits "
            "for it: that is its `handler` self time in the breakdown"
        )
    return (
        "on top of boto3 the management API loads Powertools (REST resolver with OpenAPI "
        "validation, parameters, logger, metrics; no Tracer, and idempotency only on a POST "
        "with Idempotency-Key), pydantic and pynamodb: see the import breakdown"
    )


def peak_memory(stack: BenchStack, result: PartResult) -> None:
    print("sync: peak memory after exercising every function ...", file=sys.stderr, flush=True)
    cloud = stack.cloud
    with Partner() as partner:
        missing = exercise_every_function(
            stack.api(), partner.url, lambda name: bool(cloud.invocation_reports(name))
        )
    table = Table(
        "Peak memory per function (local cloud REPORT lines, after every function ran)",
        ["function", "invocations", "max memory used MB", "MemorySize MB", "ratio"],
    )
    worst: tuple[float, str] = (0.0, "")
    for logical_id, pool in cloud.pools.items():
        reports = cloud.invocation_reports(logical_id)
        if not reports:
            table.add(folder_of(logical_id), 0, "—", pool.spec.memory_mb, "—")
            continue
        used = max(report.max_memory_used_mb for report in reports)
        ratio = used / pool.spec.memory_mb
        worst = max(worst, (ratio, folder_of(logical_id)))
        table.add(folder_of(logical_id), len(reports), used, pool.spec.memory_mb, ratio)
    result.tables.append(table)
    why = f"highest: {worst[1]}" + (f"; never ran: {', '.join(missing)}" if missing else "")
    result.goals.append(
        Goal(
            "peak memory ÷ MemorySize, worst function",
            worst[0] if worst[1] else None,
            MEMORY_GOAL,
            "",
            why=why,
        )
    )
