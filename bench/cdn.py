"""Part `cdn` (issue 8): what the CDN's cache saves a click on the local cloud.

Links are created through the API, then each short URL is followed through the CDN twice,
interleaved link by link: the first request is a miss (the edge asks the API, whose redirect
function makes one GetItem), the second a hit (the edge answers from its cache). The same
redirect asked of the API directly shows what the edge itself adds to a miss. Every answer is
checked (302, and the X-Cache the row claims).

Then a few cached links are PATCHed to a new target, one at a time, and the CDN is asked every
50 ms until it redirects to the new target: the time from the PATCH's 200 to that answer is
the whole asynchronous path (stream, pipe, bus, the cdn consumer's invalidation).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import requests

from bench.measure import Goal, Summary, Table, elapsed_ms, median, wait_until
from bench.report import PartResult
from bench.stack import HTTP_TIMEOUT_S, Api, BenchStack, stdout_silenced

LINKS = 200
WARMUP = 10
PATCHES = 10
PATCH_TIMEOUT_S = 60


def run(stack: BenchStack) -> PartResult:
    result = PartResult("cdn", "CDN hit vs miss (issue 8)", description=__doc__ or "")
    cloud = stack.cloud
    api = stack.api()
    print(f"cdn: {LINKS + WARMUP} links, each followed through the CDN twice ...", file=sys.stderr)
    codes = []
    for n in range(LINKS + WARMUP):
        created = api.create_link(f"https://example.com/cdn-bench/{n}")
        created.raise_for_status()
        codes.append(str(created.json()["code"]))
    session = requests.Session()
    samples: dict[str, list[float]] = {"CDN miss": [], "CDN hit": [], "API directly": []}
    with stdout_silenced():
        for n, code in enumerate(codes):
            timed = {
                "CDN miss": _follow(session, f"{cloud.cdn_url}/{code}", "Miss"),
                "CDN hit": _follow(session, f"{cloud.cdn_url}/{code}", "Hit"),
                "API directly": _follow(session, f"{cloud.api_url}/{code}", None),
            }
            for name, call in timed.items():
                took = elapsed_ms(call)
                if n >= WARMUP:
                    samples[name].append(took)
    table = Table(
        f"GET /{{code}}, {LINKS} links, each followed in this order (after {WARMUP} warm-up links)",
        ["request", "p50 ms", "p95 ms", "p99 ms"],
    )
    for name, values in samples.items():
        summary = Summary.of(values)
        table.add(name, summary.p50, summary.p95, summary.p99)
    hit, miss = median(samples["CDN hit"]), median(samples["CDN miss"])
    table.add("hit ÷ miss (p50)", hit / miss, "", "")
    table.add("edge's own cost on a miss (p50, miss - API directly)",
              miss - median(samples["API directly"]), "", "")  # fmt: skip
    result.tables.append(table)
    result.goals += [
        Goal(
            "CDN hit latency (p50)",
            hit,
            5,
            "ms",
            why="a hit is answered from the edge cache: no API Gateway, no function, no DynamoDB",
        ),
        Goal(
            "CDN hit ÷ miss (p50)",
            hit / miss,
            0.5,
            "x",
            why="a miss adds the origin's whole path: the local API Gateway, the redirect "
            "function's worker and its GetItem",
        ),
    ]
    patch_to_cdn(result, api, cloud.cdn_url, codes[:PATCHES], session)
    return result


def patch_to_cdn(
    result: PartResult, api: Api, cdn_url: str, codes: list[str], session: requests.Session
) -> None:
    print(f"cdn: {len(codes)} PATCHes, each until the CDN redirects anew ...", file=sys.stderr)
    seconds: list[float] = []
    for n, code in enumerate(codes):
        target = f"https://example.org/cdn-bench/moved/{n}"
        patched = api.request("PATCH", f"/links/{code}", json={"url": target})
        patched.raise_for_status()
        started = time.perf_counter()
        moved = wait_until(
            _redirects_to(session, f"{cdn_url}/{code}", target),
            timeout_s=PATCH_TIMEOUT_S,
            interval_s=0.05,
        )
        if not moved:
            raise RuntimeError(f"the CDN still redirects /{code} to its old target")
        seconds.append(time.perf_counter() - started)
    summary = Summary.of(seconds)
    result.tables.append(
        Table(
            f"PATCH 200 to the CDN redirecting to the new target ({len(codes)} links, one by one)",
            ["p50 s", "p95 s", "max s"],
            [[summary.p50, summary.p95, summary.max]],
        )
    )
    result.goals.append(
        Goal(
            "PATCH to the CDN's new redirect (p50)",
            summary.p50,
            5,
            "s",
            why="the cached redirect goes once the cdn consumer's invalidation returns",
        )
    )


def _follow(session: requests.Session, url: str, cache: str | None) -> Callable[[], None]:
    def call() -> None:
        answer = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT_S)
        if answer.status_code != 302:
            raise RuntimeError(f"GET {url} answered {answer.status_code}: {answer.text}")
        if cache is not None and answer.headers.get("X-Cache") != f"{cache} from cloudfront":
            raise RuntimeError(f"GET {url}: X-Cache {answer.headers.get('X-Cache')}, not {cache}")

    return call


def _redirects_to(session: requests.Session, url: str, target: str) -> Callable[[], bool]:
    def check() -> bool:
        answer = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT_S)
        return answer.headers.get("Location") == target

    return check
