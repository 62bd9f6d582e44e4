"""The operator's story on the local cloud (issue 5, "Integration test"): failed side effects
wait in a DLQ where `python -m ops` shows them, and come back without being done twice."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.helpers import (
    Owner,
    Partner,
    Stack,
    queue_depth,
    queue_name,
    receive_all,
    run_ops,
    run_ops_json,
    unique,
    wait_for_dead_letter,
    wait_for_drain,
    wait_until,
)

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

TARGET = "https://example.com/operator/story"
DLQ_TIMEOUT = 90  # the local retry schedule is seconds: [1, 2, 4]
DRAIN_TIMEOUT = 120


def listed_dlq(aws_endpoint: str, dlq_url: str) -> dict[str, Any]:
    """The entry `ops dlq list --json` prints for one DLQ."""
    entries = run_ops_json(aws_endpoint, "dlq", "list")
    matching = [entry for entry in entries if entry["dlq"] == queue_name(dlq_url)]
    assert len(matching) == 1, f"{queue_name(dlq_url)} not listed once in {entries}"
    assert {"dlq", "source", "depth", "oldest_age_s"} <= set(matching[0])
    return dict(matching[0])


def test_a_failing_partners_deliveries_wait_in_the_dlq_and_a_redrive_delivers_each_once(
    owner: Owner, partner: Partner, stack: Stack, aws_endpoint: str
) -> None:
    dlq_url = stack.dlq_url("DeliveryQueue")
    dlq = queue_name(dlq_url)
    owner.api.subscribe(partner.url, ["link.created"])
    partner.answer(500)
    codes = [owner.api.create_link(f"{TARGET}?n={n}")["code"] for n in range(3)]

    # 1. The deliveries fail until they reach the delivery DLQ.
    def dead_codes() -> set[str]:
        bodies = [json.loads(m["Body"]) for m in receive_all(stack.sqs, dlq_url)]
        return {body["event"]["link"]["code"] for body in bodies} & set(codes)

    wait_until(lambda: dead_codes() == set(codes), DLQ_TIMEOUT, what="deliveries in the DLQ")
    assert all(code not in partner.delivered_codes("link.created") for code in codes)

    # 2. `dlq list` shows that DLQ with its depth, and `peek` shows the links.
    entry = listed_dlq(aws_endpoint, dlq_url)
    assert entry["depth"] >= len(codes)
    assert queue_name(stack.queue_url("DeliveryQueue")) in entry["source"]
    peeked = run_ops(aws_endpoint, "dlq", "peek", dlq, "-n", "50", "--json").stdout
    assert all(code in peeked for code in codes), peeked

    # 3. A dry run moves nothing.
    depth_before = queue_depth(stack.sqs, dlq_url)
    attempts_before = len(partner.received)
    run_ops(aws_endpoint, "dlq", "redrive", dlq, "--dry-run")
    assert queue_depth(stack.sqs, dlq_url) == depth_before
    assert queue_depth(stack.sqs, stack.queue_url("DeliveryQueue")) == 0
    assert len(partner.received) == attempts_before

    # 4. The partner recovers; a redrive delivers each one exactly once and empties the DLQ.
    partner.come_back()
    run_ops(aws_endpoint, "dlq", "redrive", dlq)

    wait_until(
        lambda: set(codes) <= set(partner.delivered_codes("link.created")),
        DLQ_TIMEOUT,
        what="the redriven deliveries",
    )
    wait_for_drain(stack.sqs, [stack.queue_url("DeliveryQueue")], DRAIN_TIMEOUT)
    delivered = [w for w in partner.delivered() if w.code in codes]
    by_webhook_id = Counter(w.webhook_id for w in delivered)
    assert sorted(w.code for w in delivered) == sorted(codes)
    assert all(count == 1 for count in by_webhook_id.values()), by_webhook_id
    failed_ids = {w.webhook_id for w in partner.received if w.code in codes and not w.delivered}
    assert set(by_webhook_id) == failed_ids, "a redrive keeps each delivery's webhook-id"
    assert dead_codes() == set()
    assert listed_dlq(aws_endpoint, dlq_url)["depth"] == 0


def test_a_poison_message_reaches_its_dlq_and_purge_removes_it(
    stack: Stack, aws_endpoint: str, quick_redelivery: Callable[[str], str]
) -> None:
    queue_url = quick_redelivery("CdnQueue")
    dlq_url = stack.dlq_url("CdnQueue")
    poison = f"<<{unique('poison')}>> is not an event"

    stack.sqs.send_message(QueueUrl=queue_url, MessageBody=poison)

    wait_for_dead_letter(stack.sqs, dlq_url, poison, DLQ_TIMEOUT)
    assert listed_dlq(aws_endpoint, dlq_url)["depth"] >= 1

    run_ops(aws_endpoint, "dlq", "purge", queue_name(dlq_url), "--yes")

    wait_until(lambda: queue_depth(stack.sqs, dlq_url) == 0, 70, what="the purge")
    assert listed_dlq(aws_endpoint, dlq_url)["depth"] == 0
