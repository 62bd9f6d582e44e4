"""`python -m bench [part ...]`: run the benchmark parts and write docs/benchmarks.md.

Parts: sync (issue 2, the synchronous path), localcloud (issue 3), seed (issue 4, the seed's
sync-vs-async comparison), soak (issue 13, a long session under load). The first three share
one local cloud, started once; soak runs its own `python -m localcloud`, as `make run` does
(`BENCH_SOAK_WAVES` sets its number of waves, 8 by default); iam (issue 8, what the IAM
checks cost) starts its own `python -m localcloud --no-synth` with and without `--no-iam`; cdn
(issue 8, CDN hit vs miss) and links (issue 11, the link features on the redirect, bulk
create) and clicks (issue 9, the click pipeline's cost to a redirect and its lag) use the shared
cloud, and so does gateway (issue 10, what the usage-plan check costs, what the local gateway
sustains).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench import (
    cdn,
    clicks,
    gateway,
    iam,
    links,
    local_cloud,
    report,
    seed_comparison,
    soak,
    sync_path,
)
from bench.report import PartResult
from bench.stack import BenchStack

PARTS: dict[str, Callable[[BenchStack], PartResult]] = {
    "sync": sync_path.run,
    "localcloud": local_cloud.run,
    "seed": seed_comparison.run,
    "soak": soak.run,
    "iam": iam.run,
    "cdn": cdn.run,
    "links": links.run,
    "clicks": clicks.run,
    "gateway": gateway.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="part", help=f"any of {', '.join(PARTS)}")
    chosen = parser.parse_args().parts or list(PARTS)
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    started = time.monotonic()
    results: list[PartResult] = []
    with BenchStack() as stack:
        for name in chosen:
            part_started = time.monotonic()
            result = PARTS[name](stack)
            result.print()
            print(f"(part {name} took {time.monotonic() - part_started:.0f} s)")
            results.append(result)
    report.write(results, order=list(PARTS))
    print(f"benchmarks took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
