"""Fixtures of the webhook unit tests: the delivery queues, a real partner, DNS, the functions.

Test modules load them with `pytest_plugins = ["tests.unit.webhooks_fixtures"]`. They build on
conftest.py (`aws`: the tables; `api`: the api function). Plugin fixtures are global to the test
session, so their names say they are the webhooks' own.
"""

from __future__ import annotations

import importlib
import json
import socket
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

import boto3
import pytest

from shortener import settings
from shortener.events import LinkEvent
from shortener.webhooks import ssrf
from tests.unit.conftest import REGION, AwsResources, new_lambda_context
from tests.unit.consumer_events import sqs_event
from tests.unit.webhooks_support import (
    DEFAULT_RETRY_DELAYS,
    DELIVERY_QUEUE,
    DeliverQueued,
    DeliverRun,
    DeliveryQueues,
    DispatchEvents,
    Partner,
    WebhookCloud,
)


@cache
def _sqs() -> Any:
    # moto intercepts a client whenever it was made, so one serves every test (as in conftest).
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def webhook_cloud(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookCloud]:
    """The account of `aws` plus the delivery queue and its DLQ; loopback partners allowed
    (the partner of these tests listens on 127.0.0.1, as in the local stack)."""
    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")
    sqs = _sqs()
    dlq_url = sqs.create_queue(QueueName=f"{DELIVERY_QUEUE}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 5}
    url = sqs.create_queue(
        QueueName=DELIVERY_QUEUE, Attributes={"RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    notice_url = sqs.create_queue(QueueName="WebhookNoticeQueue")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    monkeypatch.setenv("DELIVERY_DEAD_LETTER_QUEUE_URL", dlq_url)
    monkeypatch.setenv("WEBHOOK_NOTICE_QUEUE_URL", notice_url)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    cloud = WebhookCloud(
        DeliveryQueues(sqs, url, arn["Attributes"]["QueueArn"], dlq_url), monkeypatch, notice_url
    )
    cloud.retry_after(*DEFAULT_RETRY_DELAYS)
    settings.webhook_disable_after.cache_clear()
    yield cloud
    settings.webhook_retry_delays.cache_clear()
    settings.webhook_disable_after.cache_clear()


@pytest.fixture
def webhook_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The SSRF guard's resolver answers from this table (host -> addresses); others fail."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(answers[host])

    monkeypatch.setattr(ssrf, "resolve", resolve)
    return answers


@pytest.fixture
def webhook_partner() -> Iterator[Partner]:
    receiver = Partner()
    receiver.thread.start()
    yield receiver
    receiver.stop()


def _handler_module(name: str) -> ModuleType:
    """A function's handler module, (re)imported now: it reads the environment at import."""
    return importlib.reload(importlib.import_module(f"functions.{name}.handler"))


@pytest.fixture
def dispatch_events(webhook_cloud: WebhookCloud) -> DispatchEvents:
    """Run the webhook_dispatch function on link events (one SQS batch)."""
    handler = _handler_module("webhook_dispatch").handler

    def run(*events: LinkEvent) -> dict[str, Any]:
        return dict(handler(sqs_event(*events), new_lambda_context()))

    return run


@pytest.fixture
def deliver_queued(webhook_cloud: WebhookCloud) -> DeliverQueued:
    """Run the webhook_deliver function once on what the delivery queue holds now."""
    handler = _handler_module("webhook_deliver").handler

    def run(max_messages: int = 10) -> DeliverRun:
        event = webhook_cloud.queues.lambda_event(max_messages)
        assert event["Records"], "the delivery queue has no visible message"
        response = dict(handler(event, new_lambda_context()))
        webhook_cloud.queues.settle(event, response)
        return DeliverRun(
            message_ids=[record["messageId"] for record in event["Records"]],
            failed_ids=[item["itemIdentifier"] for item in response["batchItemFailures"]],
        )

    return run
