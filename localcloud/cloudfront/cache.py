"""The edge cache: answers by cache key, each with its expiry, bounded in entries and bytes
(least recently used out first), so that a long session never grows it without bound.

An expired entry is kept (within the bounds) for revalidation: with a validator (`ETag` or
`Last-Modified`) the edge asks the origin conditionally and a 304 makes it a `RefreshHit`.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from localcloud.cloudfront.paths import matches_invalidation

MAX_ENTRIES = 10_000
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CacheKey:
    """Method group, the URI (path plus the query strings the policy keeps), and the headers
    and cookies the policy keeps. Invalidations match the URI only."""

    method: str
    uri: str
    variant: tuple[tuple[str, str], ...] = ()


@dataclass
class CachedAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    ttl: int
    stored_at: float = field(default_factory=time.monotonic)

    @property
    def age(self) -> int:
        return int(time.monotonic() - self.stored_at)

    @property
    def fresh(self) -> bool:
        return time.monotonic() - self.stored_at < self.ttl

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class EdgeCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries: OrderedDict[CacheKey, CachedAnswer] = OrderedDict()
        self._bytes = 0
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: CacheKey) -> CachedAnswer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
            return answer

    def put(self, key: CacheKey, answer: CachedAnswer) -> None:
        if answer.size > self._max_bytes:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = answer
            self._bytes += answer.size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                oldest = next(iter(self._entries))
                self._drop(oldest)

    def invalidate(self, paths: list[str]) -> int:
        """Drop every entry an invalidation path names; how many were dropped."""
        with self._lock:
            doomed = [
                key
                for key in self._entries
                if any(matches_invalidation(path, key.uri) for path in paths)
            ]
            for key in doomed:
                self._drop(key)
            return len(doomed)

    def _drop(self, key: CacheKey) -> None:
        answer = self._entries.pop(key, None)
        if answer is not None:
            self._bytes -= answer.size
