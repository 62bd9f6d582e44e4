"""POST/GET/DELETE /webhooks and GET /webhooks/{id}/deliveries, as an API consumer sees them."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from shortener.webhooks.messages import delivery_id_for
from tests.unit.conftest import ApiAnswer, ApiCall, assert_problem
from tests.unit.webhooks_support import DispatchEvents, link_event

pytest_plugins = ["tests.unit.webhooks_fixtures"]

PUBLIC_HOST = "hooks.partner.example"
PUBLIC_URL = f"https://{PUBLIC_HOST}/shortener"


@pytest.fixture
def public_partner(webhook_dns: dict[str, list[str]]) -> str:
    webhook_dns[PUBLIC_HOST] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    return PUBLIC_URL


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set ALLOW_LOOPBACK_WEBHOOKS as a stack would: allow_loopback(True)."""
    return lambda allowed: monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", str(allowed).lower())


def subscribe(
    api: ApiCall, url: str, events: tuple[str, ...] = ("link.created",), owner: str = "alice"
) -> ApiAnswer:
    return api("POST", "/webhooks", body={"url": url, "events": list(events)}, owner=owner)


def endpoints_of(api: ApiCall, owner: str = "alice") -> list[dict[str, Any]]:
    answer = api("GET", "/webhooks", owner=owner)
    assert answer.status == 200
    return list(answer.json()["items"])


def test_subscribing_returns_the_endpoint_and_its_secret_once(
    api: ApiCall, public_partner: str
) -> None:
    created = subscribe(api, public_partner)

    assert created.status == 201
    endpoint = created.json()
    assert endpoint["id"].startswith("ep_")
    assert endpoint["url"] == public_partner
    assert endpoint["events"] == ["link.created"]
    assert endpoint["enabled"] is True
    assert endpoint["created_at"]
    assert endpoint["secret"].startswith("whsec_")
    assert len(base64.b64decode(endpoint["secret"].removeprefix("whsec_"))) == 32

    listed = api("GET", "/webhooks")
    assert listed.status == 200
    [shown] = listed.json()["items"]
    assert shown["id"] == endpoint["id"]
    assert shown["enabled"] is True
    assert shown["consecutive_failures"] == 0
    assert "secret" not in shown
    assert endpoint["secret"] not in listed.text


def test_each_endpoint_gets_its_own_secret(api: ApiCall, public_partner: str) -> None:
    first = subscribe(api, public_partner, ("link.created", "link.deleted")).json()
    second = subscribe(api, public_partner, ("link.created", "link.deleted")).json()

    assert first["id"] != second["id"]
    assert first["secret"] != second["secret"]
    assert len(endpoints_of(api)) == 2


def test_owners_see_only_their_own_endpoints(api: ApiCall, public_partner: str) -> None:
    alices = subscribe(api, public_partner).json()

    assert endpoints_of(api, owner="bob") == []
    assert_problem(api("DELETE", f"/webhooks/{alices['id']}", owner="bob"), 404)
    assert_problem(api("GET", f"/webhooks/{alices['id']}/deliveries", owner="bob"), 404)
    assert [endpoint["id"] for endpoint in endpoints_of(api)] == [alices["id"]]


def test_deleting_an_endpoint(api: ApiCall, public_partner: str) -> None:
    endpoint = subscribe(api, public_partner).json()

    deleted = api("DELETE", f"/webhooks/{endpoint['id']}")

    assert deleted.status == 204
    assert deleted.text == ""
    assert endpoints_of(api) == []
    assert_problem(api("DELETE", f"/webhooks/{endpoint['id']}"), 404)
    assert_problem(api("GET", f"/webhooks/{endpoint['id']}/deliveries"), 404)


@pytest.mark.parametrize("webhook_id", ["ep_0123456789abcdef", "not-an-id", "x" * 2000])
def test_unknown_endpoint_ids_are_not_found(api: ApiCall, webhook_id: str) -> None:
    assert_problem(api("DELETE", f"/webhooks/{webhook_id}"), 404)
    assert_problem(api("GET", f"/webhooks/{webhook_id}/deliveries"), 404)


def test_delivery_log_lists_deliveries_newest_first(
    api: ApiCall, dispatch_events: DispatchEvents, public_partner: str
) -> None:
    endpoint = subscribe(api, public_partner).json()
    first, second = link_event(code="first01"), link_event(code="second2")
    dispatch_events(first)
    dispatch_events(second)

    answer = api("GET", f"/webhooks/{endpoint['id']}/deliveries")

    assert answer.status == 200
    items = answer.json()["items"]
    assert [item["code"] for item in items] == ["second2", "first01"]
    shown = dict(items[0])
    assert shown.pop("updated_at")
    assert shown.pop("created_at")
    assert shown == {
        "delivery_id": delivery_id_for(second.id, endpoint["id"]),
        "event_id": second.id,
        "event_type": "link.created",
        "code": "second2",
        "attempts": 0,
        "last_status_code": None,
        "last_error": None,
        "state": "pending",
        "next_attempt_at": None,
    }
    newest = api("GET", f"/webhooks/{endpoint['id']}/deliveries", query={"limit": "1"})
    assert [item["code"] for item in newest.json()["items"]] == ["second2"]
    following = api(
        "GET",
        f"/webhooks/{endpoint['id']}/deliveries",
        query={"limit": "1", "cursor": newest.json()["next_cursor"]},
    ).json()
    assert [item["code"] for item in following["items"]] == ["first01"]
    assert_problem(api("GET", f"/webhooks/{endpoint['id']}/deliveries", query={"limit": "0"}), 422)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": PUBLIC_URL, "events": []}, "#/events"),
        ({"url": PUBLIC_URL, "events": ["link.created", "link.created"]}, "#/events"),
        ({"url": PUBLIC_URL, "events": ["link.visited"]}, "#/events/0"),
        ({"url": PUBLIC_URL}, "#/events"),
        ({"events": ["link.created"]}, "#/url"),
        ({"url": PUBLIC_URL, "events": ["link.created"], "secret": "mine"}, "#/secret"),
    ],
)
def test_invalid_subscriptions_are_problems_that_change_nothing(
    api: ApiCall, public_partner: str, body: dict[str, Any], pointer: str
) -> None:
    problem = assert_problem(api("POST", "/webhooks", body=body), 422)

    assert pointer in [error["pointer"] for error in problem["errors"]]
    assert endpoints_of(api) == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[fd00:ec2::254]/", "metadata"),
        ("https://169.254.10.10/", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://224.0.0.1/", "multicast"),
        ("https://240.0.0.1/", "reserved"),
        ("https://100.64.0.1/", "non-global"),
        ("https://localhost/hook", "loopback"),
        ("https://127.0.0.1:8443/hook", "loopback"),
    ],
)
def test_urls_reaching_non_public_addresses_are_rejected(
    api: ApiCall, allow_loopback: Any, url: str, reason: str
) -> None:
    allow_loopback(False)

    problem = assert_problem(subscribe(api, url), 422)

    assert f"a {reason} address" in problem["detail"]
    assert problem["errors"] == [{"pointer": "#/url", "detail": problem["detail"]}]
    assert endpoints_of(api) == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://10.0.0.1/hook", "private"), ("http://169.254.169.254/latest/", "metadata")],
)
def test_allowing_loopback_opens_no_other_door(
    api: ApiCall, allow_loopback: Any, url: str, reason: str
) -> None:
    allow_loopback(True)

    problem = assert_problem(subscribe(api, url), 422)

    assert f"a {reason} address" in problem["detail"]


def test_a_host_name_resolving_to_loopback_or_private_is_rejected(
    api: ApiCall, webhook_dns: dict[str, list[str]], allow_loopback: Any
) -> None:
    allow_loopback(False)
    webhook_dns["sneaky.example"] = ["127.0.0.1"]
    webhook_dns["split.example"] = ["93.184.215.14", "10.20.30.40"]  # one bad answer suffices

    sneaky = assert_problem(subscribe(api, "https://sneaky.example/"), 422)
    split = assert_problem(subscribe(api, "https://split.example/"), 422)

    assert "loopback" in sneaky["detail"]
    assert "private" in split["detail"]
    assert "10.20.30.40" not in split["detail"]  # the kind of address, never which one


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://hooks.partner.example/", "https"),
        ("ftp://hooks.partner.example/", "https"),
        ("/relative/path", "https"),
        ("https://user:pass@hooks.partner.example/", "credentials"),
        ("https://no-such-host.example/", "does not resolve"),
        ("https://hooks.partner.example:99999/", "not a valid URL"),
        ("https://" + "a" * 2050 + ".example/", "2048"),
    ],
)
def test_urls_that_are_not_public_https_urls_are_rejected(
    api: ApiCall, public_partner: str, url: str, detail: str
) -> None:
    problem = assert_problem(subscribe(api, url), 422)

    assert detail in str(problem)
    assert endpoints_of(api) == []


def test_loopback_http_partners_are_allowed_only_when_the_stack_allows_them(
    api: ApiCall, allow_loopback: Any
) -> None:
    allow_loopback(False)
    assert_problem(subscribe(api, "http://127.0.0.1:8080/hooks"), 422)

    allow_loopback(True)
    assert subscribe(api, "http://127.0.0.1:8080/hooks").status == 201
