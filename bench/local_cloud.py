"""Part `localcloud` (issue 3): how fast the local cloud starts, what it adds, what it holds.

- Start to serving: `python -m localcloud` with synth (what `make run` runs once the venv, npm
  and the layer are in place), and with `--no-synth` on the same assembly, until the API answers
  a real route.
- API emulation overhead: GET /{code} over HTTP through the local cloud minus the same redirect
  handler called in-process, interleaved, both on the same moto.
- Stream to consumer: from a link's PutItem to each SQS consumer's invocation start, read from
  the local cloud's invocation reports (one link at a time).
- Memory: the resident memory of every process of a `python -m localcloud` (the server and
  every function's worker) after every function ran.
"""

from __future__ import annotations

import secrets
import sys
import time

import psutil

from bench.measure import (
    Goal,
    Summary,
    Table,
    interleaved,
    latency_table,
    median,
    percentile,
    wait_until,
)
from bench.partner import Partner
from bench.report import PartResult
from bench.stack import (
    Api,
    BenchStack,
    CloudProcess,
    LambdaContextStub,
    create_key,
    exercise_every_function,
    free_port,
    link_item,
    stdout_silenced,
)

NO_SYNTH_STARTS = 3
OVERHEAD_ITERATIONS = 200
OVERHEAD_WARMUP = 20
STREAM_SAMPLES = 20
STREAM_TIMEOUT_S = 15
CONSUMERS = (
    "QrFunction",
    "StatsFunction",
    "EmailFunction",
    "WebhookDispatchFunction",
    "CdnFunction",
)
MB = 1024 * 1024


def run(stack: BenchStack) -> PartResult:
    result = PartResult("localcloud", "Local cloud (issue 3)", description=__doc__ or "")
    start_up_and_memory(stack, result)
    emulation_overhead(stack, result)
    stream_to_consumer(stack, result)
    return result


def start_up_and_memory(stack: BenchStack, result: PartResult) -> None:
    stack.cloud  # noqa: B018 (its first start measured the full path, synth included)
    print("localcloud: start-up and memory ...", file=sys.stderr, flush=True)
    starts: list[float] = []
    memory: dict[str, float] = {}
    for attempt in range(NO_SYNTH_STARTS):
        process = CloudProcess(free_port(), free_port(), synth=False)
        process.start()
        try:
            starts.append(process.seconds_to_serving())
            if attempt == NO_SYNTH_STARTS - 1:
                memory = _memory_when_every_function_ran(process)
        finally:
            process.stop()
    no_synth = median(starts)
    full = stack.full_start_seconds
    table = Table(
        "Start to serving (launch until the API answers GET /{code})",
        ["path", "seconds"],
        [
            ["`python -m localcloud` with synth (`make run`, warm venv)", full],
            [f"`python -m localcloud --no-synth` (median of {NO_SYNTH_STARTS})", no_synth],
            *[[f"  --no-synth run {i + 1}", value] for i, value in enumerate(starts)],
        ],
    )
    result.tables.append(table)
    result.goals.append(
        Goal(
            "`make run` to serving, warm venv (synth included)",
            full,
            15,
            "s",
            why=f"`cdk synth` (node + the CDK app in Python) takes most of it; without synth "
            f"the local cloud serves in {no_synth:.1f} s",
        )
    )
    mem_table = Table(
        "Resident memory of `python -m localcloud` with every function warm",
        ["process", "count", "RSS MB"],
        [[name, int(count), rss] for name, (count, rss) in _memory_rows(memory).items()],
    )
    result.tables.append(mem_table)
    total_gb = sum(memory.values()) / 1024
    result.goals.append(
        Goal(
            "memory of the whole local cloud, every function warm",
            total_gb,
            1.5,
            "GB",
            why="one server process (moto, API, pollers) and one worker per function",
        )
    )


def _memory_when_every_function_ran(process: CloudProcess) -> dict[str, float]:
    """RSS in MB per process of the local cloud, after traffic reached every function."""
    api = Api(process.api_url, create_key(process.aws_endpoint, f"benchmem{time.time_ns()}"))
    with Partner() as partner:
        exercise_every_function(api, partner.url, lambda name: name in process.reports())
    assert process.process is not None
    root = psutil.Process(process.process.pid)
    found = {f"server pid {root.pid}": root.memory_info().rss / MB}
    for child in root.children(recursive=True):
        try:
            found[f"worker pid {child.pid}"] = child.memory_info().rss / MB
        except psutil.NoSuchProcess:
            continue
    return found


def _memory_rows(memory: dict[str, float]) -> dict[str, tuple[float, float]]:
    server = [rss for name, rss in memory.items() if name.startswith("server")]
    workers = [rss for name, rss in memory.items() if name.startswith("worker")]
    return {
        "server (moto, API, pipes, SQS pollers)": (len(server), sum(server)),
        "function workers": (len(workers), sum(workers)),
        "total": (len(memory), sum(memory.values())),
    }


def emulation_overhead(stack: BenchStack, result: PartResult) -> None:
    print("localcloud: API emulation overhead ...", file=sys.stderr, flush=True)
    api = stack.api()
    code = f"bench-overhead-{secrets.token_hex(3)}"
    created = api.create_link("https://example.com/overhead", alias=code)
    created.raise_for_status()
    # The in-process handler reads the stream-less copy of the table: the same item goes there.
    item = stack.client("dynamodb").get_item(
        TableName=stack.cloud.physical_id("LinksTable"),
        Key={"pk": {"S": code}, "sk": {"S": "link"}},
    )["Item"]
    stack.client("dynamodb").put_item(TableName=stack.bench_links_table, Item=item)
    redirect = stack.handler("redirect")
    event = stack.api_event("GET", f"/{code}", authorized=False)
    context = LambdaContextStub("redirect", memory_limit_in_mb=256)
    public = Api(stack.cloud.api_url)

    def over_http() -> None:
        response = public.request("GET", f"/{code}")
        if response.status_code != 302:
            raise RuntimeError(f"GET /{code} answered {response.status_code}")

    with stdout_silenced():
        samples = interleaved(
            {
                "GET /{code} over HTTP via the local cloud": over_http,
                "redirect handler in-process": lambda: redirect(event, context),
            },
            iterations=OVERHEAD_ITERATIONS,
            warmup=OVERHEAD_WARMUP,
        )
    table = latency_table(
        f"API emulation overhead ({OVERHEAD_ITERATIONS} interleaved requests each)",
        "path",
        samples,
    )
    http_p50, direct_p50 = (median(values) for values in samples.values())
    table.add("difference (p50)", http_p50 - direct_p50, "", "")
    result.tables.append(table)
    result.goals.append(
        Goal(
            "latency the API emulation adds (p50)",
            http_p50 - direct_p50,
            5,
            "ms",
            why="HTTP parsing, routing, the proxy event, and a round trip to the worker process",
        )
    )


def stream_to_consumer(stack: BenchStack, result: PartResult) -> None:
    print("localcloud: stream record to SQS consumers ...", file=sys.stderr, flush=True)
    cloud = stack.cloud
    dynamodb = stack.client("dynamodb")
    links_table = cloud.physical_id("LinksTable")
    delays: dict[str, list[float]] = {name: [] for name in CONSUMERS}
    lost = 0
    for _ in range(STREAM_SAMPLES):
        code = "s" + secrets.token_hex(3)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        written_at = time.time()
        dynamodb.put_item(
            TableName=links_table,
            Item=link_item(code, stack.owner, "https://example.com/stream", now),
        )

        def first_starts(since: float = written_at) -> dict[str, float] | None:
            starts = {}
            for name in CONSUMERS:
                later = [
                    r.started_at for r in cloud.invocation_reports(name) if r.started_at >= since
                ]
                if not later:
                    return None
                starts[name] = min(later)
            return starts

        starts = wait_until(first_starts, timeout_s=STREAM_TIMEOUT_S, interval_s=0.005)
        if starts is None:
            lost += 1
            continue
        # A report is kept when its invocation ends: all five are done, the next sample
        # starts on a quiet pipeline.
        for name, started in starts.items():
            delays[name].append((started - written_at) * 1000)
    pooled = [value for values in delays.values() for value in values]
    table = Table(
        f"Stream record to SQS consumer invocation ({STREAM_SAMPLES} links written one at a "
        "time with a PutItem; from the write to each consumer's invocation start)",
        ["consumer", "n", "p50 ms", "p95 ms", "max ms"],
    )
    for name, values in delays.items():
        if values:
            summary = Summary.of(values)
            table.add(name, summary.n, summary.p50, summary.p95, summary.max)
    if pooled:
        summary = Summary.of(pooled)
        table.add("all consumers", summary.n, summary.p50, summary.p95, summary.max)
    result.tables.append(table)
    if lost:
        result.notes.append(f"{lost} of {STREAM_SAMPLES} records reached no consumer in time")
    result.goals.append(
        Goal(
            "stream record to its SQS consumer invoked (p95)",
            percentile(pooled, 95) if pooled else None,
            500,
            "ms",
            why="the pipe polls the stream, calls the enrichment, puts to the bus; EventBridge "
            "(moto) delivers to the queue; the mapping's long poll picks the message up",
        )
    )
