"""Part `seed` (issue 4): the seed's synchronous chain against this design, in one run.

Both designs do the same work on the same local cloud with the seed's latencies injected:
every confirmation email takes 200 ms (moto's SES, slowed in this process) and a real partner
on 127.0.0.1, subscribed to link.created, answers at once (healthy), after 800 ms (slow), or
503 (down). A fourth scenario takes the email service down instead.

- sync chain: `bench.sync_chain`, in-process: the create waits for every side effect, and fails
  when one fails. It pays no HTTP or API emulation cost, which only flatters it.
- this design: POST /links over HTTP through the local cloud (authorizer, API function); the
  side effects follow through the stream, the pipe, the bus and the queues.

Creates of this design are paced at a fixed rate in every scenario, so that each scenario's
creates run beside the same pipeline load, after an untimed warm-up of every scenario (so the
function pools have scaled); the scenarios take turns in rounds, in a rotating order, so that
whatever else the machine does hits them alike. Pipeline lag is measured afterwards, on a
drained pipeline with the partner healthy, one link at a time: from the 201 to the last of the
five effects' status times and the partner's receipt of the webhook.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.faults import ses_behaviour
from bench.measure import RATIO, Goal, Summary, Table, elapsed_ms, wait_until
from bench.partner import Health, Partner
from bench.report import DOCS, PartResult
from bench.stack import Api, BenchStack, stdout_silenced

EMAIL_DELAY_S = 0.2
ASYNC_PER_SCENARIO = 32
ROUNDS = 4
SYNC_PER_SCENARIO = 12
EMAIL_DOWN_SHARE = 2  # half a scenario's creates: the goals only need its success rate
# What the pipeline keeps up with on 2 shared cores: each create costs its five consumers and
# the delivery most of a second of CPU on the same cores, so a faster pace would measure the
# creates beside a saturated machine and a growing backlog rather than beside a pipeline.
ASYNC_PACE_S = 1.0
WARMUP_CREATES = 4
LAG_LINKS = 12
LAG_TIMEOUT_S = 20
DRAIN_TIMEOUT_S = 30
PLOT = DOCS / "benchmarks-seed.png"
EFFECTS = ("qr", "stats", "email", "webhooks", "cdn")
FINISHED = ("done", "skipped")


@dataclass(frozen=True)
class Scenario:
    name: str
    partner: Health
    email_down: bool = False


HEALTHY = Scenario("partner healthy", "healthy")
SLOW = Scenario("partner slow (800 ms)", "slow")
PARTNER_DOWN = Scenario("partner down (503)", "down")
EMAIL_DOWN = Scenario("email service down", "healthy", email_down=True)
SCENARIOS = (HEALTHY, SLOW, PARTNER_DOWN, EMAIL_DOWN)
IN_ROUNDS = (HEALTHY, SLOW, PARTNER_DOWN)  # the goals compare these; email down runs last


@dataclass
class Creates:
    """One design's creates in one scenario: each latency, and whether it succeeded."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def success_rate(self) -> float:
        total = len(self.latencies_ms)
        return 100.0 * (total - self.failures) / total if total else 0.0

    def summary(self) -> Summary:
        return Summary.of(self.latencies_ms)


def run(stack: BenchStack) -> PartResult:
    result = PartResult(
        "seed",
        "The seed's comparison: synchronous chain vs this design (issue 4)",
        description=__doc__ or "",
    )
    api = stack.api()
    started_at = time.time()
    probes = [_transaction_probe(stack)]
    with Partner() as partner, ses_behaviour(delay_s=EMAIL_DELAY_S):
        subscribed = api.request(
            "POST", "/webhooks", json={"url": partner.url, "events": ["link.created"]}
        )
        subscribed.raise_for_status()
        comparison = Comparison(stack, api, partner)
        try:
            comparison.warm_up()
            comparison.rounds()
            print("seed: pipeline lag ...", file=sys.stderr, flush=True)
            _drain(stack)
            lags = _pipeline_lags(api, partner)
            # Last: failed emails stay in flight for the queue's visibility timeout, and no
            # later drain should wait for them.
            comparison.block(EMAIL_DOWN, share=EMAIL_DOWN_SHARE)
        finally:
            partner.health = "healthy"
            api.request("DELETE", f"/webhooks/{subscribed.json()['id']}")
    probes.append(_transaction_probe(stack))
    sync, asynchronous = comparison.sync, comparison.asynchronous
    _tables_and_goals(result, sync, asynchronous, lags)
    result.tables.append(_where_the_time_goes(stack, started_at, probes))
    _plot(sync, asynchronous)
    result.images.append(PLOT.name)
    return result


def _transaction_probe(stack: BenchStack) -> tuple[int, float]:
    """The Links table's item count, and what one TransactWriteItems on it costs in moto (the
    stats consumer writes one per event): moto copies the whole table for every transaction,
    holding the interpreter lock of the process that also serves the API."""
    dynamodb = stack.client("dynamodb")
    table = stack.cloud.physical_id("LinksTable")
    items = int(dynamodb.scan(TableName=table, Select="COUNT")["Count"])
    probe = {"pk": {"S": f"bench-probe#{time.time_ns()}"}, "sk": {"S": "probe"}}
    spent = elapsed_ms(
        lambda: dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": probe}}]
        )
    )
    return items, spent


def _where_the_time_goes(stack: BenchStack, since: float, probes: list[tuple[int, float]]) -> Table:
    table = Table(
        "Where the time goes: each function's invocations during this part, and moto's cost "
        "of one transaction on the Links table at the part's start and end",
        ["what", "n", "p50 ms", "p95 ms"],
    )
    for logical_id in stack.cloud.pools:
        durations = [
            report.duration_ms
            for report in stack.cloud.invocation_reports(logical_id)
            if report.started_at >= since
        ]
        if durations:
            summary = Summary.of(durations)
            table.add(logical_id, summary.n, summary.p50, summary.p95)
    for when, (items, spent) in zip(("start", "end"), probes, strict=True):
        table.add(f"moto TransactWriteItems, {items} items in Links ({when})", 1, spent, "")
    return table


def _drain(stack: BenchStack) -> None:
    """Wait (bounded) until the consumer queues are empty, so lag is measured without backlog."""
    sqs = stack.client("sqs")
    cloud = stack.cloud
    urls = [
        cloud.physical_id(queue)
        for queue in ("QrQueue", "StatsQueue", "EmailQueue", "WebhooksQueue", "CdnQueue")
    ]

    def empty() -> bool:
        for url in urls:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            if int(attributes["ApproximateNumberOfMessages"]) or int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            ):
                return False
        return True

    wait_until(empty, timeout_s=DRAIN_TIMEOUT_S, interval_s=0.5)


@contextmanager
def _conditions(partner: Partner, scenario: Scenario) -> Iterator[None]:
    partner.health = scenario.partner
    with ExitStack() as stack:
        if scenario.email_down:
            # Replaces the 200 ms behaviour for the block: 200 ms, then a 503.
            stack.enter_context(ses_behaviour(delay_s=EMAIL_DELAY_S, down=True))
        yield
    partner.health = "healthy"


class Comparison:
    """Both designs' creates, scenario by scenario, on one local cloud."""

    def __init__(self, stack: BenchStack, api: Api, partner: Partner) -> None:
        # Imported here: the shared code reads the table names when it is imported.
        from bench.sync_chain import create_with_every_effect
        from shortener import settings

        self.stack, self.api, self.partner = stack, api, partner
        self.sync = {s.name: Creates() for s in SCENARIOS}
        self.asynchronous = {s.name: Creates() for s in SCENARIOS}
        self._chain = create_with_every_effect
        self._own_origins = [urlsplit(settings.short_base_url()).netloc]
        self._counter = iter(range(1_000_000))

    def sync_create(self) -> None:
        url = f"https://example.com/s/{next(self._counter)}"
        self._chain(self.stack.owner, url, self._own_origins)

    def async_create(self) -> None:
        response = self.api.create_link(f"https://example.com/a/{next(self._counter)}")
        if response.status_code != 201:
            raise RuntimeError(f"POST /links answered {response.status_code}")

    def warm_up(self) -> None:
        """Each scenario once, untimed, so that every pool has scaled to what it needs (a slow
        partner keeps more deliverer workers busy, and a new worker's cold start would land on
        the creates of whichever scenario first needs it)."""
        print("seed: warm-up ...", file=sys.stderr, flush=True)
        for scenario in IN_ROUNDS:
            with _conditions(self.partner, scenario), stdout_silenced():
                _timed(self.async_create, Creates(), WARMUP_CREATES, ASYNC_PACE_S)
                _timed(self.sync_create, Creates(), 1, 0.0)

    def rounds(self) -> None:
        """The compared scenarios in rounds, each round in a rotated order: the local cloud
        slows as its tables grow, and no scenario may always come first."""
        blocks = [
            IN_ROUNDS[(start + offset) % len(IN_ROUNDS)]
            for start in range(ROUNDS)
            for offset in range(len(IN_ROUNDS))
        ]
        for number, scenario in enumerate(blocks, start=1):
            print(f"seed: block {number}/{len(blocks)}, {scenario.name}", file=sys.stderr)
            self.block(scenario)

    def block(self, scenario: Scenario, share: int = ROUNDS) -> None:
        """1/share of a scenario's creates, this design's first, on a drained pipeline (so
        that no block inherits another's backlog)."""
        _drain(self.stack)
        with _conditions(self.partner, scenario), stdout_silenced():
            creates = self.asynchronous[scenario.name]
            _timed(self.async_create, creates, ASYNC_PER_SCENARIO // share, ASYNC_PACE_S)
            _timed(self.sync_create, self.sync[scenario.name], SYNC_PER_SCENARIO // share, 0.0)


def _timed(create: Callable[[], None], into: Creates, count: int, pace_s: float) -> None:
    """`count` creates, one starting every `pace_s` seconds at most (open loop when 0)."""
    for _ in range(count):
        started = time.perf_counter()
        failed = False

        def attempt() -> None:
            nonlocal failed
            try:
                create()
            except Exception:  # a failed create is what the scenario measures
                failed = True

        into.latencies_ms.append(elapsed_ms(attempt))
        into.failures += failed
        idle = pace_s - (time.perf_counter() - started)
        if idle > 0:
            time.sleep(idle)  # pacing the load, not waiting for a result


def _pipeline_lags(api: Api, partner: Partner) -> list[float]:
    """Seconds from each 201 to the last of its five effects' status times and the partner's
    receipt of its webhook, one link at a time on a quiet pipeline; links that did not settle
    within the bound are left out (and counted in the table's n)."""
    lags = []
    for number in range(LAG_LINKS):
        response = api.create_link(f"https://example.com/lag/{number}")
        answered_at = time.time()
        response.raise_for_status()
        code = response.json()["code"]

        def settled(code: str = code) -> list[float] | None:
            arrived = partner.arrived_at(code)
            effects = api.effects(code)
            if arrived is None or any(effects[n]["state"] not in FINISHED for n in EFFECTS):
                return None
            return [
                arrived,
                *(datetime.fromisoformat(effects[n]["updated_at"]).timestamp() for n in EFFECTS),
            ]

        # The lag comes from the effects' own status times, so the polling pace costs no accuracy.
        finished = wait_until(settled, timeout_s=LAG_TIMEOUT_S, interval_s=0.2)
        if finished is not None:
            lags.append(max(finished) - answered_at)
    return lags


def _tables_and_goals(
    result: PartResult,
    sync: dict[str, Creates],
    asynchronous: dict[str, Creates],
    lags: list[float],
) -> None:
    table = Table(
        "Create latency and success, by design and scenario (email always 200 ms)",
        ["design", "scenario", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "success"],
    )
    for design, runs in (("sync chain", sync), ("this design (HTTP)", asynchronous)):
        for scenario in SCENARIOS:
            creates = runs[scenario.name]
            summary = creates.summary()
            table.add(
                design,
                scenario.name,
                summary.n,
                summary.p50,
                summary.p95,
                summary.p99,
                summary.max,
                f"{creates.success_rate:.0f}%",
            )
    result.tables.append(table)

    lag_table = Table(
        f"Pipeline lag of this design, partner healthy ({LAG_LINKS} links created one at a "
        "time): 201 to the last of the five effects done and the partner's receipt",
        ["links settled", "p50 s", "p95 s", "max s"],
    )
    if lags:
        summary = Summary.of(lags)
        lag_table.add(f"{summary.n} of {LAG_LINKS}", summary.p50, summary.p95, summary.max)
    result.tables.append(lag_table)

    healthy = asynchronous[HEALTHY.name].summary()
    down = asynchronous[PARTNER_DOWN.name].summary()
    slow_sync = sync[SLOW.name].summary()
    slow_async = asynchronous[SLOW.name].summary()
    success_while_down = min(asynchronous[s.name].success_rate for s in (PARTNER_DOWN, EMAIL_DOWN))
    result.goals += [
        Goal(
            "create p99 with the partner down ÷ healthy",
            down.p99 / healthy.p99,
            1.1,
            RATIO,
            why=f"p50 {down.p50:.1f} vs {healthy.p50:.1f} ms, p95 {down.p95:.0f} vs "
            f"{healthy.p95:.0f} ms, p99 {down.p99:.0f} vs {healthy.p99:.0f} ms (n={down.n} "
            "each, so p99 is about the slowest create). The create never touches the partner; "
            "what differs is the work beside it on the same 2 cores: a failing partner means "
            "retried deliveries (see the deliverer's invocations), and other jobs on the machine",
        ),
        Goal(
            "speed-up at p99 over the sync chain (seed's latencies: partner 800 ms)",
            slow_sync.p99 / slow_async.p99,
            20,
            RATIO,
            at_most=False,
            why=f"sync chain p99 {slow_sync.p99:.0f} ms (it waits for email 200 ms, partner "
            f"800 ms and the rest of the work) vs {slow_async.p99:.0f} ms for this design, whose "
            f"p50 is {slow_async.p50:.0f} ms: its tail is the load of the shared 2-core machine "
            "and of the pipeline running beside it on the same cores and in the same moto "
            "process (see the last table)",
        ),
        Goal(
            "creates that succeed while a consumer's dependency is down",
            success_while_down,
            100,
            "%",
            at_most=False,
            why="partner down (503) and email service down; the sync chain's rate is in the table",
        ),
        Goal(
            "pipeline lag p95 on the local cloud (partner healthy)",
            Summary.of(lags).p95 if len(lags) == LAG_LINKS else None,
            2,
            "s",
            why="one link at a time; the slowest consumers (QR rendering, the stats "
            "transaction) set it",
        ),
    ]


def _plot(sync: dict[str, Creates], asynchronous: dict[str, Creates]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, data = [], []
    for design, runs in (("sync chain", sync), ("this design", asynchronous)):
        for scenario in SCENARIOS:
            creates = runs[scenario.name]
            labels.append(f"{design}\n{scenario.name}\n{creates.success_rate:.0f}% succeed")
            data.append(creates.latencies_ms)
    figure, axes = plt.subplots(figsize=(11, 5.5))
    axes.boxplot(data, whis=(1, 99), showfliers=True)
    axes.set_xticks(range(1, len(labels) + 1), labels, fontsize=7)
    axes.set_yscale("log")
    axes.set_ylabel("create latency, ms (log scale)")
    axes.set_title(
        "POST /links latency: synchronous chain vs this design (email 200 ms; whiskers p1-p99)"
    )
    axes.grid(axis="y", which="both", alpha=0.3)
    figure.tight_layout()
    Path(PLOT).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=110)
    plt.close(figure)
