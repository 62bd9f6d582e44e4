"""The one HTTP server every endpoint of the local cloud runs on (API Gateway, CloudFront ...).

socketserver listens with a backlog of 5: a burst of a few dozen clients connecting at once
overflows it and the kernel resets the rest (`ConnectionResetError`), which no AWS endpoint
does. This server listens with a deep backlog (the kernel caps it at `net.core.somaxconn`,
https://man7.org/linux/man-pages/man2/listen.2.html) and serves each connection on its own
daemon thread, so hundreds of concurrent connections queue instead of being dropped, and
stopping never waits for a client that keeps its connection open.

Every accepted connection has Nagle's algorithm off (`TCP_NODELAY`): `http.server` sends the
headers and the body in two writes, and with Nagle on the body waits for the client's delayed
ACK of the headers, 40 ms on Linux (https://man7.org/linux/man-pages/man7/tcp.7.html), on every
response with a body. AWS's endpoints answer without that stall.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"
LISTEN_BACKLOG = 1024


class LoopbackHttpServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 with a deep listen backlog; `start` and `stop` it."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        super().__init__((LOOPBACK, port), handler)
        self._name = name
        self._thread: threading.Thread | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


class EndpointHandler(BaseHTTPRequestHandler):
    """A request handler whose every method, known or not, goes to `_serve` (the endpoint
    answers one it has no route for, as AWS's do), that writes whole responses, and that leaves
    access logging to the endpoint."""

    protocol_version = "HTTP/1.1"
    HOP_BY_HOP = ("content-length", "connection", "transfer-encoding")

    def _serve(self) -> None:
        raise NotImplementedError

    def write_response(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """The response with its own Content-Length (the hop-by-hop headers are the server's);
        no body on a HEAD."""
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in self.HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """The endpoint logs each request itself."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)
