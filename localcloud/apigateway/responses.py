"""API Gateway's own answers (unknown route, 401, 403, 413, 429, 5xx), with the template's
gateway response overrides (status, headers, body template) applied.

Response types and their default statuses follow
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html;
an integration that outlives its timeout is `504 {"message": "Endpoint request timed out"}`
(https://repost.aws/knowledge-center/api-gateway-504-errors).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from localcloud.apigateway.model import GatewayResponseOverride

JSON = "application/json"
_CONTEXT_VARIABLE = re.compile(
    r"\$(?:\{context\.([A-Za-z.]+)\}|context\.([A-Za-z]+(?:\.[A-Za-z]+)*))"
)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's response types, as it answers it when nothing overrides it."""

    response_type: str
    status: int
    error_type: str
    message: str | None
    message_key: str = "message"


MISSING_AUTHENTICATION_TOKEN = GatewayError(
    "MISSING_AUTHENTICATION_TOKEN", 403, "MissingAuthenticationTokenException",
    "Missing Authentication Token",
)  # fmt: skip
UNAUTHORIZED = GatewayError("UNAUTHORIZED", 401, "UnauthorizedException", "Unauthorized")
EXPLICIT_DENY = GatewayError(
    "ACCESS_DENIED", 403, "AccessDeniedException",
    "User is not authorized to access this resource with an explicit deny", "Message",
)  # fmt: skip
NOT_ALLOWED = GatewayError(
    "ACCESS_DENIED", 403, "AccessDeniedException",
    "User is not authorized to access this resource", "Message",
)  # fmt: skip
AUTHORIZER_CONFIGURATION_ERROR = GatewayError(
    "AUTHORIZER_CONFIGURATION_ERROR", 500, "AuthorizerConfigurationException", None
)
# A function error or a malformed proxy response: API Gateway's DEFAULT_5XX, answered with 502.
BAD_GATEWAY = GatewayError(
    "DEFAULT_5XX", 502, "InternalServerErrorException", "Internal server error"
)
# The local cloud's own failure (a bug in the emulation), answered as API Gateway's DEFAULT_5XX.
INTERNAL_SERVER_ERROR = GatewayError(
    "DEFAULT_5XX", 500, "InternalServerErrorException", "Internal server error"
)
REQUEST_TOO_LARGE = GatewayError(
    "REQUEST_TOO_LARGE", 413, "RequestTooLargeException", "Request Too Long"
)
# Header values past API Gateway's quota: the same response type, a message of our own.
HEADERS_TOO_LARGE = GatewayError(
    "REQUEST_TOO_LARGE", 413, "RequestTooLargeException",
    "Request headers are larger than 10240 bytes",
)  # fmt: skip
# A method that requires an API key, called without an enabled one on a usage plan of the stage.
INVALID_API_KEY = GatewayError("INVALID_API_KEY", 403, "ForbiddenException", "Forbidden")
THROTTLED = GatewayError("THROTTLED", 429, "TooManyRequestsException", "Too Many Requests")
QUOTA_EXCEEDED = GatewayError("QUOTA_EXCEEDED", 429, "LimitExceededException", "Limit Exceeded")
INTEGRATION_TIMEOUT = GatewayError(
    "INTEGRATION_TIMEOUT", 504, "InternalServerErrorException", "Endpoint request timed out"
)


def gateway_response(
    error: GatewayError,
    overrides: Mapping[str, GatewayResponseOverride],
    context: Mapping[str, str],
) -> HttpResponse:
    """Render a response type; `context` holds $context variables (requestId, stage ...)."""
    default_override = "DEFAULT_5XX" if error.status >= 500 else "DEFAULT_4XX"
    override = overrides.get(error.response_type) or overrides.get(default_override)
    headers = [
        ("Content-Type", JSON),
        ("x-amzn-ErrorType", error.error_type),
        ("x-amzn-RequestId", context.get("requestId", "")),
    ]
    if override is None:
        body = json.dumps({error.message_key: error.message})
        return HttpResponse(error.status, headers, body.encode())
    variables = {
        **context,
        "error.message": error.message or "",
        "error.messageString": json.dumps(error.message),
        "error.responseType": error.response_type,
    }
    template = override.templates.get(JSON) or next(iter(override.templates.values()), "")
    body = _CONTEXT_VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), template)
    replaced = {name.lower() for name in override.headers}
    headers = [(k, v) for k, v in headers if k.lower() not in replaced]
    headers += list(override.headers.items())
    return HttpResponse(override.status_code or error.status, headers, body.encode())
