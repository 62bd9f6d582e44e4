"""The Lambda proxy integration (payload format 1.0): an HTTP request becomes the event, the
function's result becomes the HTTP response."""

from __future__ import annotations

import base64
import fnmatch
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from localcloud.apigateway.model import RestApiModel, Route
from localcloud.apigateway.responses import JSON, HttpResponse
from localcloud.names import ACCOUNT_ID


class MalformedProxyResponse(Exception):
    """The function answered something API Gateway cannot turn into an HTTP response."""


@dataclass
class HttpRequest:
    method: str
    path: str  # as requested, without the query string, still URL-encoded
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        values = [v for k, v in self.headers if k.lower() == lowered]
        return values[-1] if values else None


@dataclass(frozen=True)
class RequestInfo:
    """What API Gateway knows about a request besides the request itself."""

    request_id: str
    stage: str
    served_path: str  # the path as it arrived (with the stage prefix when it had one)
    route_path: str  # the path the route matched (without the stage)
    received_at: float = field(default_factory=time.time)


def proxy_event(
    request: HttpRequest,
    route: Route,
    api: RestApiModel,
    info: RequestInfo,
    authorizer: Mapping[str, Any] | None,
) -> dict[str, Any]:
    headers, multi_headers = _single_and_multi(request.headers)
    query_pairs = parse_qsl(request.query, keep_blank_values=True)
    query, multi_query = _single_and_multi(query_pairs)
    binary = _is_binary(request, api.binary_media_types)
    body: str | None = None
    if request.body:
        body = base64.b64encode(request.body).decode() if binary else request.body.decode()
    host = request.header("Host") or ""
    request_context: dict[str, Any] = {
        "resourceId": route.resource.id,
        "resourcePath": route.resource.path,
        "httpMethod": request.method,
        "extendedRequestId": info.request_id,
        "requestTime": datetime.fromtimestamp(info.received_at, UTC).strftime(
            "%d/%b/%Y:%H:%M:%S +0000"
        ),
        "path": unquote(info.served_path),
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": info.stage,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "requestTimeEpoch": int(info.received_at * 1000),
        "requestId": info.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("User-Agent"),
            "user": None,
        },
        "domainName": host,
        "apiId": api.api_id,
    }
    if authorizer is not None:
        request_context["authorizer"] = dict(authorizer)
    return {
        "resource": route.resource.path,
        "path": unquote(info.route_path),
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {k: unquote(v) for k, v in route.path_parameters.items()} or None,
        "stageVariables": dict(api.stage_variables) or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": bool(body) and binary,
    }


def http_response(result: Any, request_id: str) -> HttpResponse:
    """Map a proxy result ({statusCode, headers, multiValueHeaders, body, isBase64Encoded})."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise MalformedProxyResponse("the result has no statusCode")
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as error:
        raise MalformedProxyResponse(f"statusCode {result['statusCode']!r}") from error
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedProxyResponse("headers must be objects")
    # API Gateway merges both; a header in multiValueHeaders wins over the same one in headers.
    headers = [(str(name), _header_text(v)) for name, values in multi.items() for v in values]
    headers += [(str(name), _header_text(v)) for name, v in single.items() if name not in multi]
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(body)
    else:
        payload = body.encode()
    names = {name.lower() for name, _ in headers}
    if "content-type" not in names:
        headers.append(("Content-Type", JSON))
    headers.append(("x-amzn-RequestId", request_id))
    return HttpResponse(status, headers, payload)


def _single_and_multi(
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _is_binary(request: HttpRequest, binary_media_types: tuple[str, ...]) -> bool:
    """Base64 for the API's binary media types, and for any body that is not text."""
    content_type = (request.header("Content-Type") or "").split(";")[0].strip()
    if content_type and any(fnmatch.fnmatch(content_type, t) for t in binary_media_types):
        return True
    try:
        request.body.decode()
    except UnicodeDecodeError:
        return True
    return False


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
