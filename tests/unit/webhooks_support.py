"""Helpers of the webhook unit tests: a real partner, moto queues read like Lambda, events.

The fixtures built from them are in `webhooks_fixtures` (load with
`pytest_plugins = ["tests.unit.webhooks_fixtures"]`); the AWS account and the API come from
conftest.py.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from shortener import settings
from shortener.events import LinkEvent, LinkSnapshot
from tests.unit.conftest import REGION

DELIVERY_QUEUE = "DeliveryQueue"
# Two retries: a delivery gets three attempts.
DEFAULT_RETRY_DELAYS = (30, 120)
# What the Lambda event source mapping receives with: the queue's visibility timeout.
QUEUE_VISIBILITY_TIMEOUT = 600


@dataclass
class DeliveryQueues:
    """The delivery queue and its DLQ, read the way Lambda's event source mapping reads them."""

    sqs: Any
    url: str
    arn: str
    dlq_url: str

    def lambda_event(self, max_messages: int = 10) -> dict[str, Any]:
        """The SQS event Lambda would pass: received now, with the queue's visibility timeout."""
        received = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max_messages,
            VisibilityTimeout=QUEUE_VISIBILITY_TIMEOUT,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        return {"Records": [self._record(message) for message in received]}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message["Attributes"],
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": REGION,
        }

    def settle(self, event: dict[str, Any], response: dict[str, Any]) -> None:
        """Delete what the function processed, as the event source mapping does."""
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=record["receiptHandle"])

    def received_bodies(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Every message on a queue (the delivery queue by default), received and put back.

        Receiving counts: do not hand these messages to the deliverer afterwards.
        """
        url = queue_url or self.url
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=QUEUE_VISIBILITY_TIMEOUT
        ).get("Messages", []):
            messages.extend(batch)
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [json.loads(message["Body"]) for message in messages]

    def dead_letters(self) -> list[dict[str, Any]]:
        """What the delivery DLQ holds (the deliverer sends a delivery there after its last try)."""
        return self.received_bodies(self.dlq_url)

    def depth(self, queue_url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue_url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


@dataclass
class WebhookCloud:
    queues: DeliveryQueues
    monkeypatch: pytest.MonkeyPatch

    notice_url: str = ""

    def retry_after(self, *delays: int) -> None:
        """Set the retry schedule the way the stack does: the deliverer's WEBHOOK_RETRY_DELAYS."""
        self.monkeypatch.setenv("WEBHOOK_RETRY_DELAYS", json.dumps(list(delays)))
        settings.webhook_retry_delays.cache_clear()

    def notices(self) -> list[dict[str, Any]]:
        """The disable notices the deliverer queued for the notice function."""
        return self.queues.received_bodies(self.notice_url)


@dataclass
class ReceivedDelivery:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_payload: Any  # what standardwebhooks.verify returned, or the exception it raised


class Partner:
    """A partner's webhook receiver on 127.0.0.1 that verifies what it gets, like a real one."""

    HANG = 0  # an answer that never comes (until the test ends)

    def __init__(self) -> None:
        self.received: list[ReceivedDelivery] = []
        self.secret: str | None = None
        self.statuses: deque[int] = deque()  # answers to give, in order; then 204
        self.retry_after: str | None = None  # a Retry-After header on every failure answer
        self.body_on_failure = b"partner is down for maintenance"
        self.released = threading.Event()
        partner = self

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    verified = Webhook(partner.secret or "").verify(body, headers)
                except Exception as error:
                    verified = error
                partner.received.append(ReceivedDelivery(self.path, headers, body, verified))
                status = partner.statuses.popleft() if partner.statuses else 204
                if status == Partner.HANG:
                    partner.released.wait(timeout=30)
                    return
                answer = partner.body_on_failure if status >= 300 else b""
                self.send_response(status)
                if status >= 300 and partner.retry_after is not None:
                    self.send_header("retry-after", partner.retry_after)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests assert on what was received."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/shortener?source=shortener"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def link_event(
    event_type: str = "link.created", *, owner: str = "alice", code: str = "abc1234"
) -> LinkEvent:
    """A link event as the enrichment makes it, with a fresh id (a distinct change)."""
    return LinkEvent.model_validate(
        {
            "id": "evt_" + uuid.uuid4().hex,
            "type": event_type,
            "occurred_at": "2026-11-26T10:00:00.000000Z",
            "link": LinkSnapshot(
                code=code,
                url="https://example.com/a/long/path",
                owner=owner,
                short_url=f"https://sho.rt/{code}",
                created_at="2026-11-26T10:00:00.000000Z",
                updated_at="2026-11-26T10:00:00.000000Z",
            ),
        }
    )


DispatchEvents = Callable[..., dict[str, Any]]
DeliverQueued = Callable[..., "DeliverRun"]


@dataclass
class DeliverRun:
    """One invocation of the deliverer: the message ids it got, and those it reported failed."""

    message_ids: list[str]
    failed_ids: list[str]
