"""What the integration tests share: keys from the ops CLI, an API client, bounded polling, a
loopback partner that receives webhooks, and views of the local cloud's AWS resources.

Everything here talks to the local cloud the way a user or an operator would: HTTP to the API,
the `python -m ops` command, and AWS API calls to the moto endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median
from typing import Any, TypeVar

import requests

from shortener.clock import to_iso
from shortener.events import SOURCE, LinkEvent, LinkSnapshot

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
HTTP_TIMEOUT_SECONDS = 30
OPS_TIMEOUT_SECONDS = 180

T = TypeVar("T")


# --- waiting ---------------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], T | None], timeout: float, *, interval: float = 0.2, what: str = ""
) -> T:
    """Poll `predicate` until it returns something truthy, and return that; fail after `timeout`.

    The interval only paces the polling: the bound is what the test asserts on.
    """
    deadline = time.monotonic() + timeout
    last = predicate()
    while not last:
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what or predicate!r}; last: {last!r}"
            )
        time.sleep(interval)
        last = predicate()
    return last


def unique(prefix: str) -> str:
    """A name no other test (or earlier run on the same cloud) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def median_pair_ratio(samples: Iterable[float], baseline: Iterable[float]) -> float:
    """The median of samples[i] / baseline[i]: each pair measured at one moment."""
    return median(ours / theirs for ours, theirs in zip(samples, baseline, strict=True))


# --- the ops CLI -------------------------------------------------------------------------------


def ops_env(aws_endpoint: str) -> dict[str, str]:
    """The environment an operator sets to point `python -m ops` at the local cloud."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") or name in ("AWS_ACCOUNT_ID_ENDPOINT_MODE",)
    }
    return {**env, **TEST_CREDENTIALS, "AWS_ENDPOINT_URL": aws_endpoint}


def run_ops(
    aws_endpoint: str, *args: str, check: bool = True, timeout: float = OPS_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    """Run `python -m ops ARGS` from the repository root against the local cloud."""
    completed = subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=REPO_ROOT,
        env=ops_env(aws_endpoint),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"`python -m ops {' '.join(args)}` exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
        )
    return completed


def run_ops_json(aws_endpoint: str, *args: str) -> Any:
    completed = run_ops(aws_endpoint, *args, "--json")
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(
            f"`python -m ops {' '.join(args)} --json` printed no JSON: {completed.stdout!r}"
        ) from error


def create_api_key(
    aws_endpoint: str, owner: str, email: str | None = None, plan: str = "pro"
) -> str:
    """A fresh API key for `owner`, made the documented way (docs/ops.md, keys); on the `pro`
    plan unless told, as tests send faster than a `free` key may (docs/api.md, Plans)."""
    args = ["keys", "create", "--owner", owner, "--plan", plan]
    if email:
        args += ["--email", email]
    created = run_ops_json(aws_endpoint, *args)
    assert created["owner"] == owner
    assert isinstance(created["key"], str)
    assert created["key"]
    return str(created["key"])


# --- the HTTP API ------------------------------------------------------------------------------


@dataclass
class ApiClient:
    """The management API as one owner sees it: every call carries that owner's Bearer key."""

    base_url: str
    key: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if self.key is not None:
            all_headers.setdefault("Authorization", f"Bearer {self.key}")
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(
            method, self.base_url.rstrip("/") + path, headers=all_headers, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_link(self, url: str, **fields: Any) -> dict[str, Any]:
        response = self.post("/links", json={"url": url, **fields})
        assert response.status_code == 201, describe(response)
        return dict(response.json())

    def link(self, code: str) -> dict[str, Any]:
        response = self.get(f"/links/{code}")
        assert response.status_code == 200, describe(response)
        return dict(response.json())

    def stats_for(self, day: str) -> dict[str, Any] | None:
        """The caller's counters for one day (`YYYY-MM-DD`), or None when there are none."""
        response = self.get("/stats", params={"from": day, "to": day})
        assert response.status_code == 200, describe(response)
        days = [entry for entry in response.json()["days"] if entry["date"] == day]
        return days[0] if days else None

    def subscribe(self, url: str, events: list[str]) -> dict[str, Any]:
        response = self.post("/webhooks", json={"url": url, "events": events})
        assert response.status_code == 201, describe(response)
        return dict(response.json())


def describe(response: requests.Response) -> str:
    """A failed expectation's message: what was asked and everything that came back."""
    return (
        f"{response.request.method} {response.request.url} -> {response.status_code}\n"
        f"headers: {dict(response.headers)}\nbody: {response.text[:2000]}"
    )


def today() -> str:
    return datetime.now(UTC).date().isoformat()


# --- a partner that receives webhooks ----------------------------------------------------------


@dataclass(frozen=True)
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes
    answered: int
    received_at: float = 0.0  # the partner's own clock (time.monotonic) when the request came

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    @property
    def code(self) -> str:
        return str(self.payload().get("data", {}).get("code", ""))

    @property
    def delivered(self) -> bool:
        return 200 <= self.answered < 300


class Partner:
    """A real HTTP server on 127.0.0.1 playing a webhook subscriber that can be slow or down.

    It records every attempt it sees, with the status it answered.
    """

    path = "/hooks"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedWebhook] = []
        self._status = 200
        self._delay_seconds = 0.0
        self._retry_after: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self._serve()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _serve(self) -> None:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received_at = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with partner._lock:
                    status, delay = partner._status, partner._delay_seconds
                    retry_after = partner._retry_after
                if delay:
                    time.sleep(delay)  # the partner's own slowness, not synchronisation
                headers = {name.lower(): value for name, value in self.headers.items()}
                with partner._lock:
                    partner._received.append(ReceivedWebhook(headers, body, status, received_at))
                self.send_response(status)
                if retry_after is not None and status >= 300:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on what was received, not on access logs."""

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, name="partner", daemon=True).start()

    def answer(
        self, status: int = 200, delay_seconds: float = 0.0, retry_after: str | None = None
    ) -> None:
        """Answer every request so from now on (`retry_after`: a header on failures)."""
        with self._lock:
            self._status, self._delay_seconds = status, delay_seconds
            self._retry_after = retry_after

    def go_down(self) -> None:
        """Stop listening: deliveries now get connection refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def come_back(self) -> None:
        """Listen again on the same port, healthy."""
        self.answer(200)
        if self._server is None:
            self._serve()

    def stop(self) -> None:
        self.go_down()

    @property
    def received(self) -> list[ReceivedWebhook]:
        with self._lock:
            return list(self._received)

    def delivered(self) -> list[ReceivedWebhook]:
        return [webhook for webhook in self.received if webhook.delivered]

    def delivered_codes(self, event_type: str) -> list[str]:
        return [w.code for w in self.delivered() if w.payload().get("type") == event_type]


# --- the AWS side of the local cloud -----------------------------------------------------------


def sent_emails(aws_endpoint: str, to: str) -> list[dict[str, Any]]:
    """The mails SES (moto) accepted for `to`, plain and raw, read from moto's data view."""
    response = requests.get(f"{aws_endpoint}/moto-api/data.json", timeout=HTTP_TIMEOUT_SECONDS)
    response.raise_for_status()
    ses = response.json().get("ses", {})
    messages = ses.get("Message", []) + ses.get("RawMessage", [])
    return [message for message in messages if to in json.dumps(message.get("destinations"))]


def email_text(message: dict[str, Any]) -> str:
    return str(message.get("body") or "") + str(message.get("raw_data") or "")


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    physical_id: str
    resource_type: str


def stack_resources(cloudformation: Any, stack_name: str) -> list[StackResource]:
    """The stack's resources as the CloudFormation API lists them, physical ids included."""
    described = cloudformation.describe_stack_resources(StackName=stack_name)
    return [
        StackResource(r["LogicalResourceId"], r.get("PhysicalResourceId", ""), r["ResourceType"])
        for r in described["StackResources"]
    ]


def find_resource(resources: list[StackResource], resource_type: str, hint: str) -> StackResource:
    """The one resource of a type whose logical id contains `hint` (CDK appends a hash)."""
    matches = [r for r in resources if r.resource_type == resource_type and hint in r.logical_id]
    if len(matches) > 1:
        exact = [r for r in matches if r.logical_id.startswith(hint)]
        matches = exact or matches
    assert len(matches) == 1, (
        f"expected one {resource_type} named like {hint!r}, found "
        f"{[r.logical_id for r in matches]} among "
        f"{[r.logical_id for r in resources if r.resource_type == resource_type]}"
    )
    return matches[0]


def queue_url_from_physical_id(sqs: Any, physical_id: str) -> str:
    """CloudFormation names a queue by its URL; accept a name or an ARN too."""
    if physical_id.startswith("http"):
        return physical_id
    name = physical_id.rsplit(":", 1)[-1]
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def dead_letter_queue_url(sqs: Any, queue_url: str) -> str:
    """The DLQ a queue's redrive policy names."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
    return queue_url_from_physical_id(sqs, policy["deadLetterTargetArn"])


def queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages in a queue, visible, in flight or delayed: 0 means everything was handled."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


def wait_for_drain(sqs: Any, queue_urls: Iterable[str], timeout: float) -> None:
    urls = list(queue_urls)
    wait_until(
        lambda: all(queue_depth(sqs, url) == 0 for url in urls),
        timeout,
        interval=0.3,
        what=f"queues to drain: {[queue_name(url) for url in urls]}",
    )


def receive_all(sqs: Any, queue_url: str, *, visibility_timeout: int = 0) -> list[dict[str, Any]]:
    """Look at the messages in a queue (a DLQ, say) without consuming them."""
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=visibility_timeout,
        AttributeNames=["All"],
    )
    return list(response.get("Messages", []))


def wait_for_dead_letter(sqs: Any, dlq_url: str, body: str, timeout: float) -> dict[str, Any]:
    """The message with this body, once it is in the DLQ (looked at, not consumed)."""
    found = wait_until(
        lambda: [m for m in receive_all(sqs, dlq_url) if m["Body"] == body],
        timeout,
        what=f"the message in {queue_name(dlq_url)}",
    )
    return dict(found[0])


def hand_made_link(code: str, owner: str, short_base_url: str, at: datetime) -> dict[str, Any]:
    """A link as an event carries it (docs/events.md), for events sent by hand."""
    return {
        "code": code,
        "url": "https://example.com/hand-made",
        "owner": owner,
        "short_url": f"{short_base_url.rstrip('/')}/{code}",
        "created_at": to_iso(at),
        "updated_at": to_iso(at),
    }


def link_event_message(
    event_type: str, link: dict[str, Any], *, occurred_at: str, event_id: str | None = None
) -> str:
    """An SQS body exactly like a rule delivers: the whole EventBridge event (docs/events.md)."""
    detail = LinkEvent(
        id=event_id or f"evt_{uuid.uuid4().hex}",
        type=event_type,  # type: ignore[arg-type]
        occurred_at=occurred_at,
        link=LinkSnapshot.model_validate(link),
    )
    envelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event_type,
        "source": SOURCE,
        "account": "123456789012",
        "time": occurred_at[:19] + "Z",
        "region": REGION,
        "resources": [],
        "detail": detail.model_dump(mode="json"),
    }
    return json.dumps(envelope)


def new_code() -> str:
    """A code no link has: 7 characters like a generated one, but from a namespace of its own."""
    return "t" + uuid.uuid4().hex[:6]


# --- the stack and its users ----------------------------------------------------------------

# The queues of docs/architecture.md ("Events"), by the name their logical ids carry.
CONSUMER_QUEUES = ("QrQueue", "StatsQueue", "EmailQueue", "WebhooksQueue", "CdnQueue")
DELIVERY_QUEUE = "DeliveryQueue"


@dataclass
class Stack:
    """The deployed stack as an operator finds it: through CloudFormation."""

    name: str
    outputs: dict[str, str]
    resources: list[StackResource]
    sqs: Any

    def physical_id(self, logical_id: str) -> str:
        matches = [r.physical_id for r in self.resources if r.logical_id == logical_id]
        assert matches, f"{logical_id} is not a resource of {self.name}"
        return matches[0]

    def resource(self, resource_type: str, hint: str) -> StackResource:
        return find_resource(self.resources, resource_type, hint)

    def queue_url(self, hint: str) -> str:
        physical_id = self.resource("AWS::SQS::Queue", hint).physical_id
        return queue_url_from_physical_id(self.sqs, physical_id)

    def dlq_url(self, queue_hint: str) -> str:
        return dead_letter_queue_url(self.sqs, self.queue_url(queue_hint))

    def pipeline_queue_urls(self) -> list[str]:
        """Every queue a side effect flows through: the five consumers' and the deliveries'."""
        return [self.queue_url(hint) for hint in (*CONSUMER_QUEUES, DELIVERY_QUEUE)]

    def output(self, key: str) -> str:
        assert key in self.outputs, f"stack output {key!r} missing; outputs: {self.outputs}"
        return self.outputs[key]

    @property
    def distribution_id(self) -> str:
        return self.output("DistributionId")

    @property
    def qr_bucket(self) -> str:
        return self.output("QrBucketName")

    @property
    def links_table(self) -> str:
        return self.output("LinksTableName")

    @property
    def event_bus(self) -> str:
        return self.output("EventBusName")

    @classmethod
    def described(cls, stack_name: str, aws_client: Callable[[str], Any]) -> Stack:
        cloudformation = aws_client("cloudformation")
        described = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        return cls(
            name=stack_name,
            outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
            resources=stack_resources(cloudformation, stack_name),
            sqs=aws_client("sqs"),
        )


@dataclass(frozen=True)
class Owner:
    """A key holder of their own, so that no test sees another's links, counters or mail."""

    name: str
    email: str
    key: str
    api: ApiClient


def make_owner(api_url: str, aws_endpoint: str, prefix: str = "owner") -> Owner:
    name = unique(prefix)
    email = f"{name}@example.com"
    key = create_api_key(aws_endpoint, name, email)
    return Owner(name, email, key, ApiClient(api_url, key))
