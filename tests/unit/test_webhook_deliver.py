"""The deliverer against a real partner: signed posts, retries as new messages, each attempt
once, the DLQ after the last, partner signals (410, Retry-After), rotation, health, SSRF."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from shortener.clock import parse_iso, to_iso, utcnow
from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.webhooks import delivery, delivery_log, delivery_queue, endpoints, signing
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


def queued(cloud: WebhookCloud) -> list[DeliveryMessage]:
    return [DeliveryMessage.model_validate(body) for body in cloud.queues.received_bodies()]


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
    [attempt] = logged.attempt_log or []
    assert (attempt.status_code, attempt.error) == (204, None)
    assert attempt.duration_ms >= 0
    assert webhook_cloud.queues.depth() == 0


def test_each_retry_is_a_new_message_and_the_last_failure_goes_to_the_dlq(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    webhook_cloud.retry_after(0, 0)  # each retry due at once
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(500, 500, 500)
    dispatch_events(link_event())

    runs = [deliver_queued() for _ in range(3)]

    # Every message is acknowledged: its successor carries the next attempt.
    assert [run.failed_ids for run in runs] == [[], [], []]
    assert len({run.message_ids[0] for run in runs}) == 3
    logged = the_delivery(endpoint_id)
    assert (logged.state, logged.attempts, logged.last_status_code) == ("failed", 3, 500)
    assert logged.last_error == "HTTP 500: partner is down for maintenance"
    assert [a.status_code for a in logged.attempt_log or []] == [500, 500, 500]
    assert endpoint_of(endpoint_id).consecutive_failures == 1
    [dead] = webhook_cloud.queues.dead_letters()
    assert (dead["delivery_id"], dead["attempt"], dead["round_start"]) == (logged.delivery_id, 4, 4)
    assert webhook_cloud.queues.depth() == 0
    webhook_ids = {received.headers["webhook-id"] for received in webhook_partner.received}
    assert webhook_ids == {logged.delivery_id}  # one id across every retry
    assert all(isinstance(r.verified_payload, dict) for r in webhook_partner.received)


def test_a_retry_is_delayed_by_its_jittered_delay_and_carries_its_due_time(
    webhook_partner: Partner, webhook_cloud: WebhookCloud
) -> None:
    webhook_cloud.retry_after(30, 120)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(503)
    message = DeliveryMessage.for_endpoint(link_event(), endpoint_id=endpoint_id, owner="alice")
    before = utcnow()

    delivery.deliver(message)

    [retry] = webhook_cloud.queues.sqs.receive_message(
        QueueUrl=webhook_cloud.queues.url, WaitTimeSeconds=0
    ).get("Messages", []) or [None]
    assert retry is None, "a 30 s retry is not visible at once (DelaySeconds)"
    logged = the_delivery(endpoint_id)
    assert logged.state == "pending"
    assert logged.next_attempt_at
    wait = (parse_iso(logged.next_attempt_at) - before).total_seconds()
    assert 30 * 0.8 <= wait <= 30 * 1.2 + 5


def test_a_message_before_its_due_time_hops_on_without_posting(
    webhook_partner: Partner, webhook_cloud: WebhookCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint_id = subscribe(webhook_partner)
    now = utcnow()
    message = DeliveryMessage.for_endpoint(link_event(), endpoint_id=endpoint_id, owner="alice")
    due_in_two_hours = message.next_try(to_iso(now), to_iso(now + timedelta(hours=2)))
    sent: list[tuple[DeliveryMessage, int]] = []
    monkeypatch.setattr(delivery_queue, "send_later", lambda m, d: sent.append((m, d)))

    delivery.deliver(due_in_two_hours, now=now)
    delivery.deliver(due_in_two_hours, now=now + timedelta(hours=2) - timedelta(seconds=100))

    assert sent == [(due_in_two_hours, 900), (due_in_two_hours, 100)]
    assert webhook_partner.received == []
    assert delivery_log.list_for_endpoint(endpoint_id) == []  # nothing logged by a hop


def test_two_copies_of_one_attempt_post_once(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    webhook_cloud.retry_after(0)
    subscribe(webhook_partner)
    webhook_partner.answer(500)
    dispatch_events(link_event())
    deliver_queued()
    [retry] = webhook_cloud.queues.received_bodies()
    queues = webhook_cloud.queues
    queues.sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(retry))  # a duplicate

    deliver_queued()

    assert [r.headers["webhook-id"] for r in webhook_partner.received] == [retry["delivery_id"]] * 2
    assert queues.depth() == 0


def test_a_crash_before_the_next_message_was_sent_loses_nothing_and_posts_nothing_twice(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webhook_cloud.retry_after(0)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(500)
    dispatch_events(link_event())
    [first] = webhook_cloud.queues.received_bodies()
    real_send_later = delivery_queue.send_later

    def crash(message: DeliveryMessage, delay: int) -> None:
        raise ConnectionError("the function died here")

    monkeypatch.setattr(delivery_queue, "send_later", crash)
    assert deliver_queued().failed_ids  # attempt 1 logged, its follow-up never sent
    monkeypatch.setattr(delivery_queue, "send_later", real_send_later)
    webhook_cloud.queues.sqs.send_message(  # SQS hands the unacknowledged message back
        QueueUrl=webhook_cloud.queues.url, MessageBody=json.dumps(first)
    )

    deliver_queued()  # finds attempt 1 made: sends its follow-up, posts nothing
    deliver_queued()  # attempt 2

    assert len(webhook_partner.received) == 2
    logged = the_delivery(endpoint_id)
    assert (logged.state, logged.attempts) == ("delivered", 2)


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


def test_retry_after_moves_the_next_try_later_but_not_past_the_schedule(
    webhook_partner: Partner, webhook_cloud: WebhookCloud
) -> None:
    webhook_cloud.retry_after(1, 10)  # the schedule's total: 11 s after the first try
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(429, 429)
    webhook_partner.retry_after = "5"
    message = DeliveryMessage.for_endpoint(link_event(), endpoint_id=endpoint_id, owner="alice")
    started = utcnow()

    delivery.deliver(message)
    returned = utcnow()

    logged = the_delivery(endpoint_id)
    assert logged.next_attempt_at is not None
    # Counted from the partner's answer, which came between `started` and `returned`: not
    # 1 s +-20 % as the schedule says, since the partner asked for 5 s.
    next_attempt_at = parse_iso(logged.next_attempt_at)
    assert started + timedelta(seconds=5) <= next_attempt_at <= returned + timedelta(seconds=6)

    webhook_partner.retry_after = "86400"  # a day: far more than the schedule has left
    retry = message.next_try(to_iso(started), logged.next_attempt_at)  # what was queued
    delivery.deliver(retry, now=parse_iso(logged.next_attempt_at))

    logged = the_delivery(endpoint_id)
    assert logged.next_attempt_at is not None
    # The schedule's own delay (10 s +-20 %) at most: the day was cut to the schedule's end.
    assert parse_iso(logged.next_attempt_at) <= utcnow() + timedelta(seconds=12)


def test_410_gone_disables_the_endpoint_at_once_and_queues_one_notice(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(410)
    dispatch_events(link_event(code="gone001"))
    dispatch_events(link_event(code="gone002"))

    deliver_queued(max_messages=1)

    endpoint = endpoint_of(endpoint_id)
    assert endpoint.enabled is False
    assert endpoint.disabled_at
    assert endpoint.last_error == "HTTP 410: partner is down for maintenance"
    [notice] = webhook_cloud.notices()
    assert (notice["endpoint_id"], notice["owner"], notice["url"]) == (
        endpoint_id,
        "alice",
        webhook_partner.url,
    )
    assert endpoint.disable_notice_pending is None
    deliver_queued()  # the other one is skipped, not posted
    assert len(webhook_partner.received) == 1
    states = sorted(d.state for d in delivery_log.list_for_endpoint(endpoint_id))
    assert states == ["failed", "skipped"]
    assert len(webhook_cloud.notices()) == 1


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
    shown = api("GET", "/webhooks").json()["items"][0]
    assert shown["consecutive_failures"] == 2
    assert shown["failing_since"]

    dispatch_events(link_event())
    assert deliver_queued().failed_ids == []

    [shown] = api("GET", "/webhooks").json()["items"]
    assert (shown["id"], shown["consecutive_failures"], shown["enabled"]) == (endpoint_id, 0, True)
    assert shown["failing_since"] is None


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
    # The other one is skipped, not posted, and a new event is logged skipped, not queued.
    assert deliver_queued().failed_ids == []
    dispatch_events(link_event(code="after01"))
    assert webhook_cloud.queues.depth() == 0
    assert len(webhook_partner.received) == 20
    states = [d.state for d in delivery_log.list_for_endpoint(endpoint_id)]
    assert sorted(states) == ["failed"] * 20 + ["skipped"] * 2
    assert [n["endpoint_id"] for n in webhook_cloud.notices()] == [endpoint_id]


def test_a_streak_must_also_last_long_enough_where_the_stack_says_so(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    webhook_cloud.retry_after()
    webhook_cloud.monkeypatch.setenv(
        "WEBHOOK_DISABLE_AFTER", json.dumps({"failing_for_seconds": 5 * 86400, "failures": 1})
    )
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(*[500] * 3)
    for _ in range(2):
        dispatch_events(link_event())
        deliver_queued()
    assert endpoint_of(endpoint_id).enabled  # failing, but not for five days yet

    endpoint_of(endpoint_id).update(  # as if the streak had begun six days ago
        [WebhookEndpointModel.failing_since.set(to_iso(utcnow() - timedelta(days=6)))]
    )
    dispatch_events(link_event())
    deliver_queued()

    assert endpoint_of(endpoint_id).enabled is False


def test_during_a_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    endpoint_id = subscribe(webhook_partner)
    old_secret = endpoint_of(endpoint_id).secret
    new_secret = endpoints.rotate_secret(endpoint_of(endpoint_id))
    dispatch_events(link_event(code="rotate1"))
    deliver_queued()

    [during] = webhook_partner.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        assert Webhook(secret).verify(during.body, during.headers)["data"]["code"] == "rotate1"

    endpoint_of(endpoint_id).update(  # 24 hours later
        [WebhookEndpointModel.previous_secret_expires_at.set(to_iso(utcnow()))]
    )
    dispatch_events(link_event(code="rotate2"))
    deliver_queued()

    after = webhook_partner.received[1]
    assert Webhook(new_secret).verify(after.body, after.headers)["data"]["code"] == "rotate2"
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)
    assert endpoint_of(endpoint_id).previous_secret is None  # dropped once it stopped signing


def test_only_the_first_kibibyte_of_a_partners_answer_is_read_and_logged(
    webhook_partner: Partner,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
    webhook_cloud: WebhookCloud,
) -> None:
    webhook_cloud.retry_after()
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(500)
    webhook_partner.body_on_failure = b"x" * 100_000
    dispatch_events(link_event())

    deliver_queued()

    logged = the_delivery(endpoint_id)
    assert logged.last_error is not None
    assert len(logged.last_error) <= 300
    assert logged.last_error.startswith("HTTP 500: xxx")
    stored = json.dumps(webhook_cloud_item(endpoint_id, logged.delivery_id))
    assert "x" * 301 not in stored
    assert endpoint_of(endpoint_id).secret not in stored


def webhook_cloud_item(endpoint_id: str, delivery_id: str) -> dict[str, object]:
    found = delivery_log.find(endpoint_id, delivery_id)
    assert found is not None
    return dict(found.serialize())


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
    deliver_queued()

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
    assert delivery.REQUEST_TIMEOUT_SECONDS == 15
    webhook_cloud.retry_after(0, 0)
    monkeypatch.setattr(delivery, "REQUEST_TIMEOUT_SECONDS", 0.3)
    endpoint_id = subscribe(webhook_partner)
    webhook_partner.answer(Partner.HANG)
    dispatch_events(link_event())

    deliver_queued()
    assert the_delivery(endpoint_id).last_error == "TimeoutError: timed out"

    webhook_partner.stop()  # nobody listens any more
    deliver_queued()
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
