"""The dispatcher: one link event becomes one queued delivery per subscribed endpoint."""

from __future__ import annotations

from shortener import effects
from shortener.clock import now_iso
from shortener.events import LinkEvent
from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.webhooks import delivery_log, endpoints
from shortener.webhooks.messages import DeliveryMessage, delivery_id_for
from tests.unit.webhooks_support import DispatchEvents, WebhookCloud, link_event

pytest_plugins = ["tests.unit.webhooks_fixtures"]

PARTNER = "https://hooks.partner.example/shortener"


def subscribe(owner: str, *events: str) -> str:
    return endpoints.create(owner, PARTNER, list(events)).endpoint_id


def disable(owner: str, endpoint_id: str) -> None:
    endpoint = endpoints.find(owner, endpoint_id)
    assert endpoint is not None
    endpoint.update([WebhookEndpointModel.enabled.set(False)])


def queued(cloud: WebhookCloud) -> list[DeliveryMessage]:
    return [DeliveryMessage.model_validate(body) for body in cloud.queues.received_bodies()]


def logged(endpoint_id: str) -> list[WebhookDeliveryModel]:
    return delivery_log.list_for_endpoint(endpoint_id)


def test_an_event_is_queued_once_per_subscribed_enabled_endpoint_of_its_owner(
    webhook_cloud: WebhookCloud, dispatch_events: DispatchEvents
) -> None:
    created_only = subscribe("alice", "link.created")
    everything = subscribe("alice", "link.created", "link.updated", "link.deleted")
    updates_only = subscribe("alice", "link.updated")
    disabled = subscribe("alice", "link.created")
    disable("alice", disabled)
    bobs = subscribe("bob", "link.created")
    event = link_event("link.created", owner="alice")

    response = dispatch_events(event)

    assert response == {"batchItemFailures": []}
    messages = queued(webhook_cloud)
    assert sorted(message.endpoint_id for message in messages) == sorted([created_only, everything])
    for message in messages:
        assert message.delivery_id == delivery_id_for(event.id, message.endpoint_id)
        assert message.owner == "alice"
        assert message.event == event
    for endpoint_id in (created_only, everything):
        [delivery] = logged(endpoint_id)
        assert (delivery.state, delivery.event_id, delivery.code) == (
            "pending",
            event.id,
            "abc1234",
        )
    for endpoint_id in (updates_only, bobs):
        assert logged(endpoint_id) == []
    # A disabled endpoint gets no message, but the log says what it missed (for a recovery).
    assert [(d.state, d.last_error) for d in logged(disabled)] == [("skipped", "endpoint disabled")]
    assert effects.effects_for(event.link.code)["webhooks"]["state"] == "done"


def test_only_endpoints_subscribed_to_the_event_type_get_it(
    webhook_cloud: WebhookCloud, dispatch_events: DispatchEvents
) -> None:
    subscribe("alice", "link.created")
    deletes = subscribe("alice", "link.deleted")

    dispatch_events(link_event("link.updated"))
    assert queued(webhook_cloud) == []

    dispatch_events(link_event("link.deleted"))
    assert [message.endpoint_id for message in queued(webhook_cloud)] == [deletes]


def test_a_duplicate_event_queues_and_logs_nothing_more(
    webhook_cloud: WebhookCloud, dispatch_events: DispatchEvents
) -> None:
    first = subscribe("alice", "link.created")
    second = subscribe("alice", "link.created")
    event = link_event()

    dispatch_events(event)
    dispatch_events(event)  # redelivered by SQS
    dispatch_events(event, event)  # twice in one batch, as after an archive replay

    assert len(queued(webhook_cloud)) == 2
    assert len(logged(first)) == len(logged(second)) == 1


def test_an_event_whose_deliveries_are_still_pending_is_queued_again(
    webhook_cloud: WebhookCloud, dispatch_events: DispatchEvents
) -> None:
    """A run that crashed after logging a delivery but before queueing it must not lose it."""
    pending = subscribe("alice", "link.created")
    delivered = subscribe("alice", "link.created")
    event = link_event()
    for endpoint_id in (pending, delivered):
        delivery_log.open_delivery(
            DeliveryMessage.for_endpoint(event, endpoint_id=endpoint_id, owner="alice")
        )
    [finished] = logged(delivered)
    assert delivery_log.claim(finished, 1)
    delivery_log.record_attempt(
        finished, 1, state="delivered", at=now_iso(), status_code=200, duration_ms=3, error=None
    )

    dispatch_events(event)

    assert [message.endpoint_id for message in queued(webhook_cloud)] == [pending]


def test_fan_out_beyond_one_send_batch(
    webhook_cloud: WebhookCloud, dispatch_events: DispatchEvents
) -> None:
    subscribed = {subscribe("alice", "link.created") for _ in range(12)}

    dispatch_events(link_event())

    assert {message.endpoint_id for message in queued(webhook_cloud)} == subscribed


def test_an_owner_without_endpoints_is_recorded_as_skipped(
    webhook_cloud: WebhookCloud, dispatch_events: DispatchEvents
) -> None:
    event: LinkEvent = link_event(owner="carol")

    assert dispatch_events(event) == {"batchItemFailures": []}

    assert queued(webhook_cloud) == []
    assert effects.effects_for(event.link.code)["webhooks"]["state"] == "skipped"
