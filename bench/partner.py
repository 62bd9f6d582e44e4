"""A webhook partner on 127.0.0.1: a real HTTP server whose health the benchmark switches.

healthy answers at once, slow answers after the seed's 800 ms, down answers 503 at once (an
outage behind the partner's load balancer). A `failure_rate` makes a healthy partner answer 503
to that share of POSTs, drawn from a seeded generator so that runs repeat. Every accepted POST
is recorded with the time it arrived, so the benchmark can see when a link's delivery reached
the partner.
"""

from __future__ import annotations

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Health = Literal["healthy", "slow", "down"]
SLOW_SECONDS = 0.8


class Partner:
    def __init__(self, failure_rate: float = 0.0, seed: int = 0) -> None:
        self.health: Health = "healthy"
        self.failure_rate = failure_rate
        self.answered: dict[int, int] = {}
        self._faults = random.Random(seed)
        self._arrivals: dict[str, float] = {}
        self._lock = threading.Lock()
        partner = self

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                health = partner.health
                if health == "slow":
                    time.sleep(SLOW_SECONDS)  # the seed's webhook latency, by design
                status = 503 if health == "down" or partner._fails() else 204
                partner._count(status)
                if status == 204:
                    partner._record(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the benchmark prints its own tables."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def _fails(self) -> bool:
        with self._lock:
            return self._faults.random() < self.failure_rate

    def _count(self, status: int) -> None:
        with self._lock:
            self.answered[status] = self.answered.get(status, 0) + 1

    def _record(self, body: bytes) -> None:
        try:
            code = json.loads(body)["data"]["code"]
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            self._arrivals.setdefault(str(code), time.time())

    def arrived_at(self, code: str) -> float | None:
        """Wall-clock time of the first accepted delivery for `code`, if any arrived."""
        with self._lock:
            return self._arrivals.get(code)

    def __enter__(self) -> Partner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
