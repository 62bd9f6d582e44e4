"""Part `iam` (issue 8): what checking IAM costs the local cloud.

- Start-up: `python -m localcloud --no-synth` on the same assembly, with the checks on (the
  default) and with `--no-iam`, alternating, until the API answers a real route.
- API latency: two local clouds side by side, one checking and one not, each with a link; the
  same requests sent to both, interleaved: GET /{code} (the redirect function's one GetItem,
  checked) and GET /links/{code} (the authorizer's and the API function's calls, checked).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench.measure import Goal, Table, interleaved, latency_table, median
from bench.report import PartResult
from bench.stack import Api, BenchStack, CloudProcess, create_key, free_port, stdout_silenced

STARTS_EACH = 3
ITERATIONS = 200
WARMUP = 20
NO_IAM = ("--no-iam",)


def run(stack: BenchStack) -> PartResult:
    result = PartResult("iam", "IAM checks in the local cloud (issue 8)", description=__doc__ or "")
    stack.ensure_assembly()
    start_up(result)
    api_latency(result)
    return result


def start_up(result: PartResult) -> None:
    print("iam: start-up with the checks on and off ...", file=sys.stderr, flush=True)
    seconds: dict[str, list[float]] = {"IAM checked": [], "--no-iam": []}
    for _ in range(STARTS_EACH):
        for name, extra in (("IAM checked", ()), ("--no-iam", NO_IAM)):
            process = CloudProcess(free_port(), free_port(), synth=False, extra_args=extra)
            process.start()
            try:
                seconds[name].append(process.seconds_to_serving())
            finally:
                process.stop()
    on, off = median(seconds["IAM checked"]), median(seconds["--no-iam"])
    result.tables.append(
        Table(
            f"Start to serving, `--no-synth` (median of {STARTS_EACH} each, alternating)",
            ["checks", "seconds", "runs"],
            [
                [name, median(values), ", ".join(f"{v:.2f}" for v in values)]
                for name, values in seconds.items()
            ],
        )
    )
    result.goals.append(
        Goal(
            "start-up with IAM checked ÷ without",
            on / off,
            1.1,
            "x",
            why="the template's roles and policies are collected once; the checks cost nothing "
            "until a call is made",
        )
    )


def api_latency(result: PartResult) -> None:
    print("iam: API latency with the checks on and off ...", file=sys.stderr, flush=True)
    clouds = {
        "IAM checked": CloudProcess(free_port(), free_port(), synth=False),
        "--no-iam": CloudProcess(free_port(), free_port(), synth=False, extra_args=NO_IAM),
    }
    try:
        for process in clouds.values():
            process.start()
        calls: dict[str, Callable[[], None]] = {}
        for name, process in clouds.items():
            process.seconds_to_serving()
            api = Api(process.api_url, create_key(process.aws_endpoint, "benchiam"))
            created = api.create_link("https://example.com/iam-bench")
            created.raise_for_status()
            code = created.json()["code"]
            public = Api(process.api_url)
            calls[f"GET /{{code}}, {name}"] = _expect(public, f"/{code}", 302)
            calls[f"GET /links/{{code}}, {name}"] = _expect(api, f"/links/{code}", 200)
        with stdout_silenced():
            samples = interleaved(calls, iterations=ITERATIONS, warmup=WARMUP)
    finally:
        for process in clouds.values():
            process.stop()
    table = latency_table(
        f"API latency, both clouds side by side ({ITERATIONS} interleaved requests each)",
        "request",
        samples,
    )
    added = {}
    for route in ("GET /{code}", "GET /links/{code}"):
        on, off = median(samples[f"{route}, IAM checked"]), median(samples[f"{route}, --no-iam"])
        added[route] = on - off
        table.add(f"{route}: added by IAM (p50)", on - off, "", "")
    result.tables.append(table)
    result.goals.append(
        Goal(
            "API latency the IAM checks add (p50, GET /links/{code})",
            added["GET /links/{code}"],
            5,
            "ms",
            why="each AWS call of the authorizer and the API function is mapped and evaluated "
            "against its role before moto serves it",
        )
    )


def _expect(api: Api, path: str, status: int) -> Callable[[], None]:
    def call() -> None:
        response = api.request("GET", path)
        if response.status_code != status:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text}")

    return call
