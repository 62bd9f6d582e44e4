"""Part `cdn` (issue 8): what the CDN's cache saves a click on the local cloud.

Links are created through the API, then each short URL is followed through the CDN twice,
interleaved link by link: the first request is a miss (the edge asks the API, whose redirect
function makes one GetItem), the second a hit (the edge answers from its cache). The same
redirect asked of the API directly shows what the edge itself adds to a miss. Every answer is
checked (302, and the X-Cache the row claims).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import requests

from bench.measure import Goal, Summary, Table, elapsed_ms, median
from bench.report import PartResult
from bench.stack import HTTP_TIMEOUT_S, BenchStack, stdout_silenced

LINKS = 200
WARMUP = 10


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
    return result


def _follow(session: requests.Session, url: str, cache: str | None) -> Callable[[], None]:
    def call() -> None:
        answer = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT_S)
        if answer.status_code != 302:
            raise RuntimeError(f"GET {url} answered {answer.status_code}: {answer.text}")
        if cache is not None and answer.headers.get("X-Cache") != f"{cache} from cloudfront":
            raise RuntimeError(f"GET {url}: X-Cache {answer.headers.get('X-Cache')}, not {cache}")

    return call
