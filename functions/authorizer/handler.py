"""API Gateway TOKEN authorizer: a Bearer API key becomes its owner, the routes of its scopes
and its usage plan's API key, or the request gets 401."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener.access_policy import scoped_policy
from shortener.auth import Refusal, identify

logger = Logger()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    policy = _authorize(event, context)
    if policy is None:
        # API Gateway answers 401 for exactly this error message, and caches nothing. Raised
        # here, outside the decorators, so that the runtime's error report stays one frame.
        raise Exception("Unauthorized") from None
    return policy


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerTokenEvent)
def _authorize(
    event: APIGatewayAuthorizerTokenEvent, context: LambdaContext
) -> dict[str, Any] | None:
    # API Gateway itself refuses a request without the header; a direct invocation may not.
    caller = identify(event.get("authorizationToken"))
    if isinstance(caller, Refusal):
        # One line per refusal, never the key itself: the reason, and whose key when known.
        logger.info("key refused", reason=caller.reason, key_id=caller.key_id)
        return None
    logger.info("request authorized", owner=caller.owner, key_id=caller.key_id)
    # API Gateway caches this policy per token for every route: it covers all of the key's.
    return scoped_policy(
        event.method_arn,
        principal_id=caller.key_id,
        scopes=caller.scopes,
        context={"owner": caller.owner, "key_id": caller.key_id},
        usage_identifier_key=caller.usage_identifier_key,
    )
