"""Idempotency-Key on POST /links: a retry returns the first response, a different body is refused.

Powertools idempotency keyed on (owner, key), with the request body as the payload to validate.
The service imports this module only for a request that carries the header: the utility is a
noticeable part of the API's cold start, and most requests never need it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener import settings
from shortener.aws_clients import bounded_config
from shortener.problems import Problem

# Long enough to cover a client's retries across a bad day, short enough to forget keys.
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600

Insert = Callable[[dict[str, Any]], dict[str, Any]]

_config = IdempotencyConfig(
    event_key_jmespath="[owner, idempotency_key]",
    payload_validation_jmespath="request",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
)


@cache
def _once(insert: Insert) -> Callable[..., dict[str, Any]]:
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table_name(), boto_config=bounded_config()
    )
    insert_once: Callable[..., dict[str, Any]] = idempotent_function(
        data_keyword_argument="command",
        persistence_store=persistence,
        config=_config,
        key_prefix="shortener.links.create",
    )(insert)
    return insert_once


def run_once(
    insert: Insert, command: dict[str, Any], lambda_context: LambdaContext | None
) -> dict[str, Any]:
    """`insert(command)` once per (owner, idempotency_key); later calls get its first answer."""
    if lambda_context is not None:
        _config.register_lambda_context(lambda_context)
    try:
        return _once(insert)(command=command)
    except IdempotencyValidationError:
        raise Problem(
            422,
            "this Idempotency-Key was already used with a different request body",
            slug="idempotency-key-reused",
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Problem(
            409,
            "a request with this Idempotency-Key is still in progress; retry shortly",
            slug="idempotency-key-in-progress",
            headers={"Retry-After": "1"},
        ) from None
