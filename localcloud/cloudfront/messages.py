"""The requests and answers that cross the edge: viewer to edge, edge to origin and back."""

from __future__ import annotations

from dataclasses import dataclass, field


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in reversed(headers) if k.lower() == lowered), None)


@dataclass
class Request:
    method: str
    path: str  # without the query string, as sent (URL-encoded)
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)
