"""CloudFront's caching rules as functions: TTLs from the policy and the origin's headers,
path patterns and invalidation paths, and a cache that stays within its bounds."""

from __future__ import annotations

import pytest

from localcloud.cloudfront.cache import CachedAnswer, CacheKey, EdgeCache
from localcloud.cloudfront.expiration import ttl_seconds
from localcloud.cloudfront.paths import matches_invalidation, matches_path_pattern
from localcloud.cloudfront.policies import MANAGED_CACHE_POLICIES, CachePolicy

POLICY = CachePolicy("test", min_ttl=5, default_ttl=60, max_ttl=300)


@pytest.mark.parametrize(
    ("status", "cache_control", "expected"),
    [
        (200, None, 60),  # nothing from the origin: DefaultTTL
        (200, "max-age=100", 100),
        (200, "max-age=100, s-maxage=200", 200),  # s-maxage wins for a shared cache
        (200, "max-age=1", 5),  # below MinTTL: MinTTL
        (200, "s-maxage=3600", 300),  # above MaxTTL: MaxTTL
        (200, "no-store", 5),  # refused, but MinTTL > 0 wins
        (302, "public, max-age=0, s-maxage=60", 60),
        (307, None, 0),  # 307/308 only with a Cache-Control header
        (404, None, 10),  # errors: the error caching minimum TTL
        (404, "max-age=120", 120),
        (404, "no-store", 0),
        (503, "no-store", 10),  # no-store is honoured for 404, 410, 414 and 501 only
        (201, "max-age=100", 0),  # not a status CloudFront caches
    ],
)
def test_ttl_follows_the_policy_and_the_origins_headers(
    status: int, cache_control: str | None, expected: int
) -> None:
    assert ttl_seconds(POLICY, status, cache_control) == expected


def test_expires_counts_from_the_origins_date() -> None:
    date, expires = "Tue, 01 Dec 2026 12:00:00 GMT", "Tue, 01 Dec 2026 12:02:00 GMT"

    assert ttl_seconds(POLICY, 200, None, expires, date) == 120
    assert ttl_seconds(POLICY, 200, "max-age=10", expires, date) == 10


def test_caching_disabled_caches_nothing_not_even_errors() -> None:
    disabled = MANAGED_CACHE_POLICIES["4135ea2d-6df8-44a3-9df3-4b5a84be39ad"]

    assert ttl_seconds(disabled, 200, "max-age=100") == 0
    assert ttl_seconds(disabled, 404, None) == 0


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/links", "/links", True),
        ("/links", "/linkshare", False),
        ("/links/*", "/links/abc/qr", True),
        ("/links/*", "/links", False),
        ("/links*", "/linkshare", True),
        ("images/*.jpg", "/images/a/b.jpg", True),  # the leading slash is optional
        ("/a?c", "/abc", True),
        ("/a?c", "/ac", False),
        ("/Links", "/links", False),  # case-sensitive
        ("/[ab]", "/a", False),  # no character classes
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert matches_path_pattern(pattern, path) is matches


@pytest.mark.parametrize(
    ("invalidation", "uri", "purged"),
    [
        ("/abc", "/abc", True),
        ("/abc", "/abc?v=1", False),
        ("/abc*", "/abc?v=1", True),
        ("/qr/abc.*", "/qr/abc.png", True),
        ("/qr/abc.*", "/qr/abcd.png", False),
        ("/*", "/anything", True),
        ("/a*c", "/abc", False),  # a `*` that does not end the path is literal
    ],
)
def test_invalidation_paths(invalidation: str, uri: str, purged: bool) -> None:
    assert matches_invalidation(invalidation, uri) is purged


def _answer(size: int = 10) -> CachedAnswer:
    return CachedAnswer(200, [], b"x" * size, ttl=60)


def test_the_cache_drops_the_least_recently_used_past_its_entry_bound() -> None:
    cache = EdgeCache(max_entries=3)
    keys = [CacheKey("GET", f"/{n}") for n in range(5)]
    for key in keys[:3]:
        cache.put(key, _answer())
    assert cache.get(keys[0]) is not None  # now the most recently used

    for key in keys[3:]:
        cache.put(key, _answer())

    assert len(cache) == 3
    assert [cache.get(key) is not None for key in keys] == [True, False, False, True, True]


def test_the_cache_stays_within_its_byte_bound() -> None:
    cache = EdgeCache(max_entries=100, max_bytes=1_000)
    for n in range(50):
        cache.put(CacheKey("GET", f"/{n}"), _answer(100))

    assert cache.size_bytes <= 1_000
    assert len(cache) == 10
    cache.put(CacheKey("GET", "/huge"), _answer(2_000))  # larger than the whole cache
    assert cache.get(CacheKey("GET", "/huge")) is None
