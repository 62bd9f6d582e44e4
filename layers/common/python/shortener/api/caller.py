"""Who is calling: the owner the authorizer put in the request context."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from shortener.problems import Problem


def current_owner(router: Router) -> str:
    request_context = router.current_event.get("requestContext") or {}
    owner = (request_context.get("authorizer") or {}).get("owner")
    if not owner:
        # API Gateway never lets an unauthorized request through; this guards a misconfiguration.
        raise Problem(401, "missing or invalid API key", slug="unauthorized")
    return str(owner)
