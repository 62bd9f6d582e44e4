"""Latency and failures injected into moto's SES, which runs inside the benchmark's process.

SESv2 hands its sends to the classic SES backend, so wrapping the classic backend's send methods
slows or breaks both APIs, for the local cloud's email consumer and the sync chain alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.ses.models import SESBackend

SEND_METHODS = ("send_email", "send_raw_email", "send_templated_email")


class EmailServiceDown(JsonRESTError):
    """What SES answers while the benchmark holds the email service down: a 503, as an AWS
    service answers during an outage (moto renders it as an error response, not a crash)."""

    code = 503

    def __init__(self) -> None:
        super().__init__("ServiceUnavailable", "email service unavailable (benchmark outage)")


@contextmanager
def ses_behaviour(*, delay_s: float = 0.0, down: bool = False) -> Iterator[None]:
    originals = {name: getattr(SESBackend, name) for name in SEND_METHODS}

    def degraded(original: Callable[..., Any]) -> Callable[..., Any]:
        def send(self: SESBackend, *args: Any, **kwargs: Any) -> Any:
            time.sleep(delay_s)  # the injected service latency, by design
            if down:
                raise EmailServiceDown()
            return original(self, *args, **kwargs)

        return send

    for name, original in originals.items():
        setattr(SESBackend, name, degraded(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(SESBackend, name, original)
