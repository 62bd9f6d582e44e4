"""PATCH, rotate-secret, test, one delivery, resend and recover, through the api function, with
the deliverer posting to a real partner."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook

from shortener.clock import now_iso
from tests.unit.conftest import ApiCall, assert_problem
from tests.unit.webhooks_support import (
    DeliverQueued,
    DispatchEvents,
    Partner,
    WebhookCloud,
    link_event,
)

pytest_plugins = ["tests.unit.webhooks_fixtures"]


def subscribe(api: ApiCall, partner: Partner, owner: str = "alice") -> dict[str, Any]:
    answer = api(
        "POST", "/webhooks", body={"url": partner.url, "events": ["link.created"]}, owner=owner
    )
    assert answer.status == 201, answer.text
    endpoint = dict(answer.json())
    partner.secret = endpoint["secret"]
    return endpoint


def deliveries(api: ApiCall, endpoint_id: str) -> list[dict[str, Any]]:
    answer = api("GET", f"/webhooks/{endpoint_id}/deliveries")
    assert answer.status == 200, answer.text
    return list(answer.json()["items"])


def test_patch_changes_url_events_and_enabled(
    api: ApiCall, webhook_partner: Partner, webhook_cloud: WebhookCloud
) -> None:
    endpoint = subscribe(api, webhook_partner)
    other_url = webhook_partner.url.replace("/hooks/shortener", "/hooks/v2")

    answer = api(
        "PATCH",
        f"/webhooks/{endpoint['id']}",
        body={"url": other_url, "events": ["link.updated", "link.deleted"], "enabled": False},
    )

    assert answer.status == 200, answer.text
    changed = answer.json()
    assert (changed["url"], changed["events"], changed["enabled"]) == (
        other_url,
        ["link.updated", "link.deleted"],
        False,
    )
    assert changed["disabled_at"]
    assert "secret" not in changed
    [listed] = api("GET", "/webhooks").json()["items"]
    assert listed == changed


def test_re_enabling_resets_the_failure_count(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    webhook_cloud.retry_after()
    endpoint = subscribe(api, webhook_partner)
    webhook_partner.answer(410)
    dispatch_events(link_event())
    deliver_queued()
    assert api("GET", "/webhooks").json()["items"][0]["enabled"] is False

    answer = api("PATCH", f"/webhooks/{endpoint['id']}", body={"enabled": True})

    shown = answer.json()
    assert (shown["enabled"], shown["consecutive_failures"], shown["disabled_at"]) == (
        True,
        0,
        None,
    )
    assert shown["failing_since"] is None


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, None),
        ({"enabled": "yes please"}, "#/enabled"),
        ({"events": []}, "#/events"),
        ({"events": ["link.created", "link.created"]}, "#/events"),
        ({"url": ""}, "#/url"),
        ({"secret": "whsec_mine"}, "#/secret"),
    ],
)
def test_invalid_changes_are_422_and_change_nothing(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    body: dict[str, Any],
    pointer: str | None,
) -> None:
    endpoint = subscribe(api, webhook_partner)

    problem = assert_problem(api("PATCH", f"/webhooks/{endpoint['id']}", body=body), 422)

    if pointer:
        assert pointer in str(problem.get("errors"))
    [listed] = api("GET", "/webhooks").json()["items"]
    assert (listed["url"], listed["events"]) == (webhook_partner.url, ["link.created"])


def test_a_new_url_goes_through_the_ssrf_guard(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    webhook_dns: dict[str, list[str]],
) -> None:
    webhook_dns["127.0.0.1"] = ["127.0.0.1"]
    webhook_dns["inside.test"] = ["10.1.2.3"]
    endpoint = subscribe(api, webhook_partner)

    problem = assert_problem(
        api("PATCH", f"/webhooks/{endpoint['id']}", body={"url": "https://inside.test/hook"}),
        422,
    )

    assert problem["type"].endswith("/unsafe-webhook-url")
    assert api("GET", "/webhooks").json()["items"][0]["url"] == webhook_partner.url


def test_a_rotated_endpoint_signs_with_both_secrets_and_the_answer_shows_the_new_one_once(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    endpoint = subscribe(api, webhook_partner)

    rotated = api("POST", f"/webhooks/{endpoint['id']}/rotate-secret")

    assert rotated.status == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != endpoint["secret"]
    listed = api("GET", "/webhooks")
    assert new_secret not in listed.text
    assert listed.json()["items"][0]["secret_rotation_ends_at"]
    dispatch_events(link_event())
    deliver_queued()
    [received] = webhook_partner.received
    for secret in (endpoint["secret"], new_secret):
        assert Webhook(secret).verify(received.body, received.headers)["type"] == "link.created"


def test_a_test_event_goes_through_the_queue_and_is_logged_with_its_attempts(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    deliver_queued: DeliverQueued,
) -> None:
    webhook_cloud.retry_after(0)
    endpoint = subscribe(api, webhook_partner)
    webhook_partner.answer(503)

    queued = api("POST", f"/webhooks/{endpoint['id']}/test")

    assert queued.status == 202
    delivery_id = queued.json()["delivery_id"]
    assert [d["state"] for d in deliveries(api, endpoint["id"])] == ["pending"]
    deliver_queued()  # 503
    deliver_queued()  # the retry: 204
    first, second = webhook_partner.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery_id
    assert isinstance(second.verified_payload, dict)
    assert second.verified_payload["type"] == "webhook.test"
    assert second.verified_payload["data"]["endpoint_id"] == endpoint["id"]

    shown = api("GET", f"/webhooks/{endpoint['id']}/deliveries/{delivery_id}").json()
    assert (shown["state"], shown["attempt_count"], shown["event_type"]) == (
        "delivered",
        2,
        "webhook.test",
    )
    assert [(a["status_code"], a["error"]) for a in shown["attempts"]] == [
        (503, "HTTP 503: partner is down for maintenance"),
        (204, None),
    ]
    assert all(a["at"] and a["duration_ms"] >= 0 for a in shown["attempts"])


def test_resend_delivers_again_with_the_same_webhook_id(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    endpoint = subscribe(api, webhook_partner)
    dispatch_events(link_event())
    [pending] = deliveries(api, endpoint["id"])
    resend_path = f"/webhooks/{endpoint['id']}/deliveries/{pending['delivery_id']}/resend"
    assert_problem(api("POST", resend_path), 409)  # still being tried
    deliver_queued()

    answer = api("POST", resend_path)

    assert answer.status == 202
    assert answer.json() == {"delivery_id": pending["delivery_id"]}
    deliver_queued()
    first, again = webhook_partner.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == pending["delivery_id"]
    assert first.body == again.body
    [shown] = deliveries(api, endpoint["id"])
    assert (shown["state"], shown["attempts"]) == ("delivered", 2)


def test_recover_queues_each_failed_or_skipped_delivery_since_t_once(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    webhook_cloud.retry_after()  # one try each
    endpoint = subscribe(api, webhook_partner)
    webhook_partner.answer(500)
    dispatch_events(link_event(code="before1"))
    deliver_queued()
    outage_began = now_iso()
    webhook_partner.answer(500, 500)
    for code in ("during1", "during2"):
        dispatch_events(link_event(code=code))
        deliver_queued()
    dispatch_events(link_event(code="fine001"))
    deliver_queued()
    assert len(webhook_partner.received) == 4

    answer = api("POST", f"/webhooks/{endpoint['id']}/recover", body={"since": outage_began})
    again = api("POST", f"/webhooks/{endpoint['id']}/recover", body={"since": outage_began})

    assert (answer.status, answer.json()) == (202, {"queued": 2})
    assert again.json() == {"queued": 0}  # already queued: nothing twice
    deliver_queued()
    recovered = [r.verified_payload["data"]["code"] for r in webhook_partner.received[4:]]
    assert sorted(recovered) == ["during1", "during2"]
    states = {d["code"]: d["state"] for d in deliveries(api, endpoint["id"])}
    assert states == {
        "before1": "failed",
        "during1": "delivered",
        "during2": "delivered",
        "fine001": "delivered",
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"since": "yesterday"},
        {"since": "2026-12-01T10:00:00"},
        {"since": "9999-12-31T23:59:59-14:00"},
        {"since": "2026-12-01T10:00:00Z", "until": "now"},
        [],
        "x",
    ],
)
def test_recover_needs_a_time_with_a_zone(
    api: ApiCall, webhook_partner: Partner, webhook_cloud: WebhookCloud, body: Any
) -> None:
    endpoint = subscribe(api, webhook_partner)
    status = api("POST", f"/webhooks/{endpoint['id']}/recover", body=body).status
    assert status in (400, 422)


def test_a_cursor_not_from_this_endpoint_is_a_400(
    api: ApiCall, webhook_partner: Partner, webhook_cloud: WebhookCloud
) -> None:
    endpoint = subscribe(api, webhook_partner)
    answer = api("GET", f"/webhooks/{endpoint['id']}/deliveries", query={"cursor": "bm90LWEta2V5"})
    assert_problem(answer, 400)


def test_another_owner_gets_404_on_every_route(
    api: ApiCall,
    webhook_partner: Partner,
    webhook_cloud: WebhookCloud,
    dispatch_events: DispatchEvents,
    deliver_queued: DeliverQueued,
) -> None:
    endpoint = subscribe(api, webhook_partner)
    dispatch_events(link_event())
    deliver_queued()
    [delivery] = deliveries(api, endpoint["id"])
    base = f"/webhooks/{endpoint['id']}"
    one = f"{base}/deliveries/{delivery['delivery_id']}"
    routes = [
        ("PATCH", base, {"enabled": False}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("POST", f"{base}/test", None),
        ("POST", f"{base}/recover", {"since": "2020-01-01T00:00:00Z"}),
        ("GET", f"{base}/deliveries", None),
        ("GET", one, None),
        ("POST", f"{one}/resend", None),
    ]

    for method, path, body in routes:
        assert_problem(api(method, path, body=body, owner="mallory"), 404)

    [mine] = api("GET", "/webhooks").json()["items"]
    assert (mine["enabled"], mine.get("secret_rotation_ends_at")) == (True, None)
    assert len(webhook_partner.received) == 1
    assert webhook_cloud.queues.depth() == 0
    unknown = f"{base}/deliveries/msg_{'0' * 32}"
    assert_problem(api("GET", unknown), 404)
    assert_problem(api("POST", f"{unknown}/resend"), 404)
