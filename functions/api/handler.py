"""The management API: every /links, /webhooks and /stats route, GET /openapi.json and /docs.

No Powertools Tracer here: the X-Ray SDK it loads costs about as much as boto3 itself on every
cold start; Lambda's active tracing still records each invocation.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

# Loaded in the init phase, not on the first request: nearly every invocation reads the short
# links' base URL through it (shortener.settings imports it lazily for the functions that don't).
from aws_lambda_powertools.utilities import parameters  # noqa: F401
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener.api.app import app, refuse_unsupported_body

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = refuse_unsupported_body(event)
    if refused is not None:
        return refused
    if event.get("httpMethod") != "HEAD":
        return app.resolve(event, context)
    # HEAD is GET without the body: same route, status and headers (link checkers use it).
    as_get = {**event, "httpMethod": "GET"}
    as_get["requestContext"] = {**(event.get("requestContext") or {}), "httpMethod": "GET"}
    response = app.resolve(as_get, context)
    response["body"] = ""
    response["isBase64Encoded"] = False
    return response
