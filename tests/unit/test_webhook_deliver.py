"""The deliverer against a real partner: signed posts, retries on SQS, health, dedupe, SSRF."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.webhooks import delivery, delivery_log, endpoints, signing
from shortener.webhooks.messages import DeliveryMessage, delivery_id_for
from tests.unit.conftest import ApiCall
from tests.unit.webhooks_support import (
    DeliverQueued,
    DispatchEvents,
    Partner,
    WebhookCloud,
    link_event,
)

pytest_plugins = ["tests.unit.webhooks_fixtures"]


def subscribe(partner: Partner, url: str | None = None) -> str:
    endpoint = endpoints.create("alice", url or partner.url, ["link.created", "link.updated"])
    partner.secret = endpoint.secret
    return endpoint.endpoint_id


def endpoint_of(endpoint_id: str) -> WebhookEndpointModel:
    endpoint = endpoints.find("alice", endpoint_id)
    assert endpoint is not None
    return endpoint


def the_delivery(endpoint_id: str) -> WebhookDeliveryModel:
    [only] = delivery_log.list_for_endpoint(endpoint_id)
    return only


def test_a_subscribed_partner_gets_a_signed_delivery_that_verifies(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    endpoint_id = subscribe(webhook_partner)
    event = link_event("link.created")
    dispatch_events(event)

    run = deliver_queued()

    assert run.failed_ids == []
    [received] = webhook_partner.received
    assert received.verified_payload == {
        "type": "link.created",
        "timestamp": event.occurred_at,
        "data": event.link.model_dump(mode="json"),
    }
    assert received.path == "/hooks/shortener?source=shortener"
    assert received.headers["webhook-id"] == delivery_id_for(event.id, endpoint_id)
    assert received.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):  # signed with this endpoint's secret only
        Webhook(signing.new_secret()).verify(received.body, received.headers)
    logged = the_delivery(endpoint_id)
    assert (logged.state, logged.attempts, logged.last_status_code) == ("delivered", 1, 204)
    assert webhook_cloud.queues.depth() == 0


def test_failed_attempts_are_logged_retried_and_dead_lettered_after_the_last(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    # No delay, so each retry is due at once (the function received it for 600 s).
    webhook_cloud.retry_after(0, 0)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(500, 500, 500)
    dispatch_events(link_event())

    first = deliver_queued()

    assert first.failed_ids == first.message_ids
    logged = the_delivery(endpoint_id)
    assert (logged.state, logged.attempts, logged.last_status_code) == ("pending", 1, 500)
    assert logged.last_error == "HTTP 500: partner is down for maintenance"

    second = deliver_queued()  # received again: the failure set its visibility to the delay
    assert second.failed_ids == second.message_ids == first.message_ids
    assert the_delivery(endpoint_id).attempts == 2

    last = deliver_queued()
    assert last.failed_ids == last.message_ids
    logged = the_delivery(endpoint_id)
    assert (logged.state, logged.attempts) == ("failed", 3)
    assert endpoint_of(endpoint_id).consecutive_failures == 1

    [dead] = webhook_cloud.queues.dead_letters()
    assert dead["delivery_id"] == logged.delivery_id
    assert webhook_cloud.queues.depth() == 0
    webhook_ids = {received.headers["webhook-id"] for received in webhook_partner.received}
    assert webhook_ids == {logged.delivery_id}  # one id across every retry
    assert all(isinstance(r.verified_payload, dict) for r in webhook_partner.received)


def test_each_retry_waits_for_the_next_delay_of_the_schedule(
    webhook_partner: Partner, webhook_cloud: WebhookCloud
) -> None:
    webhook_cloud.retry_after(30, 120)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(503, 503, 503)
    message = DeliveryMessage.for_endpoint(link_event(), endpoint_id=endpoint_id, owner="alice")

    waits = [delivery.deliver(message, attempt) for attempt in (1, 2, 3)]

    assert waits == [30, 120, 0]  # 0: after the last attempt, on to the DLQ at once
    assert the_delivery(endpoint_id).attempts == 3


def test_a_success_after_failures_resets_the_failure_count(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    api: ApiCall,
    webhook_cloud: WebhookCloud,
) -> None:
    webhook_cloud.retry_after()  # no retries: every first attempt is the last
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(500, 502)
    for _ in range(2):
        dispatch_events(link_event())
        deliver_queued()
    assert api("GET", "/webhooks").json()["items"][0]["consecutive_failures"] == 2

    dispatch_events(link_event())
    assert deliver_queued().failed_ids == []

    [shown] = api("GET", "/webhooks").json()["items"]
    assert (shown["id"], shown["consecutive_failures"], shown["enabled"]) == (endpoint_id, 0, True)


def test_twenty_failed_deliveries_in_a_row_disable_the_endpoint(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    api: ApiCall,
    webhook_cloud: WebhookCloud,
) -> None:
    webhook_cloud.retry_after()
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(*[500] * 20)
    for _ in range(19):
        dispatch_events(link_event())
        deliver_queued()
    assert endpoint_of(endpoint_id).enabled
    # Two more deliveries queued while it is enabled; the first to run is the 20th failure.
    dispatch_events(link_event(code="twenty1"))
    dispatch_events(link_event(code="twenty2"))

    deliver_queued(max_messages=1)

    [shown] = api("GET", "/webhooks").json()["items"]
    assert shown["enabled"] is False
    assert shown["consecutive_failures"] == 20
    assert shown["disabled_at"]
    # The other one is skipped, not posted, and nothing new is dispatched to the endpoint.
    assert deliver_queued().failed_ids == []
    dispatch_events(link_event(code="after01"))
    assert webhook_cloud.queues.depth() == 0
    assert len(webhook_partner.received) == 20
    states = [d.state for d in delivery_log.list_for_endpoint(endpoint_id)]
    assert sorted(states) == ["failed"] * 20 + ["skipped"]


def test_a_duplicate_message_after_delivery_posts_nothing(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    queues = webhook_cloud.queues
    subscribe(webhook_partner)
    dispatch_events(link_event())
    [message] = queues.received_bodies()
    deliver_queued()
    queues.sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(message))

    assert deliver_queued().failed_ids == []

    assert len(webhook_partner.received) == 1
    assert queues.depth() == 0


def test_a_redriven_delivery_arrives_once(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    queues = webhook_cloud.queues
    webhook_cloud.retry_after(0, 0)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(500, 500, 500)
    dispatch_events(link_event())
    for _ in range(3):
        deliver_queued()
    [dead] = queues.dead_letters()

    # The partner is back, and an operator redrives the DLQ, twice by mistake.
    for _ in range(2):
        queues.sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(dead))
    deliver_queued()

    assert [r.headers["webhook-id"] for r in webhook_partner.received[3:]] == [dead["delivery_id"]]
    logged = the_delivery(endpoint_id)
    assert (logged.state, logged.attempts, logged.last_status_code) == ("delivered", 4, 204)
    assert endpoint_of(endpoint_id).consecutive_failures == 0
    assert queues.depth() == 0


def test_the_ssrf_guard_runs_again_before_every_delivery(
    webhook_partner: Partner,
    webhook_dns: dict[str, list[str]],
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    # A name only the guard's resolver knows: reaching the partner proves that the delivery
    # connects to the address the guard vetted, not to a second, independent DNS answer.
    webhook_dns["partner.test"] = ["127.0.0.1"]
    endpoint_id = subscribe(webhook_partner, f"http://partner.test:{webhook_partner.port}/hook")
    dispatch_events(link_event(code="before1"))
    assert deliver_queued().failed_ids == []
    assert webhook_partner.received[0].headers["host"] == f"partner.test:{webhook_partner.port}"

    webhook_dns["partner.test"] = ["10.0.0.7"]  # the name now points inside the network
    dispatch_events(link_event(code="after01"))
    run = deliver_queued()

    assert run.failed_ids == run.message_ids
    assert len(webhook_partner.received) == 1
    [blocked] = [d for d in delivery_log.list_for_endpoint(endpoint_id) if d.code == "after01"]
    assert blocked.last_error is not None
    assert blocked.last_error.startswith("blocked: url host resolves to a private address")
    assert blocked.last_status_code is None


def test_a_partner_that_hangs_or_refuses_fails_the_attempt_quickly(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webhook_cloud.retry_after(0, 0)
    monkeypatch.setattr(delivery, "REQUEST_TIMEOUT_SECONDS", 0.3)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(Partner.HANG)
    dispatch_events(link_event())

    assert deliver_queued().failed_ids
    assert the_delivery(endpoint_id).last_error == "TimeoutError: timed out"

    webhook_partner.stop()  # nobody listens any more
    assert deliver_queued().failed_ids
    logged = the_delivery(endpoint_id)
    assert logged.last_error is not None
    assert logged.last_error.startswith("ConnectionRefusedError")
    assert logged.attempts == 2


def test_deliveries_to_a_deleted_endpoint_are_dropped(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    endpoint_id = subscribe(webhook_partner)
    dispatch_events(link_event())
    assert endpoints.delete("alice", endpoint_id)

    assert deliver_queued().failed_ids == []

    assert webhook_partner.received == []
    assert delivery_log.list_for_endpoint(endpoint_id) == []
    assert webhook_cloud.queues.depth() == 0
