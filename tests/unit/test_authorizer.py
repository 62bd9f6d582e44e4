"""The TOKEN authorizer: a live Bearer key lets its owner in to every route; nothing else does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from functions.authorizer.handler import handler
from shortener.keys import hash_api_key, key_id_for
from tests.unit.conftest import (
    ACCOUNT_ID,
    API_ID,
    REGION,
    STAGE,
    AwsResources,
    new_lambda_context,
    token_event,
)


def test_a_live_key_is_allowed_every_route_with_its_owner_in_the_context(
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
    # Cached per token, the policy must cover the routes the same key calls next.
    assert statement["Resource"] == [
        f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/*/*"
    ]


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
