"""The SSRF guard: a webhook may only reach public internet addresses.

The guard runs when an endpoint is subscribed and again right before every delivery attempt. It
returns the addresses it vetted, and the delivery connects to exactly those (see `transport`), so
a DNS answer that changes between the check and the request (DNS rebinding) cannot steer a
delivery to an internal address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from shortener import host_names

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}

# Instance metadata services. Link-local and unique-local anyway, named so the reason says so.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
# The well-known NAT64 prefix carries an IPv4 address in its last 32 bits (RFC 6052).
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class UnsafeWebhookUrl(ValueError):
    """The URL may not be a webhook target. The message says why and never names an address."""


@dataclass(frozen=True)
class WebhookTarget:
    """A vetted URL: where to connect (`addresses`) and what to ask for once connected."""

    url: str  # in ASCII: the host in IDNA form, the rest percent-encoded (see `host_names`)
    scheme: str
    host: str
    port: int
    request_target: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to, in the resolver's order of preference."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def non_public_reason(address: IPAddress) -> str | None:
    """Why a webhook may not target this address ("loopback", "private" ...), or None if public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return non_public_reason(embedded)
    checks = (
        ("metadata", address in METADATA_ADDRESSES),
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        # Whatever else IANA does not route publicly (shared 100.64/10, benchmarking ranges ...).
        ("non-global", not address.is_global),
    )
    return next((reason for reason, applies in checks if applies), None)


def vet_url(url: str, *, allow_loopback: bool) -> WebhookTarget:
    """The target of a webhook URL, or UnsafeWebhookUrl if it could reach a non-public address.

    Plain http is accepted only for loopback partners, and loopback only when `allow_loopback`
    (a stack synthesized for local use, whose partner listens on 127.0.0.1).
    """
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl(f"url must be at most {MAX_URL_LENGTH} characters")
    try:
        url = host_names.ascii_url(url)
        parts = urlsplit(url)
        port = parts.port
    except host_names.InvalidHost as error:
        raise UnsafeWebhookUrl(f"url {error}") from error
    except ValueError as error:
        raise UnsafeWebhookUrl("url is not a valid URL") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or (scheme == "http" and not allow_loopback):
        raise UnsafeWebhookUrl("url must be an absolute https URL")
    if not parts.hostname:
        raise UnsafeWebhookUrl("url must have a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookUrl("url must not carry credentials; deliveries are signed instead")
    host = parts.hostname
    port = port or DEFAULT_PORTS[scheme]
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise UnsafeWebhookUrl("url host does not resolve") from error
    if not addresses:
        raise UnsafeWebhookUrl("url host does not resolve")

    only_loopback = True
    for address in addresses:
        reason = non_public_reason(ipaddress.ip_address(address))
        if reason == "loopback" and allow_loopback:
            continue
        if reason is not None:
            raise UnsafeWebhookUrl(
                f"url host resolves to a {reason} address; webhooks may only target public hosts"
            )
        only_loopback = False
    if scheme == "http" and not only_loopback:
        raise UnsafeWebhookUrl("url must be an absolute https URL (http is for loopback only)")

    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(url, scheme, host, port, request_target, tuple(addresses))
