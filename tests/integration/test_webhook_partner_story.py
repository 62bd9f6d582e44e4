"""A partner's life with the webhooks on `make run` (issue 12, "Done when"): a secret rotation
that both secrets verify, a test event, a resend with the same webhook-id, an outage recovered
with each delivery exactly once, Retry-After measured on the partner's own clock, 410 and the
owner's one email. The local stack's retry schedule is seconds: [1, 2, 4]."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.integration.helpers import (
    Owner,
    Partner,
    ReceivedWebhook,
    Stack,
    describe,
    email_text,
    run_ops_json,
    sent_emails,
    wait_until,
)

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

TARGET = "https://example.com/partner/story"
DELIVERED_TIMEOUT = 30
FAILED_TIMEOUT = 60  # three tries over about 7 s, plus the pipeline


@pytest.fixture
def own_dead_letters_removed(stack: Stack) -> Iterator[set[str]]:
    """Endpoint ids whose dead letters this test leaves behind: removed afterwards, so that
    other tests find the delivery DLQ as they left it."""
    endpoint_ids: set[str] = set()
    yield endpoint_ids
    dlq_url = stack.dlq_url("DeliveryQueue")
    while messages := stack.sqs.receive_message(
        QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30
    ).get("Messages", []):
        for message in messages:
            mine = json.loads(message["Body"]).get("endpoint_id") in endpoint_ids
            if mine:
                stack.sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                stack.sqs.change_message_visibility(
                    QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        if not any(json.loads(m["Body"]).get("endpoint_id") in endpoint_ids for m in messages):
            break


def deliveries(owner: Owner, endpoint_id: str) -> list[dict[str, Any]]:
    response = owner.api.get(f"/webhooks/{endpoint_id}/deliveries")
    assert response.status_code == 200, describe(response)
    return list(response.json()["items"])


def endpoint(owner: Owner, endpoint_id: str) -> dict[str, Any]:
    response = owner.api.get("/webhooks")
    assert response.status_code == 200, describe(response)
    [found] = [item for item in response.json()["items"] if item["id"] == endpoint_id]
    return dict(found)


def tries_of(
    partner: Partner, code: str, count: int, *, delivered: bool = False
) -> list[ReceivedWebhook] | None:
    """The partner's first `count` requests for a link, once it has had that many."""
    seen = partner.delivered() if delivered else partner.received
    tries = [webhook for webhook in seen if webhook.code == code]
    return tries[:count] if len(tries) >= count else None


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def test_during_a_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    owner: Owner, partner: Partner
) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])
    rotated = owner.api.post(f"/webhooks/{subscribed['id']}/rotate-secret")
    assert rotated.status_code == 200, describe(rotated)
    new_secret = rotated.json()["secret"]

    code = owner.api.create_link(f"{TARGET}/rotation")["code"]

    [received] = wait_until(
        lambda: [w for w in partner.delivered() if w.code == code], DELIVERED_TIMEOUT
    )
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (subscribed["secret"], new_secret):
        payload = Webhook(secret).verify(received.body, received.headers)
        assert payload["data"]["code"] == code


def test_a_test_event_reaches_the_partner_signed_and_is_in_the_log(
    owner: Owner, partner: Partner
) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])

    queued = owner.api.post(f"/webhooks/{subscribed['id']}/test")

    assert queued.status_code == 202, describe(queued)
    delivery_id = queued.json()["delivery_id"]
    [received] = wait_until(
        lambda: [w for w in partner.delivered() if w.webhook_id == delivery_id], DELIVERED_TIMEOUT
    )
    payload = Webhook(subscribed["secret"]).verify(received.body, received.headers)
    assert payload["type"] == "webhook.test"
    path = f"/webhooks/{subscribed['id']}/deliveries/{delivery_id}"
    one = wait_until(
        lambda: (shown := owner.api.get(path).json())["state"] == "delivered" and shown,
        DELIVERED_TIMEOUT,
    )
    assert [attempt["status_code"] for attempt in one["attempts"]] == [200]


def test_a_resend_arrives_again_with_the_same_webhook_id(owner: Owner, partner: Partner) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])
    code = owner.api.create_link(f"{TARGET}/resend")["code"]
    [first] = wait_until(
        lambda: [w for w in partner.delivered() if w.code == code], DELIVERED_TIMEOUT
    )
    wait_until(
        lambda: [d for d in deliveries(owner, subscribed["id"]) if d["state"] == "delivered"],
        DELIVERED_TIMEOUT,
    )

    resent = owner.api.post(f"/webhooks/{subscribed['id']}/deliveries/{first.webhook_id}/resend")

    assert resent.status_code == 202, describe(resent)
    copies = wait_until(lambda: tries_of(partner, code, 2, delivered=True), DELIVERED_TIMEOUT)
    assert {copy.webhook_id for copy in copies} == {first.webhook_id}
    assert copies[0].body == copies[1].body


def test_a_partner_down_then_back_gets_every_delivery_exactly_once_after_recover(
    owner: Owner, partner: Partner, stack: Stack, own_dead_letters_removed: set[str]
) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])
    own_dead_letters_removed.add(subscribed["id"])
    outage_began = now_iso()
    partner.answer(500)
    codes = [owner.api.create_link(f"{TARGET}/outage?n={n}")["code"] for n in range(3)]

    wait_until(
        lambda: sorted(d["state"] for d in deliveries(owner, subscribed["id"])) == ["failed"] * 3,
        FAILED_TIMEOUT,
        what="every delivery failed after its last try",
    )
    partner.come_back()
    recovered = owner.api.post(
        f"/webhooks/{subscribed['id']}/recover", json={"since": outage_began}
    )
    again = owner.api.post(f"/webhooks/{subscribed['id']}/recover", json={"since": outage_began})

    assert recovered.status_code == 202, describe(recovered)
    assert recovered.json() == {"queued": 3}
    assert again.json() == {"queued": 0}
    wait_until(
        lambda: (
            sorted(d["state"] for d in deliveries(owner, subscribed["id"])) == ["delivered"] * 3
        ),
        DELIVERED_TIMEOUT,
        what="every recovered delivery delivered",
    )
    delivered = [w for w in partner.delivered() if w.code in codes]
    assert sorted(w.code for w in delivered) == sorted(codes)
    assert set(Counter(w.webhook_id for w in delivered).values()) == {1}
    failed_ids = {w.webhook_id for w in partner.received if w.code in codes and not w.delivered}
    assert {w.webhook_id for w in delivered} == failed_ids  # the same webhook-id as the failures


def test_retry_after_moves_the_next_try_as_far_as_the_partner_asked(
    owner: Owner, partner: Partner
) -> None:
    owner.api.subscribe(partner.url, ["link.created"])
    partner.answer(503, retry_after="3")  # the schedule's next try would be after about 1 s
    code = owner.api.create_link(f"{TARGET}/retry-after")["code"]
    wait_until(lambda: [w for w in partner.received if w.code == code], DELIVERED_TIMEOUT)
    partner.answer(200)

    first, second = wait_until(lambda: tries_of(partner, code, 2), DELIVERED_TIMEOUT)

    assert second.received_at - first.received_at >= 3.0
    assert second.delivered


def test_410_disables_the_endpoint_at_once_and_its_owner_gets_one_email(
    owner: Owner,
    partner: Partner,
    aws_endpoint: str,
    own_dead_letters_removed: set[str],
) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])
    own_dead_letters_removed.add(subscribed["id"])
    since = now_iso()
    partner.answer(410)
    codes = [owner.api.create_link(f"{TARGET}/gone")["code"]]

    wait_until(lambda: not endpoint(owner, subscribed["id"])["enabled"], DELIVERED_TIMEOUT)
    assert len(partner.received) == 1  # no retry after a 410

    def notices() -> list[dict[str, Any]]:
        return [
            mail
            for mail in sent_emails(aws_endpoint, owner.email)
            if subscribed["id"] in email_text(mail) and "disabled" in email_text(mail)
        ]

    [notice] = wait_until(notices, DELIVERED_TIMEOUT, what="the owner's notice")
    assert partner.url in email_text(notice)
    assert "HTTP 410" in email_text(notice)
    codes.append(owner.api.create_link(f"{TARGET}/gone-after")["code"])
    wait_until(
        lambda: "skipped" in [d["state"] for d in deliveries(owner, subscribed["id"])],
        DELIVERED_TIMEOUT,
    )
    assert len(partner.received) == 1
    assert len(notices()) == 1

    # The partner is back: re-enabled, both (the one it refused, the one skipped) recovered.
    partner.answer(200)
    enabled = owner.api.patch(f"/webhooks/{subscribed['id']}", json={"enabled": True})
    assert enabled.json()["enabled"] is True
    recovered = owner.api.post(f"/webhooks/{subscribed['id']}/recover", json={"since": since})
    assert recovered.json() == {"queued": 2}
    wait_until(
        lambda: sorted(w.code for w in partner.delivered()) == sorted(codes), DELIVERED_TIMEOUT
    )


def test_another_owner_gets_404_on_every_webhook_route(
    owner: Owner, partner: Partner, new_owner: Any
) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])
    queued = owner.api.post(f"/webhooks/{subscribed['id']}/test").json()
    base = f"/webhooks/{subscribed['id']}"
    one = f"{base}/deliveries/{queued['delivery_id']}"
    other = new_owner("mallory").api

    for method, path, body in [
        ("PATCH", base, {"enabled": False}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("POST", f"{base}/test", None),
        ("POST", f"{base}/recover", {"since": "2020-01-01T00:00:00Z"}),
        ("GET", f"{base}/deliveries", None),
        ("GET", one, None),
        ("POST", f"{one}/resend", None),
    ]:
        response = other.request(method, path, json=body)
        assert response.status_code == 404, describe(response)
        assert response.headers["content-type"] == "application/problem+json"
    assert endpoint(owner, subscribed["id"])["enabled"] is True


def test_an_operator_sees_the_failing_endpoint_and_recovers_it_with_ops(
    owner: Owner,
    partner: Partner,
    aws_endpoint: str,
    own_dead_letters_removed: set[str],
) -> None:
    subscribed = owner.api.subscribe(partner.url, ["link.created"])
    own_dead_letters_removed.add(subscribed["id"])
    partner.answer(503)
    codes = [owner.api.create_link(f"{TARGET}/ops?n={n}")["code"] for n in range(2)]
    wait_until(
        lambda: sorted(d["state"] for d in deliveries(owner, subscribed["id"])) == ["failed"] * 2,
        FAILED_TIMEOUT,
    )

    [listed] = run_ops_json(aws_endpoint, "webhooks", "list", "--owner", owner.name)
    assert (listed["id"], listed["enabled"], listed["consecutive_failures"]) == (
        subscribed["id"],
        True,
        2,
    )
    assert listed["deliveries"]["failed"] == 2
    assert listed["last_error"].startswith("HTTP 503")
    dry = run_ops_json(
        aws_endpoint,
        "webhooks",
        "recover",
        subscribed["id"],
        "--owner",
        owner.name,
        "--since",
        "-10m",
        "--dry-run",
    )
    assert dry["would_queue"] == 2
    partner.come_back()
    recovered = run_ops_json(
        aws_endpoint,
        "webhooks",
        "recover",
        subscribed["id"],
        "--owner",
        owner.name,
        "--since",
        "-10m",
    )

    assert recovered["queued"] == 2
    wait_until(
        lambda: sorted(w.code for w in partner.delivered()) == sorted(codes), DELIVERED_TIMEOUT
    )
    wait_until(
        lambda: (
            sorted(d["state"] for d in deliveries(owner, subscribed["id"])) == ["delivered"] * 2
        ),
        DELIVERED_TIMEOUT,
    )
    [first, *_] = partner.delivered()
    resent = run_ops_json(
        aws_endpoint,
        "webhooks",
        "resend",
        subscribed["id"],
        first.webhook_id,
        "--owner",
        owner.name,
    )
    assert resent["queued"] == 1
    wait_until(lambda: len(partner.delivered()) == 3, DELIVERED_TIMEOUT)
    assert Counter(w.webhook_id for w in partner.delivered())[first.webhook_id] == 2
