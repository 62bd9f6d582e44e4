"""The rules a target URL obeys, on their own (the API tests check them end to end)."""

from __future__ import annotations

import pytest

from shortener.links.validation import (
    MAX_URL_LENGTH,
    check_target_url,
    ensure_not_self_referencing,
)
from shortener.problems import Problem


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/a/b?c=d#e",
        "HTTPS://EXAMPLE.COM/upper",
        "https://[2001:db8::1]:8443/v6",
        "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/")),
    ],
)
def test_absolute_http_urls_with_a_host_are_accepted(url: str) -> None:
    assert check_target_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "http or https"),
        ("ftp://example.com/file", "http or https"),
        ("/relative/path", "http or https"),
        ("//example.com/scheme-relative", "http or https"),
        ("https://", "host"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com:99999999/", "well-formed"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "2048"),
    ],
)
def test_other_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_target_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://sho.rt/abc", "http://SHO.RT/abc", "https://sho.rt./abc", "https://sho.rt:8443/"],
)
def test_a_url_on_the_shorteners_own_host_is_refused(url: str) -> None:
    with pytest.raises(Problem) as refused:
        ensure_not_self_referencing(url, ["sho.rt", "api.example.net"])

    assert refused.value.status == 422
    assert refused.value.errors == [
        {"pointer": "#/url", "detail": "must not point at the shortener itself"}
    ]


def test_a_url_on_another_host_passes() -> None:
    ensure_not_self_referencing("https://shop.sho.rt.example/", ["sho.rt", ""])
