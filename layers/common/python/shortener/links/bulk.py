"""POST /links/bulk: up to 100 creates in one request, each exactly as a single POST /links.

Each item is validated and written on its own (the same conditional put), so a bad item gets
its own problem and never fails the others, and each created link streams its own
`link.created`. The writes run concurrently on a small thread pool: botocore clients are
thread-safe, and the pool's size stays within the clients' connection pools (botocore's
default `max_pool_connections` is 10), so no write waits for a connection. An
Idempotency-Key covers the whole request: a retry gets the first answer, item for item.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from pynamodb.exceptions import PynamoDBException

from shortener.links import service, store
from shortener.links.schemas import CreateLinkRequest
from shortener.problems import Problem, validation_problem

# Writes in flight at once: within botocore's default pool of 10 connections per client.
WRITE_CONCURRENCY = 10

logger = Logger(child=True)


def _create_one(owner: str, item: Any, own_origins: list[str]) -> dict[str, Any]:
    """One item's result: `{"status": 201, "link"}` or `{"status": 4xx/5xx, "problem"}`."""
    try:
        if not isinstance(item, dict):
            raise Problem(
                422,
                "each item must be a JSON object",
                slug="validation-error",
                title="Invalid request",
                errors=[{"pointer": "#", "detail": "must be an object"}],
            )
        try:
            request = CreateLinkRequest.model_validate(item)
        except ValidationError as error:
            raise validation_problem(
                {**e, "loc": ("body", *e["loc"])} for e in error.errors()
            ) from None
        service.ensure_targets_elsewhere(request, own_origins)
        link = service.insert_link(service.create_command(owner, request))
    except Problem as problem:
        return {"status": problem.status, "problem": problem.body()}
    except (PynamoDBException, BotoCoreError, ClientError):
        # Nothing was written for this item (a conditional put either happens or not): the
        # caller may send it again.
        logger.exception("bulk item write failed")
        unavailable = Problem(503, "this item could not be written; please retry it")
        return {"status": unavailable.status, "problem": unavailable.body()}
    return {"status": 201, "link": link}


def _create_all(command: dict[str, Any]) -> dict[str, Any]:
    owner, own_origins = command["owner"], command["own_origins"]
    items = command["request"]["items"]
    store.connect()  # made once here, before the threads share them
    with ThreadPoolExecutor(max_workers=min(WRITE_CONCURRENCY, len(items))) as pool:
        results = list(pool.map(lambda item: _create_one(owner, item, own_origins), items))
    return {"items": results}


def create_links(
    owner: str,
    items: list[Any],
    *,
    own_origins: Iterable[str],
    idempotency_key: str | None = None,
    lambda_context: LambdaContext | None = None,
) -> dict[str, Any]:
    """Every item's result, in request order (see the module docstring)."""
    command = {"owner": owner, "request": {"items": items}, "own_origins": list(own_origins)}
    if idempotency_key is None:
        return _create_all(command)
    from shortener.links import idempotent_create

    return idempotent_create.run_once(
        _create_all, {**command, "idempotency_key": idempotency_key}, lambda_context
    )
