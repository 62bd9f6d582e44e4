"""The authorizer's policy for each combination of scopes: every route of the scopes allowed,
every other management route refused, as API Gateway evaluates a cached policy for any route."""

from __future__ import annotations

import itertools
import re

import pytest

from infra.api import MANAGEMENT_ROUTES
from shortener.access_policy import scoped_policy
from shortener.scopes import ALL_SCOPES, ROUTE_SCOPES, UnknownScope, parse_scopes

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/links"
PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/"
EVERY_SCOPE_SET = [
    combination
    for size in range(len(ALL_SCOPES) + 1)
    for combination in itertools.combinations(ALL_SCOPES, size)
]


def _arn_of(method: str, path: str) -> str:
    """A request's method ARN: path parameters are values, here ones that look like words."""
    return PREFIX + method + re.sub(r"\{[^}]+\}", "abc1234", path)


def _verdict(policy: dict, arn: str) -> str:
    """API Gateway's evaluation: an explicit Deny wins, then an Allow; else denied."""

    def matches(pattern: str) -> bool:
        return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), arn) is not None

    effects = {
        statement["Effect"]
        for statement in policy["policyDocument"]["Statement"]
        if any(matches(resource) for resource in statement["Resource"])
    }
    return "Deny" if "Deny" in effects else "Allow" if "Allow" in effects else "Deny"


def test_every_management_route_has_exactly_one_scope() -> None:
    routes = {(method, path) for path, methods in MANAGEMENT_ROUTES for method in methods}
    routes |= {("HEAD", path) for method, path in routes if method == "GET"}

    assert set(ROUTE_SCOPES) == routes
    assert set(ROUTE_SCOPES.values()) == set(ALL_SCOPES)


@pytest.mark.parametrize("scopes", EVERY_SCOPE_SET, ids=lambda s: ",".join(s) or "none")
def test_the_policy_allows_exactly_the_routes_of_the_scopes(scopes: tuple[str, ...]) -> None:
    policy = scoped_policy(
        METHOD_ARN, principal_id="key_1", scopes=scopes, context={}, usage_identifier_key=None
    )

    for (method, path), scope in ROUTE_SCOPES.items():
        expected = "Allow" if scope in scopes else "Deny"
        assert _verdict(policy, _arn_of(method, path)) == expected, (method, path)
    assert _verdict(policy, _arn_of("GET", "/{code}")) == "Deny"  # never more than the API


def test_a_path_parameter_is_the_only_wildcard() -> None:
    policy = scoped_policy(
        METHOD_ARN,
        principal_id="key_1",
        scopes=ALL_SCOPES,
        context={},
        usage_identifier_key="k" * 40,
    )

    [statement] = policy["policyDocument"]["Statement"]
    assert f"{PREFIX}GET/links/*/qr" in statement["Resource"]
    assert f"{PREFIX}POST/webhooks/*/deliveries/*/resend" in statement["Resource"]
    assert all(
        arn.count("*") == path.count("{")
        for arn, (_, path) in zip(statement["Resource"], ROUTE_SCOPES, strict=True)
    )
    assert policy["usageIdentifierKey"] == "k" * 40


def test_a_links_reader_is_denied_the_clicks_its_links_pattern_would_cover() -> None:
    policy = scoped_policy(
        METHOD_ARN,
        principal_id="key_1",
        scopes=["links:read"],
        context={},
        usage_identifier_key=None,
    )

    deny = next(s for s in policy["policyDocument"]["Statement"] if s["Effect"] == "Deny")
    assert deny["Resource"] == [f"{PREFIX}GET/links/*/clicks", f"{PREFIX}HEAD/links/*/clicks"]


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        (None, ALL_SCOPES),
        ("", ALL_SCOPES),
        ("stats:read, links:read", ("links:read", "stats:read")),
        ("links:write,links:write", ("links:write",)),
    ],
)
def test_scopes_are_parsed_in_documented_order(text: str | None, scopes: tuple[str, ...]) -> None:
    assert parse_scopes(text) == scopes


def test_an_unknown_scope_is_named() -> None:
    with pytest.raises(UnknownScope, match="'links:admin'"):
        parse_scopes("links:read,links:admin")
