"""One HTTP POST to a vetted webhook target, over a socket opened to the vetted addresses only.

The standard library's http.client, not urllib or requests: it never follows redirects (a
partner's 302 to an internal address must not be followed) and never reads proxy settings from
the environment, and it lets the socket be opened to an address of our choosing while the Host
header, TLS SNI and the certificate check still use the URL's host name.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from shortener.webhooks.ssrf import WebhookTarget

# Enough of a partner's answer to say why it failed, never a whole (possibly large) body: only
# this much is read from the socket, and only this much can reach the delivery log.
RESPONSE_SNIPPET_BYTES = 1024


@dataclass(frozen=True)
class PartnerResponse:
    status: int
    snippet: str
    retry_after: str | None = None


def _open_socket(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first vetted address that accepts one, like create_connection."""
    last_error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as error:
            last_error = error
    raise last_error or OSError("no address to connect to")


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to `pinned_addresses` instead of resolving the host name again."""

    pinned_addresses: tuple[str, ...] = ()

    def connect(self) -> None:
        self.sock = _open_socket(self.pinned_addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection, _PinnedConnection):
    """TLS over the pinned socket: HTTPSConnection.connect wraps what _PinnedConnection opened."""


def post(
    target: WebhookTarget,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    tls_context: ssl.SSLContext | None = None,
) -> PartnerResponse:
    """POST `body` to the target; raises OSError (timeouts, refusals, TLS) or HTTPException."""
    connection: _PinnedConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target.host, target.port, timeout=timeout, context=tls_context
        )
    else:
        connection = _PinnedConnection(target.host, target.port, timeout=timeout)
    connection.pinned_addresses = target.addresses
    try:
        connection.request("POST", target.request_target, body=body, headers=headers)
        response = connection.getresponse()
        snippet = response.read(RESPONSE_SNIPPET_BYTES).decode("utf-8", errors="replace")
        return PartnerResponse(
            status=response.status, snippet=snippet, retry_after=response.getheader("retry-after")
        )
    finally:
        connection.close()
