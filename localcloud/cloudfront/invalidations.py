"""Invalidations made through the CloudFront API purge the served cache at once.

moto's CloudFront stores an invalidation and marks it `Completed` as it creates it; the hook
here purges the local edge cache inside that same CreateInvalidation call, so a purge is
visible as soon as the call returns (on AWS it completes within minutes). A repeated
CallerReference answers with the invalidation already made and purges nothing new, as
CloudFront does.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Invalidation.html
https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.cloudfront.models import CloudFrontBackend

Listener = Callable[[list[str]], None]

_listeners: dict[str, list[Listener]] = {}
_lock = threading.Lock()
_installed = False


def _hooked(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_invalidation(
        backend: CloudFrontBackend, dist_id: str, paths: list[str], caller_ref: str
    ) -> Any:
        for earlier in backend.invalidations.get(dist_id, []):
            if earlier.caller_ref == caller_ref:
                return earlier
        invalidation = original(backend, dist_id, paths, caller_ref)
        with _lock:
            listeners = list(_listeners.get(dist_id, []))
        for listener in listeners:
            listener([str(path) for path in paths])
        return invalidation

    return create_invalidation


def install() -> None:
    """Hook moto's CreateInvalidation once per process (its backends are per process too)."""
    global _installed
    with _lock:
        if _installed:
            return
        CloudFrontBackend.create_invalidation = _hooked(  # type: ignore[method-assign]
            CloudFrontBackend.create_invalidation
        )
        _installed = True


def subscribe(distribution_id: str, listener: Listener) -> Callable[[], None]:
    """Call `listener(paths)` on every new invalidation of the distribution; returns the
    function that unsubscribes."""
    install()
    with _lock:
        _listeners.setdefault(distribution_id, []).append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners.get(distribution_id, []):
                _listeners[distribution_id].remove(listener)

    return unsubscribe
