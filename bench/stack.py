"""The stack every benchmark part measures: synthesized once, served by one in-process local cloud.

The first use synthesizes the app into build/bench/cdk.out through `python -m localcloud`
itself (so `make run`'s full start-up, synth included, is measured on the way), stops that
process, and starts a `LocalCloud` in this process on the same assembly. Parts then talk to it
over HTTP, call its functions' handlers in-process with the environment the template gives them,
or read its invocation reports.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import requests
from botocore.config import Config

from bench.measure import wait_until
from localcloud import LocalCloud
from localcloud.apigateway.authorizers import method_arn
from localcloud.apigateway.proxy import HttpRequest, RequestInfo, proxy_event
from localcloud.template import load_stack

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CODE = REPO_ROOT / "layers" / "common" / "python"
WORK_DIR = REPO_ROOT / "build" / "bench"
ASSEMBLY_DIR = WORK_DIR / "cdk.out"
LOOPBACK = "127.0.0.1"
REGION = "us-east-1"
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Against a moto server a retry only hides a failure behind back-off.
NO_RETRIES = Config(retries={"max_attempts": 1}, max_pool_connections=32)
START_TIMEOUT_S = 240
HTTP_TIMEOUT_S = 30
OWNER_EMAIL_DOMAIN = "bench.example.com"
OPS = (sys.executable, "-m", "ops")
# The function folder each logical id of the template runs (infra pins `<Pascal>Function`).
FUNCTION_SUFFIX = "Function"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def folder_of(logical_id: str) -> str:
    """`WebhookDeliverFunction` -> `webhook_deliver`, the folder under functions/."""
    stem = logical_id.removesuffix(FUNCTION_SUFFIX)
    return re.sub(r"(?<!^)([A-Z])", r"_\1", stem).lower()


# --- `python -m localcloud` as a user runs it -------------------------------------------------


@dataclass
class CloudProcess:
    """`python -m localcloud` in a child process, with its output collected line by line."""

    api_port: int
    aws_port: int
    synth: bool
    extra_args: tuple[str, ...] = ()  # more of `python -m localcloud`'s options (`--no-iam`)
    cdn_port: int = field(default_factory=free_port)  # never $CDN_PORT: another run may hold it
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    started_at: float = 0.0

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.aws_port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "localcloud", "--cdk-out", str(ASSEMBLY_DIR)]
        command += ["--api-port", str(self.api_port), "--aws-port", str(self.aws_port)]
        command += ["--cdn-port", str(self.cdn_port)]
        if not self.synth:
            command.append("--no-synth")
        command += self.extra_args
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def seconds_to_serving(self) -> float:
        """From launch until the API answers a real route (the redirect function's 404)."""

        def serving() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError("localcloud exited:\n" + "\n".join(self.lines[-30:]))
            try:
                response = requests.get(f"{self.api_url}/benchready", timeout=HTTP_TIMEOUT_S)
            except requests.ConnectionError:
                return False
            return response.status_code == 404 and "problem" in response.text

        if not wait_until(serving, timeout_s=START_TIMEOUT_S, interval_s=0.05):
            raise RuntimeError("localcloud did not serve in time:\n" + "\n".join(self.lines[-30:]))
        return time.perf_counter() - self.started_at

    def reports(self) -> dict[str, list[tuple[int, int]]]:
        """(max memory used, memory size) in MB of every REPORT line so far, per function."""
        found: dict[str, list[tuple[int, int]]] = {}
        pattern = re.compile(r"^\[(\w+)\] REPORT .*Memory Size: (\d+) MB\tMax Memory Used: (\d+)")
        for line in list(self.lines):
            match = pattern.match(line)
            if match:
                found.setdefault(match[1], []).append((int(match[3]), int(match[2])))
        return found

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; killed only if it does not stop within the bound."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def link_item(code: str, owner: str, url: str, at: str) -> dict[str, Any]:
    """A link item as the API writes it (docs/architecture.md), in DynamoDB's wire format."""
    return {
        "pk": {"S": code},
        "sk": {"S": "link"},
        "code": {"S": code},
        "owner": {"S": owner},
        "url": {"S": url},
        "created_at": {"S": at},
        "updated_at": {"S": at},
        "redirect_type": {"N": "302"},
    }


# --- the API as a client sees it --------------------------------------------------------------


@dataclass
class Api:
    """HTTP to a local cloud's API, as one owner (keep-alive, no redirects followed)."""

    base_url: str
    key: str = ""
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.key:
            headers.setdefault("Authorization", f"Bearer {self.key}")
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.base_url + path, headers=headers, **kwargs)

    def create_link(self, url: str, **fields: Any) -> requests.Response:
        return self.request("POST", "/links", json={"url": url, **fields})

    def effects(self, code: str) -> dict[str, dict[str, Any]]:
        response = self.request("GET", f"/links/{code}")
        response.raise_for_status()
        return dict(response.json()["effects"])


def create_key(aws_endpoint: str, owner: str, plan: str = "pro") -> str:
    """An API key made the documented way: `python -m ops keys create ... --json`; on `pro`
    unless told, as a benchmark sends faster than a `free` key may (docs/api.md, Plans)."""
    email = f"{owner}@{OWNER_EMAIL_DOMAIN}"
    completed = subprocess.run(
        [*OPS, "keys", "create", "--owner", owner, "--email", email, "--plan", plan, "--json"],
        cwd=REPO_ROOT,
        env={**os.environ, **TEST_CREDENTIALS, "AWS_ENDPOINT_URL": aws_endpoint},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"ops keys create failed: {completed.stderr or completed.stdout}")
    return str(json.loads(completed.stdout)["key"])


def exercise_every_function(api: Api, partner_url: str, ran: Callable[[str], bool]) -> list[str]:
    """Traffic that makes every function of the stack run at least once (a link's whole life
    with a subscribed partner); the functions that still had not run after the bound."""
    subscribed = api.request(
        "POST", "/webhooks", json={"url": partner_url, "events": ["link.created", "link.updated"]}
    )
    subscribed.raise_for_status()
    alias = f"bench-{time.time_ns()}"  # an alias: its creation invalidates the CDN too
    api.create_link("https://example.com/exercise", alias=alias).raise_for_status()
    api.request("GET", f"/{alias}")
    api.request("GET", f"/links/{alias}/qr")
    api.request("GET", "/stats")
    api.request("PATCH", f"/links/{alias}", json={"url": "https://example.com/changed"})
    functions = [r.logical_id for r in load_stack(ASSEMBLY_DIR).of_type("AWS::Lambda::Function")]
    wait_until(lambda: all(ran(name) for name in functions), timeout_s=60, interval_s=0.2)
    api.request("DELETE", f"/links/{alias}")
    api.request("DELETE", f"/webhooks/{subscribed.json()['id']}")
    return [name for name in functions if not ran(name)]


# --- the in-process local cloud and its functions' handlers -----------------------------------


class BenchStack:
    """The local cloud shared by every part, started on first use."""

    def __init__(self) -> None:
        self.api_port = free_port()
        self.full_start_seconds: float | None = None
        self._cloud: LocalCloud | None = None
        self._saved_environment: dict[str, str] | None = None
        self.owner = f"bench{time.strftime('%H%M%S')}"
        self._key = ""
        self.bench_links_table = ""
        self._authorized: dict[str, Any] | None = None

    def __enter__(self) -> BenchStack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._cloud is not None:
            self._cloud.stop()
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)

    @property
    def cloud(self) -> LocalCloud:
        if self._cloud is None:
            self._synthesize_through_make_run_path()
            print("starting the local cloud in-process ...", file=sys.stderr, flush=True)
            cloud = LocalCloud(ASSEMBLY_DIR, api_port=self.api_port, echo_logs=False)
            self._cloud = cloud.start()
            cloud.wait_warm(START_TIMEOUT_S)
            self._use_in_process_environment(cloud)
        return self._cloud

    def _synthesize_through_make_run_path(self) -> None:
        """`python -m localcloud` with synth, timed to serving: `make run` with a warm venv."""
        print("synthesizing and starting `python -m localcloud` ...", file=sys.stderr, flush=True)
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        process = CloudProcess(self.api_port, free_port(), synth=True)
        process.start()
        try:
            self.full_start_seconds = process.seconds_to_serving()
        finally:
            process.stop()

    def ensure_assembly(self) -> None:
        """The synthesized app in ASSEMBLY_DIR, for parts that start their own local clouds."""
        if not (ASSEMBLY_DIR / "manifest.json").is_file():
            self._synthesize_through_make_run_path()

    @property
    def key(self) -> str:
        if not self._key:
            self._key = create_key(self.cloud.aws_endpoint, self.owner)
        return self._key

    def api(self) -> Api:
        return Api(self.cloud.api_url, self.key)

    def client(self, service: str) -> Any:
        session = boto3.session.Session(
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        return session.client(service, endpoint_url=self.cloud.aws_endpoint, config=NO_RETRIES)

    def _use_in_process_environment(self, cloud: LocalCloud) -> None:
        """The environment the template gives the functions, for calling them in-process.

        Links go to a copy of the Links table without a stream, so that in-process writes
        measure the write alone and start no pipeline work on the side.
        """
        merged: dict[str, str] = {}
        for pool in cloud.pools.values():
            merged.update(pool.spec.environment)
        self.bench_links_table = self._copy_links_table_without_stream(merged["LINKS_TABLE_NAME"])
        self._saved_environment = dict(os.environ)
        os.environ.update(
            {
                **merged,
                **TEST_CREDENTIALS,
                "LINKS_TABLE_NAME": self.bench_links_table,
                "AWS_ENDPOINT_URL": cloud.aws_endpoint,
                "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon, as in the workers
            }
        )
        for path in (str(SHARED_CODE), str(REPO_ROOT)):
            if path not in sys.path:
                sys.path.insert(0, path)

    def _copy_links_table_without_stream(self, links_table: str) -> str:
        dynamodb = self.client("dynamodb")
        table = dynamodb.describe_table(TableName=links_table)["Table"]
        name = f"{links_table}-bench"
        indexes = [
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in table.get("GlobalSecondaryIndexes", [])
        ]
        dynamodb.create_table(
            TableName=name,
            KeySchema=table["KeySchema"],
            AttributeDefinitions=table["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
        )
        return name

    def handler(self, folder: str) -> Callable[[dict[str, Any], Any], Any]:
        """A function's handler, imported in this process (after the environment is set)."""
        self.cloud  # noqa: B018 (the environment is set when the cloud starts)
        handler: Callable[[dict[str, Any], Any], Any] = importlib.import_module(
            f"functions.{folder}.handler"
        ).handler
        return handler

    def api_event(
        self, method: str, path: str, *, body: Any = None, authorized: bool = True
    ) -> dict[str, Any]:
        """The proxy event the local cloud's API Gateway builds for this request."""
        gateway = self.cloud.gateways[0]
        route = gateway.api.match(path, method)
        if route is None:
            raise ValueError(f"no route for {method} {path}")
        headers = [("Host", f"{LOOPBACK}:{self.api_port}"), ("User-Agent", "bench")]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        request = HttpRequest(
            method,
            path,
            headers=headers,
            body=json.dumps(body).encode() if body is not None else b"",
        )
        info = RequestInfo(
            f"bench-{time.time_ns()}", gateway.api.stage_name or "$default", path, path
        )
        context = None
        if authorized:
            arn = method_arn(gateway.api.api_id, info.stage, method, path)
            context = self._authorizer_context(arn)
        return proxy_event(request, route, gateway.api, info, context)

    def _authorizer_context(self, arn: str) -> dict[str, Any]:
        """What the authorizer function answers for the bench key, as API Gateway passes it on."""
        if self._authorized is None:
            invocation = self.cloud.invoke(
                "AuthorizerFunction",
                {"type": "TOKEN", "authorizationToken": f"Bearer {self.key}", "methodArn": arn},
            )
            if invocation.error:
                raise RuntimeError(f"the authorizer refused the bench key: {invocation.error}")
            policy = invocation.payload
            self._authorized = {**policy.get("context", {}), "principalId": policy["principalId"]}
        return self._authorized


@dataclass(frozen=True)
class LambdaContextStub:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@contextmanager
def stdout_silenced() -> Iterator[None]:
    """Handlers log to stdout (as Lambda wants); keep those lines out of the benchmark's tables."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
