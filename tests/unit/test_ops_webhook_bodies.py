"""`ops dlq peek` on what the webhook DLQs hold: a delivery of a test event, an owner notice."""

from __future__ import annotations

from ops.decode import decode_body
from shortener.webhooks.disable_notice import DisableNotice
from shortener.webhooks.messages import DeliveryMessage, WebhookTestEvent


def test_a_dead_lettered_test_delivery_says_what_it_is() -> None:
    message = DeliveryMessage.for_endpoint(
        WebhookTestEvent.for_endpoint("ep_0123456789abcdef"),
        endpoint_id="ep_0123456789abcdef",
        owner="alice",
    ).new_round(4)

    decoded = decode_body(message.model_dump_json())

    assert (decoded.kind, decoded.delivery_id, decoded.endpoint_id) == (
        "delivery",
        message.delivery_id,
        "ep_0123456789abcdef",
    )
    assert decoded.summary == "webhook.test delivery, attempt 4"


def test_a_dead_lettered_owner_notice_names_its_endpoint() -> None:
    notice = DisableNotice(
        notice_id="ep_0123456789abcdef@2026-12-01T10:00:00.000000Z",
        owner="alice",
        endpoint_id="ep_0123456789abcdef",
        url="https://partner.example/hooks",
        disabled_at="2026-12-01T10:00:00.000000Z",
        last_error="HTTP 410",
    )

    decoded = decode_body(notice.model_dump_json())

    assert (decoded.kind, decoded.endpoint_id) == ("notice", "ep_0123456789abcdef")
    assert decoded.summary == (
        "owner notice: endpoint ep_0123456789abcdef disabled at 2026-12-01T10:00:00.000000Z"
    )
