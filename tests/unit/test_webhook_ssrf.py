"""The SSRF guard's address rules and what it hands the delivery (docs/webhooks.md)."""

from __future__ import annotations

import ipaddress

import pytest

from shortener.webhooks import ssrf

pytest_plugins = ["tests.unit.webhooks_fixtures"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address under test, not a bind)
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),  # carrier-grade NAT, shared address space
        # IPv6 forms that carry an IPv4 address are judged by that address.
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        # Public addresses pass.
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("::ffff:93.184.215.14", None),
    ],
)
def test_address_rules(address: str, reason: str | None) -> None:
    assert ssrf.non_public_reason(ipaddress.ip_address(address)) == reason


def test_a_vetted_target_carries_the_addresses_to_connect_to(
    webhook_dns: dict[str, list[str]],
) -> None:
    webhook_dns["hooks.partner.example"] = ["93.184.215.14", "2606:2800:21f:cb07::1"]

    target = ssrf.vet_url("HTTPS://Hooks.Partner.Example/in/box?team=7#top", allow_loopback=False)

    assert target == ssrf.WebhookTarget(
        url="HTTPS://Hooks.Partner.Example/in/box?team=7#top",
        scheme="https",
        host="hooks.partner.example",
        port=443,
        request_target="/in/box?team=7",
        addresses=("93.184.215.14", "2606:2800:21f:cb07::1"),
    )


def test_international_host_names_are_resolved_in_their_ascii_form(
    webhook_dns: dict[str, list[str]],
) -> None:
    webhook_dns["xn--bcher-kva.example"] = ["93.184.215.14"]

    assert ssrf.vet_url("https://bücher.example/", allow_loopback=False).host == (
        "xn--bcher-kva.example"
    )


def test_the_real_resolver_is_used_when_nothing_replaces_it() -> None:
    target = ssrf.vet_url("http://localhost:8080/hook", allow_loopback=True)

    assert target.port == 8080
    assert target.addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in target.addresses)
