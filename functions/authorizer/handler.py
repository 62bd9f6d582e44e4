"""API Gateway TOKEN authorizer: a Bearer API key becomes its owner, or the request gets 401."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener.auth import caller_for

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerTokenEvent)
def handler(event: APIGatewayAuthorizerTokenEvent, context: LambdaContext) -> dict[str, Any]:
    # API Gateway itself refuses a request without the header; a direct invocation may not.
    caller = caller_for(event.get("authorizationToken"))
    if caller is None:
        logger.info("request refused: missing, unknown or revoked API key")
        # API Gateway answers 401 for exactly this error message, and caches nothing.
        raise Exception("Unauthorized")
    logger.info("request authorized", extra={"owner": caller.owner, "key_id": caller.key_id})
    # API Gateway caches this policy per token for every route, so it must allow them all.
    policy = APIGatewayAuthorizerResponse.from_route_arn(
        event.method_arn,
        principal_id=caller.key_id,
        context={"owner": caller.owner, "key_id": caller.key_id},
    )
    policy.allow_all_routes()
    return policy.asdict()
