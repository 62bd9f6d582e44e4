"""Part `iam` (issue 8): what checking IAM costs the local cloud.

- Start-up: `python -m localcloud --no-synth` on the same assembly, with the checks on (the
  default) and with `--no-iam`, alternating, until the API answers a real route.
- Latency: two local clouds side by side, one checking and one not, each with a link; the same
  requests sent to both, interleaved: a DynamoDB GetItem of the link signed with the API
  function's own role session (what each AWS call of a function pays), GET /{code} (the redirect
  function's one GetItem) and GET /links/{code} (the authorizer's and the API function's calls).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import boto3

from bench.measure import Goal, Table, interleaved, latency_table, median
from bench.report import PartResult
from bench.stack import (
    ASSEMBLY_DIR,
    NO_RETRIES,
    REGION,
    Api,
    BenchStack,
    CloudProcess,
    create_key,
    free_port,
    stdout_silenced,
)
from localcloud.iam import RoleSession
from localcloud.template import load_stack

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
            calls[f"GetItem as the API function's role, {name}"] = _role_get_item(process, code)
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
    for route in ("GetItem as the API function's role", "GET /{code}", "GET /links/{code}"):
        on, off = median(samples[f"{route}, IAM checked"]), median(samples[f"{route}, --no-iam"])
        added[route] = on - off
        table.add(f"{route}: added by IAM (p50)", on - off, "", "")
    result.tables.append(table)
    result.goals.append(
        Goal(
            "latency IAM adds to a function's AWS call (p50, a role-signed GetItem)",
            added["GetItem as the API function's role"],
            1,
            "ms",
            why="the call is mapped to its action and resource and evaluated against the role's "
            "policies before moto serves it",
        )
    )
    result.goals.append(
        Goal(
            "API latency the IAM checks add (p50, GET /{code})",
            added["GET /{code}"],
            2,
            "ms",
            why="the redirect function's one GetItem, checked; GET /links/{code} is in the "
            "table (its p50 jumps by tens of ms between runs, with or without the checks)",
        )
    )


def _expect(api: Api, path: str, status: int) -> Callable[[], None]:
    def call() -> None:
        response = api.request("GET", path)
        if response.status_code != status:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text}")

    return call


def _role_get_item(process: CloudProcess, code: str) -> Callable[[], None]:
    """A GetItem of the link, signed as the API function's worker signs its calls."""
    template = load_stack(ASSEMBLY_DIR)
    role_logical_id = template.resources["ApiFunction"].properties["Role"]["Fn::GetAtt"][0]
    admin = boto3.session.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    listed = admin.client(
        "cloudformation", endpoint_url=process.aws_endpoint, config=NO_RETRIES
    ).describe_stack_resources(StackName=template.stack_name)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed}
    session = RoleSession(
        f"arn:aws:iam::123456789012:role/{physical[role_logical_id]}", physical["ApiFunction"]
    )
    dynamodb = boto3.session.Session(region_name=REGION, **session.credentials()).client(
        "dynamodb", endpoint_url=process.aws_endpoint, config=NO_RETRIES
    )
    key = {"pk": {"S": code}, "sk": {"S": "link"}}

    def call() -> None:
        if "Item" not in dynamodb.get_item(TableName=physical["LinksTable"], Key=key):
            raise RuntimeError(f"no link {code} in the Links table")

    return call
