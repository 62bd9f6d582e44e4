"""Part `soak` (issue 13): a long `make run` session under load, and what it costs in memory.

- The local cloud runs as `make run` runs it: `python -m localcloud` in its own process (synth
  included), so the resident memory measured is the server's alone (moto, the API, the pipes,
  the SQS pollers), sampled every second with its workers' beside it.
- One owner subscribes a partner (a real HTTP receiver on 127.0.0.1) to every link event; the
  partner fails 30 % of deliveries with a 503, from a seeded generator.
- Waves of link changes: 500 creates, 100 updates and 50 deletes each (8 threads, over HTTP),
  `BENCH_SOAK_WAVES` waves (default 8: 5,200 changes). After each wave the pipeline is left to
  drain: drained means the stats consumer counted every change of the wave (`GET /stats`) and
  no work queue of the stack holds a message (visible, in flight or delayed) for 2 s.
- Then every event of the first wave is replayed from the bus's archive (`ops events replay`),
  and the pipeline drains again; every worker process is then killed (SIGKILL), and one more
  wave shows the session recovers.
- Create latency: 50 sequential `POST /links` on a quiet pipeline at the start, and again at
  the end; the ratio of the two medians shows whether the session slows down as it ages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
import psutil

from bench.measure import RATIO, Goal, Summary, Table, median, wait_until
from bench.partner import Partner
from bench.report import PartResult
from bench.stack import (
    NO_RETRIES,
    OPS,
    REGION,
    REPO_ROOT,
    TEST_CREDENTIALS,
    Api,
    BenchStack,
    CloudProcess,
    create_key,
    free_port,
)

CREATES, UPDATES, DELETES = 500, 100, 50
WAVES = int(os.environ.get("BENCH_SOAK_WAVES", "8"))
THREADS = 8
PROBE_CREATES = 50
PARTNER_FAILURE_RATE = 0.3
DRAIN_TIMEOUT_S = 900
QUIET_FOR_S = 2.0
SAMPLE_EVERY_S = 1.0
RSS_GOAL_GB = 2.0
MB = 1024 * 1024
LINK_EVENTS = ["link.created", "link.updated", "link.deleted"]


@dataclass
class RssSample:
    at_s: float
    phase: str
    server_mb: float
    workers_mb: float


@dataclass
class MemoryWatch:
    """The resident memory of the local cloud's server and of its workers, once a second."""

    pid: int
    samples: list[RssSample] = field(default_factory=list)
    phase: str = "start"
    _stop: threading.Event = field(default_factory=threading.Event)
    _started: float = field(default_factory=time.monotonic)

    def __enter__(self) -> MemoryWatch:
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    def _watch(self) -> None:
        server = psutil.Process(self.pid)
        while not self._stop.wait(SAMPLE_EVERY_S):
            try:
                server_mb = server.memory_info().rss / MB
            except psutil.NoSuchProcess:
                return
            workers_mb = 0.0
            for child in server.children(recursive=True):
                try:
                    workers_mb += child.memory_info().rss / MB
                except psutil.NoSuchProcess:
                    continue
            self.samples.append(
                RssSample(time.monotonic() - self._started, self.phase, server_mb, workers_mb)
            )

    def peak_mb(self, phase: str | None = None) -> float:
        chosen = [s.server_mb for s in self.samples if phase is None or s.phase == phase]
        return max(chosen, default=float("nan"))

    def last_mb(self, phase: str) -> float:
        chosen = [s.server_mb for s in self.samples if s.phase == phase]
        return chosen[-1] if chosen else float("nan")


@dataclass
class Tally:
    """What the owner has changed so far, as the stats consumer should count it."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    refused: Counter[str] = field(default_factory=Counter)


class Soak:
    def __init__(self, process: CloudProcess, partner: Partner) -> None:
        self.process = process
        self.partner = partner
        owner = f"soak{time.strftime('%H%M%S')}"
        self.api = Api(process.api_url, create_key(process.aws_endpoint, owner))
        self.tally = Tally()
        session = boto3.session.Session(region_name=REGION, **_boto_credentials())
        self.sqs = session.client("sqs", endpoint_url=process.aws_endpoint, config=NO_RETRIES)
        self._work_queues, self._dead_letter_queues = self._classify_queues()

    def subscribe(self) -> None:
        answer = self.api.request(
            "POST", "/webhooks", json={"url": self.partner.url, "events": LINK_EVENTS}
        )
        answer.raise_for_status()

    def _classify_queues(self) -> tuple[list[str], list[str]]:
        """Work queues (those with a redrive policy) and the dead-letter queues they feed."""
        work: list[str] = []
        dead: list[str] = []
        for url in self.sqs.list_queues().get("QueueUrls", []):
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["RedrivePolicy"]
            ).get("Attributes", {})
            (work if "RedrivePolicy" in attributes else dead).append(url)
        return work, dead

    def _messages(self, urls: list[str]) -> int:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        total = 0
        for url in urls:
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)
            total += sum(int(attributes["Attributes"].get(name, 0)) for name in names)
        return total

    def dead_lettered(self) -> int:
        return self._messages(self._dead_letter_queues)

    def _counted(self) -> Tally:
        answer = self.api.request("GET", "/stats")
        answer.raise_for_status()
        days = answer.json()["days"]
        return Tally(
            created=sum(day["created"] for day in days),
            updated=sum(day["updated"] for day in days),
            deleted=sum(day["deleted"] for day in days),
        )

    def wait_drained(self, started: float, *, count_stats: bool = True) -> float | None:
        """Seconds from `started` until the pipeline is drained (see the module), or None."""
        quiet_since: float | None = None

        def drained() -> bool:
            nonlocal quiet_since
            if count_stats:
                counted = self._counted()
                expected = self.tally
                if (counted.created, counted.updated, counted.deleted) != (
                    expected.created,
                    expected.updated,
                    expected.deleted,
                ):
                    quiet_since = None
                    return False
            if self._messages(self._work_queues):
                quiet_since = None
                return False
            now = time.monotonic()
            quiet_since = quiet_since or now
            return now - quiet_since >= QUIET_FOR_S

        if not wait_until(drained, timeout_s=DRAIN_TIMEOUT_S, interval_s=0.25):
            return None
        assert quiet_since is not None
        return quiet_since - started

    def wave(self, number: int) -> tuple[list[float], float]:
        """One wave of changes; create latencies (ms) and the seconds its writes took."""
        started = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            created = list(pool.map(lambda i: self._create(f"w{number}-{i}"), range(CREATES)))
            codes = [code for code, _ in created if code]
            list(pool.map(self._update, codes[:UPDATES]))
            list(pool.map(self._delete, codes[UPDATES : UPDATES + DELETES]))
        return [ms for _, ms in created], time.monotonic() - started

    def _create(self, label: str) -> tuple[str | None, float]:
        started = time.perf_counter()
        answer = self.api.create_link(f"https://example.com/soak/{label}")
        took = (time.perf_counter() - started) * 1000
        if answer.status_code != 201:
            self.tally.refused[f"POST {answer.status_code}"] += 1
            return None, took
        self.tally.created += 1
        return str(answer.json()["code"]), took

    def _update(self, code: str) -> None:
        answer = self.api.request(
            "PATCH", f"/links/{code}", json={"url": f"https://example.com/soak/{code}/v2"}
        )
        if answer.status_code == 200:
            self.tally.updated += 1
        else:
            self.tally.refused[f"PATCH {answer.status_code}"] += 1

    def _delete(self, code: str) -> None:
        status = self.api.request("DELETE", f"/links/{code}").status_code
        if status == 204:
            self.tally.deleted += 1
        else:
            self.tally.refused[f"DELETE {status}"] += 1

    def probe(self) -> list[float]:
        """Create latencies (ms) of sequential creates, on a pipeline that was quiet."""
        return [ms for _, ms in (self._create(f"probe-{i}") for i in range(PROBE_CREATES))]

    def replay(self, since: datetime, until: datetime) -> None:
        """`ops events replay` of the archive's events between the two times, to its end."""
        completed = subprocess.run(
            [*OPS, "events", "replay", "--from", _iso(since), "--to", _iso(until), "--json"],
            cwd=REPO_ROOT,
            env={**os.environ, **TEST_CREDENTIALS, "AWS_ENDPOINT_URL": self.process.aws_endpoint},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"ops events replay failed: {completed.stderr or completed.stdout}")
        state = json.loads(completed.stdout)["state"]
        if state != "COMPLETED":
            raise RuntimeError(f"the replay ended {state}")

    def kill_workers(self) -> int:
        assert self.process.process is not None
        killed = 0
        for child in psutil.Process(self.process.process.pid).children(recursive=True):
            if "_runtime.py" in " ".join(child.cmdline()):
                os.kill(child.pid, signal.SIGKILL)
                killed += 1
        return killed


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def _served_local_cloud() -> Iterator[CloudProcess]:
    process = CloudProcess(free_port(), free_port(), synth=True)
    process.start()
    try:
        process.seconds_to_serving()
        yield process
    finally:
        process.stop()


def run(stack: BenchStack) -> PartResult:
    """The soak runs its own `python -m localcloud`; the shared in-process stack stays idle."""
    del stack
    result = PartResult("soak", "A long local session under load (issue 13)", description=__doc__)
    with _served_local_cloud() as process, Partner(PARTNER_FAILURE_RATE, seed=13) as partner:
        assert process.process is not None
        with MemoryWatch(process.process.pid) as memory:
            _soak(Soak(process, partner), memory, result, log=_progress)
    return result


def _progress(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


def _soak(soak: Soak, memory: MemoryWatch, result: PartResult, log: Callable[[str], None]) -> None:
    soak.subscribe()
    memory.phase = "probe at start"
    start_probe = soak.probe()
    if soak.wait_drained(time.monotonic()) is None:
        raise RuntimeError("the pipeline did not drain after the first probe")
    waves = Table(
        "Waves of link changes (500 creates, 100 updates, 50 deletes each; 8 client threads)",
        ["phase", "writes s", "create p50 ms", "drain s", "server RSS MB at end", "peak MB"],
    )
    drains: list[float] = []
    replay_drain: float | None = None
    for number in range(1, WAVES + 1):
        memory.phase = f"wave {number}"
        began = datetime.now(UTC)
        started = time.monotonic()
        latencies, writes_s = soak.wave(number)
        drain = soak.wait_drained(started)
        ended = datetime.now(UTC)
        if drain is not None:
            drains.append(drain)
        _add_row(waves, memory, f"wave {number}", writes_s, median(latencies), drain)
        log(f"wave {number}: drained in {drain} s, server {memory.last_mb(memory.phase):.0f} MB")
        if number == 1:
            replay_drain = _replay(soak, memory, waves, began, ended)
            log(f"replay: drained in {replay_drain} s")
    memory.phase = "workers killed, one more wave"
    killed = soak.kill_workers()
    started = time.monotonic()
    latencies, writes_s = soak.wave(WAVES + 1)
    recovered = soak.wait_drained(started)
    _add_row(
        waves, memory, f"after SIGKILL of {killed} workers", writes_s, median(latencies), recovered
    )
    memory.phase = "probe at end"
    end_probe = soak.probe()
    soak.wait_drained(time.monotonic())
    _record(soak, memory, result, waves, start_probe, end_probe, drains, replay_drain)


def _add_row(
    waves: Table,
    memory: MemoryWatch,
    label: str,
    writes_s: float | str,
    create_p50_ms: float | str,
    drain_s: float | None,
) -> None:
    drained = drain_s if drain_s is not None else "not drained"
    peak, last = memory.peak_mb(memory.phase), memory.last_mb(memory.phase)
    waves.add(label, writes_s, create_p50_ms, drained, last, peak)


def _replay(
    soak: Soak, memory: MemoryWatch, waves: Table, began: datetime, ended: datetime
) -> float | None:
    """Replay the archive after the first wave (moto replays the whole archive, whatever the
    window: here, the first wave's events and the probe's)."""
    memory.phase = "archive replay"
    started = time.monotonic()
    soak.replay(began, ended)
    drain = soak.wait_drained(started, count_stats=False)
    _add_row(waves, memory, "archive replay after wave 1", "", "", drain)
    return drain


def _record(
    soak: Soak,
    memory: MemoryWatch,
    result: PartResult,
    waves: Table,
    start_probe: list[float],
    end_probe: list[float],
    drains: list[float],
    replay_drain: float | None,
) -> None:
    start, end = Summary.of(start_probe), Summary.of(end_probe)
    changes = soak.tally.created + soak.tally.updated + soak.tally.deleted
    result.goals += [
        Goal(
            "server RSS, whole session (peak)",
            memory.peak_mb() / 1024,
            RSS_GOAL_GB,
            "GB",
            why=f"{changes} link changes, a replay and a worker kill; sampled every second",
        ),
        Goal(
            "create p50 at the end ÷ at the start",
            end.p50 / start.p50,
            1.5,
            RATIO,
            why=f"{PROBE_CREATES} sequential creates each: {start.p50:.1f} ms at the start, "
            f"{end.p50:.1f} ms at the end",
        ),
        Goal(
            "drain of one wave (650 changes, 30 % partner faults), slowest wave",
            max(drains) if drains else None,
            60,
            "s",
            why="from the wave's first write until every effect is done or dead-lettered",
        ),
    ]
    result.tables.append(waves)
    result.tables.append(
        Table(
            f"Create latency ({PROBE_CREATES} sequential POST /links, quiet pipeline)",
            ["when", "p50 ms", "p95 ms", "max ms"],
            [["start", start.p50, start.p95, start.max], ["end", end.p50, end.p95, end.max]],
        )
    )
    result.tables.append(_rss_over_time(memory))
    result.notes.append(
        f"partner answers: {dict(sorted(soak.partner.answered.items()))}; "
        f"messages in dead-letter queues at the end: {soak.dead_lettered()}; "
        f"writes refused: {dict(soak.tally.refused) or 'none'}; replay drain: {replay_drain} s"
    )


def _rss_over_time(memory: MemoryWatch, rows: int = 20) -> Table:
    table = Table("Server RSS over time", ["t s", "phase", "server MB", "workers MB"])
    samples = memory.samples
    step = max(1, len(samples) // rows)
    for sample in [*samples[::step], *samples[-1:]]:
        table.add(sample.at_s, sample.phase, sample.server_mb, sample.workers_mb)
    return table
