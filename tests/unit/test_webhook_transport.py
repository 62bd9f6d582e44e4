"""The delivery's HTTP client: it connects to the vetted address yet checks TLS for the host
name, and it never follows a redirect."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shortener.webhooks import ssrf, transport

pytest_plugins = ["tests.unit.webhooks_fixtures"]


def self_signed_certificate(host: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{host}.pem", directory / f"{host}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Seen:
    server_names: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


class Answer(BaseHTTPRequestHandler):
    seen: Seen
    location: str | None = None

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.seen.hosts.append(self.headers["host"])
        self.send_response(302 if self.location else 200)
        if self.location:
            self.send_header("location", self.location)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def serve(handler: type[Answer], tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def https_partner(tmp_path: Path) -> Iterator[tuple[int, Path, Seen]]:
    """An https partner for partner.test on 127.0.0.1: (port, its certificate, what it saw)."""
    cert, key = self_signed_certificate("partner.test", tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    seen = Seen()
    tls.sni_callback = lambda _socket, name, _context: seen.server_names.append(name)
    handler = type("PartnerAnswer", (Answer,), {"seen": seen})
    server = serve(handler, tls)
    yield server.server_address[1], cert, seen
    server.shutdown()
    server.server_close()


def post(target: ssrf.WebhookTarget, tls: ssl.SSLContext | None = None) -> int:
    return transport.post(
        target, b"{}", {"content-type": "application/json"}, timeout=2, tls_context=tls
    ).status


def test_https_to_the_vetted_address_checks_the_certificate_for_the_host_name(
    https_partner: tuple[int, Path, Seen], webhook_dns: dict[str, list[str]], tmp_path: Path
) -> None:
    port, cert, seen = https_partner
    webhook_dns["partner.test"] = ["127.0.0.1"]
    target = ssrf.vet_url(f"https://partner.test:{port}/hook", allow_loopback=True)
    trusting = ssl.create_default_context(cafile=str(cert))

    assert post(target, trusting) == 200
    assert seen.server_names == ["partner.test"]
    assert seen.hosts == [f"partner.test:{port}"]

    # The same server under another name: the certificate no longer matches.
    webhook_dns["impostor.test"] = ["127.0.0.1"]
    impostor = ssrf.vet_url(f"https://impostor.test:{port}/hook", allow_loopback=True)
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        post(impostor, trusting)
    # And by default only publicly trusted certificates are accepted.
    with pytest.raises(ssl.SSLCertVerificationError):
        post(target)


def test_a_redirect_is_answered_not_followed() -> None:
    seen = Seen()
    handler = type(
        "Redirecting", (Answer,), {"seen": seen, "location": "http://169.254.169.254/latest/"}
    )
    server = serve(handler)
    try:
        target = ssrf.vet_url(f"http://127.0.0.1:{server.server_address[1]}/", allow_loopback=True)
        assert post(target) == 302
        assert len(seen.hosts) == 1
    finally:
        server.shutdown()
        server.server_close()
