"""API Gateway's throttles: token buckets, one per method of the stage and one per API key of a
usage plan, refilled at the rate and holding at most the burst.

API Gateway "throttles requests to your API using the token bucket algorithm, where a token
counts for a request"; the stage's limits apply to each method on its own, a method's own
MethodSettings override them, and a usage plan's limits apply to each of its API keys
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
A bucket starts full. The account-wide limit (10,000 requests per second per Region) is not
emulated: one laptop does not reach it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable

from localcloud.apigateway.model import MethodThrottle

# What a limit of -1 (or none) means in MethodSettings: not throttled at this level.
UNLIMITED = -1


class TokenBucket:
    """`burst` tokens at most, `rate` more each second; a request takes one or is throttled."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Buckets:
    """Token buckets by key, made full on first use; a bucket whose limits change
    (UpdateUsagePlan) starts again, full, with the new ones."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, rate: float, burst: int) -> bool:
        """One token from the bucket of `key`; True when the request may pass."""
        if rate < 0 or burst < 0:
            return True
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst, self._clock)
            return bucket.take()


def method_limits(
    throttles: Iterable[MethodThrottle], resource_path: str, http_method: str
) -> tuple[float, int]:
    """The (rate, burst) for one method: its own MethodSettings, else the stage's default."""
    best: MethodThrottle | None = None
    for throttle in throttles:
        path_matches = throttle.resource_path in ("/*", resource_path)
        method_matches = throttle.http_method in ("*", http_method)
        if not (path_matches and method_matches):
            continue
        if best is None or _specificity(throttle) > _specificity(best):
            best = throttle
    if best is None:
        return UNLIMITED, UNLIMITED
    return best.rate_limit, best.burst_limit


def _specificity(throttle: MethodThrottle) -> int:
    return (throttle.resource_path != "/*") * 2 + (throttle.http_method != "*")
