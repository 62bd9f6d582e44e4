"""One request through API Gateway: route, authorize, meter (usage plan, method throttle), call
the function, map the answer.

Limits as API Gateway's REST quotas state them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html):
a 10 MB payload, 10,240 bytes of header values in all (both `REQUEST_TOO_LARGE`, 413), and the
method's integration timeout (29 s by default), past which the caller gets 504 "Endpoint
request timed out" while the function runs on, as a Lambda function does.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from localcloud.apigateway.authorizers import AuthorizerRunner, method_arn
from localcloud.apigateway.model import RestApiModel, Route
from localcloud.apigateway.proxy import (
    HttpRequest,
    MalformedProxyResponse,
    RequestInfo,
    http_response,
    proxy_event,
)
from localcloud.apigateway.responses import (
    AUTHORIZER_CONFIGURATION_ERROR,
    BAD_GATEWAY,
    HEADERS_TOO_LARGE,
    INTEGRATION_TIMEOUT,
    INTERNAL_SERVER_ERROR,
    MISSING_AUTHENTICATION_TOKEN,
    REQUEST_TOO_LARGE,
    THROTTLED,
    GatewayError,
    HttpResponse,
    gateway_response,
)
from localcloud.apigateway.throttling import Buckets, method_limits
from localcloud.apigateway.usage_plans import UsagePlans
from localcloud.lambda_.workers import Invocation
from localcloud.logs import LogSink

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
MAX_HEADER_VALUE_BYTES = 10_240
LOCAL_STAGE = "$default"


class ApiGateway:
    def __init__(
        self, api: RestApiModel, invoke: Callable[[str, Any], Invocation], logs: LogSink
    ) -> None:
        self.api = api
        self._invoke = invoke
        self._logs = logs
        self._authorizers = AuthorizerRunner(invoke)
        self._method_buckets = Buckets()
        self.usage_plans = UsagePlans(api.api_id, api.stage_name or LOCAL_STAGE)

    def handle(self, request: HttpRequest) -> HttpResponse:
        response = self._handle(request)
        if request.method == "HEAD":
            # HEAD answers GET's status and headers, never a body, whatever the function sent.
            response.body = b""
        return response

    def internal_error(self, path: str) -> HttpResponse:
        """What API Gateway answers when it fails itself: a 500, or the API's 5XX override."""
        return self._error(INTERNAL_SERVER_ERROR, str(uuid.uuid4()), path)

    def headers_too_large(self, path: str) -> HttpResponse:
        """The answer to headers past the quota, also for those too long to even parse."""
        return self._error(HEADERS_TOO_LARGE, str(uuid.uuid4()), path)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        header_bytes = sum(
            len(value.encode("utf-8", "surrogateescape")) for _, value in request.headers
        )
        if header_bytes > MAX_HEADER_VALUE_BYTES:
            return self._error(HEADERS_TOO_LARGE, request_id, request.path)
        routed = self._route(request, request_id)
        if routed is None:
            return self._error(MISSING_AUTHENTICATION_TOKEN, request_id, request.path)
        route, info = routed
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return self._error(REQUEST_TOO_LARGE, request_id, request.path)
        authorizer_context = None
        usage_key = None
        if route.method.authorizer:
            authorizer = self.api.authorizers.get(route.method.authorizer)
            if authorizer is None:
                return self._error(AUTHORIZER_CONFIGURATION_ERROR, request_id, request.path)
            decision = self._authorizers.authorize(
                authorizer,
                request,
                method_arn(self.api.api_id, info.stage, request.method, info.route_path),
                lambda: _request_authorizer_event(request, route, self.api, info),
                self.api.stage_variables,
            )
            if decision.error is not None:
                return self._error(decision.error, request_id, request.path)
            authorizer_context = decision.context
            usage_key = decision.usage_identifier_key
        refusal = self._meter(route, request, usage_key)
        if refusal is not None:
            return self._error(refusal, request_id, request.path)
        if route.method.mock is not None:
            mock = route.method.mock
            headers = [*mock.headers.items(), ("x-amzn-RequestId", request_id)]
            return HttpResponse(mock.status_code, headers, mock.body.encode())
        assert route.method.function is not None
        event = proxy_event(request, route, self.api, info, authorizer_context)
        invocation = self._invoke_within(route.method.function, event, route.method.timeout_seconds)
        if invocation is None:
            self._logs.emit(
                self.api.logical_id,
                f"Execution failed due to a timeout error ({route.method.timeout_seconds:g} s)",
            )
            return self._error(INTEGRATION_TIMEOUT, request_id, request.path)
        if invocation.error is not None:
            return self._error(BAD_GATEWAY, request_id, request.path)
        try:
            return http_response(invocation.payload, request_id)
        except MalformedProxyResponse as error:
            self._logs.emit(
                self.api.logical_id,
                f"Execution failed due to configuration error: Malformed Lambda proxy response "
                f"({error})",
            )
            return self._error(BAD_GATEWAY, request_id, request.path)

    def _meter(
        self, route: Route, request: HttpRequest, usage_key: str | None
    ) -> GatewayError | None:
        """The usage plan of the caller's API key first, then the method's own throttle, in
        the order API Gateway applies them (localcloud.apigateway.throttling)."""
        if route.method.api_key_required:
            if self.api.api_key_source != "AUTHORIZER":
                usage_key = request.header("x-api-key")
            refusal = self.usage_plans.admit(usage_key)
            if refusal is not None:
                return refusal
        rate, burst = method_limits(self.api.method_throttles, route.resource.path, request.method)
        if not self._method_buckets.take((route.resource.path, request.method), rate, burst):
            return THROTTLED
        return None

    def _invoke_within(self, function: str, event: Any, timeout: float) -> Invocation | None:
        """The invocation's outcome, or None once `timeout` passes (it then runs on alone)."""
        outcome: Future[Invocation] = Future()

        def run() -> None:
            try:
                outcome.set_result(self._invoke(function, event))
            except BaseException as error:  # handed to the waiting request, raised there
                outcome.set_exception(error)

        threading.Thread(target=run, name=f"integration-{function}", daemon=True).start()
        try:
            return outcome.result(timeout)
        except FutureTimeout:
            return None

    def clear_authorizer_cache(self) -> None:
        self._authorizers.clear()

    def _route(self, request: HttpRequest, request_id: str) -> tuple[Route, RequestInfo] | None:
        """Served both at the root and under /{stage}: the stage prefix wins if it routes."""
        stage = self.api.stage_name
        if stage and (request.path == f"/{stage}" or request.path.startswith(f"/{stage}/")):
            inner = request.path[len(stage) + 1 :] or "/"
            route = self.api.match(inner, request.method)
            if route is not None:
                return route, RequestInfo(request_id, stage, request.path, inner)
        route = self.api.match(request.path, request.method)
        if route is None:
            return None
        return route, RequestInfo(request_id, stage or LOCAL_STAGE, request.path, request.path)

    def _error(self, error: GatewayError, request_id: str, path: str) -> HttpResponse:
        context = {
            "requestId": request_id,
            "stage": self.api.stage_name or LOCAL_STAGE,
            "apiId": self.api.api_id,
            "path": path,
        }
        return gateway_response(error, self.api.gateway_responses, context)


def _request_authorizer_event(
    request: HttpRequest, route: Route, api: RestApiModel, info: RequestInfo
) -> dict[str, Any]:
    event = proxy_event(request, route, api, info, authorizer=None)
    for field in ("body", "isBase64Encoded"):
        event.pop(field)
    return event
