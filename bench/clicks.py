"""Part `clicks` (issue 9): what counting clicks costs a redirect, and how fast clicks count.

1. Redirect latency through the local CDN in three states, in rotating blocks of links (each
   followed twice: a miss, then a hit), so that every state sees the same machine load:
   "stopped" (the CDN emits no real-time log record), "logging" (records are made, buffered
   and sent to the stream, the consumer is paused) and "running" (the whole pipeline: the
   consumer counts while the redirects are served). After each block the consumer catches up
   before the next block starts, so no block pays for another's clicks.
2. Clicks per second: a burst of cache hits on a few links from several threads, timed from
   the first click until `GET /links/{code}/clicks` counts every one of them.
3. Click-to-counted lag: single clicks, each on a fresh link, timed from the redirect's answer
   until the click shows in `GET /links/{code}/clicks` (polled every 50 ms).

Every click uses a browser User-Agent, so that it counts as a human click.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import requests

from bench.measure import Goal, Summary, Table, median, wait_until
from bench.report import PartResult
from bench.stack import HTTP_TIMEOUT_S, Api, BenchStack, stdout_silenced
from localcloud import LocalCloud

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
STATES = ("stopped", "logging", "running")
BLOCKS = 12  # rotating through STATES
LINKS_PER_BLOCK = 20
DRAIN_TIMEOUT_S = 120
BURST_LINKS = 4
BURST_CLICKS = 800
BURST_THREADS = 8
LAG_CLICKS = 20
COUNT_TIMEOUT_S = 120


def run(stack: BenchStack) -> PartResult:
    result = PartResult("clicks", "Click analytics pipeline (issue 9)", description=__doc__ or "")
    cloud = stack.cloud
    api = stack.api()
    session = requests.Session()
    session.headers["User-Agent"] = BROWSER
    print(f"clicks: {BLOCKS} blocks of {LINKS_PER_BLOCK} links in 3 states", file=sys.stderr)
    samples: dict[str, list[float]] = {
        f"{state} {kind}": [] for state in STATES for kind in ("miss", "hit")
    }
    codes = _links(api, BLOCKS * LINKS_PER_BLOCK, "latency")
    # The new links' side effects (QR images, emails, webhooks ...) would load the machine
    # during the first blocks only, which all fall to one state: measure once they are done.
    _wait_for_effects(api, codes)
    pipeline = _Pipeline(cloud)
    with stdout_silenced():
        for block in range(BLOCKS):
            state = STATES[block % len(STATES)]
            pipeline.set(state)
            for code in codes[block * LINKS_PER_BLOCK : (block + 1) * LINKS_PER_BLOCK]:
                for kind in ("miss", "hit"):
                    samples[f"{state} {kind}"].append(_timed_click(session, cloud.cdn_url, code))
            pipeline.set("running")
            pipeline.drain()
    table = Table(
        f"GET /{{code}} through the CDN, {BLOCKS // len(STATES)} blocks of {LINKS_PER_BLOCK} "
        "links per state",
        ["pipeline", "p50 ms", "p95 ms"],
    )
    for name, values in samples.items():
        summary = Summary.of(values)
        table.add(name, summary.p50, summary.p95)
    ratios = {
        (state, kind): median(samples[f"{state} {kind}"]) / median(samples[f"stopped {kind}"])
        for state in ("logging", "running")
        for kind in ("miss", "hit")
    }
    for (state, kind), ratio in ratios.items():
        table.add(f"{state} ÷ stopped, {kind} (p50)", ratio, "")
    result.tables.append(table)
    result.goals += [
        Goal(
            f"redirect, pipeline running ÷ stopped, {kind} (p50)",
            ratios[("running", kind)],
            1.05,
            "x",
            why="the edge only puts the record in a bounded buffer; a background thread sends "
            "it, and the consumer counts elsewhere",
        )
        for kind in ("miss", "hit")
    ]

    rate, burst_seconds = _burst(api, session, cloud.cdn_url)
    lags = _lags(api, session, cloud.cdn_url)
    summary = Summary.of(lags)
    result.tables.append(
        Table(
            "Clicks counted",
            ["measure", "value"],
            [
                [
                    f"{BURST_CLICKS} cached clicks ({BURST_THREADS} threads) to all counted, s",
                    burst_seconds,
                ],
                ["clicks per second, sent to counted", rate],
                [f"click to counted, p50 s ({LAG_CLICKS} clicks, one at a time)", summary.p50],
                ["click to counted, p95 s", summary.p95],
                ["click to counted, max s", summary.max],
            ],
        )
    )
    assert cloud.realtime_logs is not None
    dropped = sum(sender.dropped for sender in cloud.realtime_logs.senders)
    result.notes.append(f"real-time log records dropped by the CDN's buffer: {dropped}")
    result.goals.append(
        Goal(
            "click to counted (p95)",
            summary.p95,
            5,
            "s",
            why="the mapping's 1 s batching window, a 0.2 s shard poll, one invocation and "
            "its counter transaction",
        )
    )
    return result


class _Pipeline:
    """The click pipeline's switches: the CDN's emission, and the Kinesis mappings."""

    def __init__(self, cloud: LocalCloud) -> None:
        assert cloud.cdn is not None
        assert cloud.realtime_logs is not None
        self._observers = cloud.cdn.edge.observers
        self._emit = cloud.realtime_logs.observe
        self._senders = cloud.realtime_logs.senders
        self._pollers = cloud.stream_pollers

    def set(self, state: str) -> None:
        if state == "stopped" and self._emit in self._observers:
            self._observers.remove(self._emit)
        if state != "stopped" and self._emit not in self._observers:
            self._observers.append(self._emit)
        for poller in self._pollers:
            if state == "logging":
                poller.pause()
            else:
                poller.resume()

    def drain(self) -> None:
        """Until every record sent has been handed to the consumer and handled."""

        def caught_up() -> bool:
            sent = sum(sender.sent + sender.pending() for sender in self._senders)
            delivered = sum(p.records_delivered + p.records_dead_lettered for p in self._pollers)
            return delivered >= sent

        if not wait_until(caught_up, timeout_s=DRAIN_TIMEOUT_S, interval_s=0.1):
            raise RuntimeError("the clicks consumer did not catch up with the stream")


def _links(api: Api, count: int, tag: str) -> list[str]:
    codes = []
    for n in range(count):
        created = api.create_link(f"https://example.com/clicks-bench/{tag}/{n}")
        created.raise_for_status()
        codes.append(str(created.json()["code"]))
    return codes


def _wait_for_effects(api: Api, codes: list[str]) -> None:
    def settled(code: str) -> bool:
        return all(effect.get("state") != "pending" for effect in api.effects(code).values())

    for code in (codes[-1], *codes):  # the newest first: when it is done, most others are
        if not wait_until(partial(settled, code), timeout_s=DRAIN_TIMEOUT_S, interval_s=0.2):
            raise RuntimeError(f"the side effects of {code} did not finish")


def _click(session: requests.Session, cdn_url: str, code: str) -> None:
    answer = session.get(f"{cdn_url}/{code}", allow_redirects=False, timeout=HTTP_TIMEOUT_S)
    if answer.status_code != 302:
        raise RuntimeError(f"GET /{code} answered {answer.status_code}: {answer.text[:200]}")


def _timed_click(session: requests.Session, cdn_url: str, code: str) -> float:
    started = time.perf_counter()
    _click(session, cdn_url, code)
    return (time.perf_counter() - started) * 1000


def _counted(api: Api, code: str) -> int:
    answer = api.request("GET", f"/links/{code}/clicks")
    answer.raise_for_status()
    return int(answer.json()["totals"]["clicks"])


def _counted_once(api: Api, code: str) -> Callable[[], bool]:
    return lambda: _counted(api, code) >= 1


def _burst(api: Api, session: requests.Session, cdn_url: str) -> tuple[float, float]:
    codes = _links(api, BURST_LINKS, "burst")
    for code in codes:
        _click(session, cdn_url, code)  # cached from here on
    print(f"clicks: a burst of {BURST_CLICKS} clicks ...", file=sys.stderr)
    sessions = [requests.Session() for _ in range(BURST_THREADS)]
    for each in sessions:
        each.headers["User-Agent"] = BROWSER
    started = time.perf_counter()
    with ThreadPoolExecutor(BURST_THREADS) as pool:
        list(
            pool.map(
                lambda n: _click(sessions[n % BURST_THREADS], cdn_url, codes[n % BURST_LINKS]),
                range(BURST_CLICKS),
            )
        )
    expected = 1 + BURST_CLICKS // BURST_LINKS

    def all_counted() -> bool:
        return all(_counted(api, code) >= expected for code in codes)

    if not wait_until(all_counted, timeout_s=COUNT_TIMEOUT_S, interval_s=0.2):
        raise RuntimeError("the burst's clicks were not all counted")
    seconds = time.perf_counter() - started
    return BURST_CLICKS / seconds, seconds


def _lags(api: Api, session: requests.Session, cdn_url: str) -> list[float]:
    print(f"clicks: {LAG_CLICKS} clicks, each until counted ...", file=sys.stderr)
    lags = []
    for code in _links(api, LAG_CLICKS, "lag"):
        _click(session, cdn_url, code)
        clicked = time.perf_counter()
        if not wait_until(_counted_once(api, code), timeout_s=COUNT_TIMEOUT_S, interval_s=0.05):
            raise RuntimeError(f"the click on /{code} was not counted")
        lags.append(time.perf_counter() - clicked)
    return lags
