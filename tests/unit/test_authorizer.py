"""The TOKEN authorizer: a live Bearer key lets its owner in to the routes of its scopes, metered
by its usage plan; nothing else does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from functions.authorizer.handler import handler
from shortener.keys import hash_api_key, key_id_for
from shortener.scopes import ROUTE_SCOPES
from tests.unit.conftest import (
    ACCOUNT_ID,
    API_ID,
    REGION,
    STAGE,
    AwsResources,
    issue_api_key,
    new_lambda_context,
    token_event,
)


def test_a_live_key_is_allowed_the_routes_of_its_scopes_with_its_owner_in_the_context(
    api_key: Callable[..., str],
) -> None:
    key = api_key("alice", email="alice@example.com")

    response = handler(token_event(f"Bearer {key}", path="/links/abc1234"), new_lambda_context())

    key_id = key_id_for(hash_api_key(key))
    assert response["principalId"] == key_id
    assert response["context"] == {"owner": "alice", "key_id": key_id}
    [statement] = response["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"
    # Cached per token, the policy must cover the routes the same key calls next: a key made
    # before scopes has all of them.
    prefix = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/"
    assert f"{prefix}POST/links" in statement["Resource"]
    assert f"{prefix}GET/links/*/clicks" in statement["Resource"]
    assert len(statement["Resource"]) == len(ROUTE_SCOPES)


def test_a_key_on_a_plan_names_its_api_gateway_key_as_the_usage_identifier(
    aws: AwsResources,
) -> None:
    key = issue_api_key("alice", scopes=["links:read"], gateway_key_value="v" * 40)

    response = handler(token_event(f"Bearer {key}"), new_lambda_context())

    assert response["usageIdentifierKey"] == "v" * 40
    allowed = [s for s in response["policyDocument"]["Statement"] if s["Effect"] == "Allow"]
    resources = [arn for statement in allowed for arn in statement["Resource"]]
    assert resources
    assert all("/GET/" in arn or "/HEAD/" in arn for arn in resources)


def test_the_scheme_is_case_insensitive(api_key: Callable[..., str]) -> None:
    key = api_key("alice")

    response = handler(token_event(f"bearer {key}"), new_lambda_context())

    assert response["context"]["owner"] == "alice"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer shk_this-key-was-never-issued",
        "Bearer " + "x" * 5000,
    ],
)
def test_a_missing_or_unknown_key_is_unauthorized(
    aws: AwsResources, api_key: Callable[..., str], authorization: str | None
) -> None:
    api_key("alice")

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(token_event(authorization), new_lambda_context())


def test_a_revoked_key_is_unauthorized(api_key: Callable[..., str]) -> None:
    key = api_key("alice", revoked=True)

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(token_event(f"Bearer {key}"), new_lambda_context())


def test_the_key_itself_is_not_what_is_stored(
    aws: AwsResources, api_key: Callable[..., str]
) -> None:
    key = api_key("alice")

    [item] = aws.dynamodb.scan(TableName="ApiKeys")["Items"]

    assert key not in str(item)
    assert item["key_hash"]["S"] == hash_api_key(key)
