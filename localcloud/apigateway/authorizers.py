"""Lambda authorizers (TOKEN and REQUEST) as API Gateway runs them: the identity source, the
result cache (flushed by FlushStageAuthorizersCache), and the returned policy evaluated against
the method ARN on every request, with the `usageIdentifierKey` a usage plan meters
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from localcloud.apigateway.model import Authorizer
from localcloud.apigateway.proxy import HttpRequest
from localcloud.apigateway.responses import (
    AUTHORIZER_CONFIGURATION_ERROR,
    EXPLICIT_DENY,
    NOT_ALLOWED,
    UNAUTHORIZED,
    GatewayError,
)
from localcloud.lambda_.workers import Invocation
from localcloud.names import ACCOUNT_ID, REGION

INVOKE_ACTION = "execute-api:Invoke"
UNAUTHORIZED_MESSAGE = "Unauthorized"


@dataclass(frozen=True)
class Decision:
    """Either the request goes on (with requestContext.authorizer), or API Gateway answers."""

    error: GatewayError | None = None
    context: Mapping[str, Any] | None = None
    # The API key value a usage plan meters the caller by, when the key source is AUTHORIZER.
    usage_identifier_key: str | None = None


@dataclass(frozen=True)
class _Policy:
    principal_id: str
    statements: tuple[Mapping[str, Any], ...]
    context: Mapping[str, Any]
    usage_identifier_key: str | None = None


def method_arn(api_id: str, stage: str, http_method: str, path: str) -> str:
    resource = f"{api_id}/{stage}/{http_method}/{path.lstrip('/')}"
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{resource}"


def evaluate(statements: tuple[Mapping[str, Any], ...], arn: str) -> str:
    """ "deny" (an explicit Deny matches), "allow" (an Allow matches) or "none"."""
    effects = {
        str(statement.get("Effect", "")).lower()
        for statement in statements
        if _any_matches(statement.get("Action"), INVOKE_ACTION)
        and _any_matches(statement.get("Resource"), arn)
    }
    if "deny" in effects:
        return "deny"
    return "allow" if "allow" in effects else "none"


def _any_matches(patterns: Any, value: str) -> bool:
    if patterns is None:
        return False
    if isinstance(patterns, str):
        patterns = [patterns]
    return any(_wildcard(str(pattern)).fullmatch(value) for pattern in patterns)


def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: * is any run of characters (across /), ? is any one character."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


class AuthorizerRunner:
    """Runs one API's authorizers, with API Gateway's per-identity result cache."""

    def __init__(
        self,
        invoke: Callable[[str, Any], Invocation],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._invoke = invoke
        self._clock = clock
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, _Policy]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def authorize(
        self,
        authorizer: Authorizer,
        request: HttpRequest,
        arn: str,
        request_event: Callable[[], dict[str, Any]],
        stage_variables: Mapping[str, str],
    ) -> Decision:
        identity = self._identity(authorizer, request, stage_variables)
        if identity is None:
            return Decision(UNAUTHORIZED)
        if (
            authorizer.type == "TOKEN"
            and authorizer.validation_expression
            and not re.fullmatch(authorizer.validation_expression, identity[0])
        ):
            return Decision(UNAUTHORIZED)
        started = time.perf_counter()
        policy = self._cached(authorizer, identity)
        if policy is None:
            if authorizer.type == "TOKEN":
                event = {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": arn}
            else:
                event = {"type": "REQUEST", "methodArn": arn, **request_event()}
            outcome = self._call(authorizer, event)
            if isinstance(outcome, GatewayError):
                return Decision(outcome)
            policy = outcome
            self._store(authorizer, identity, policy)
        verdict = evaluate(policy.statements, arn)
        if verdict == "deny":
            return Decision(EXPLICIT_DENY)
        if verdict == "none":
            return Decision(NOT_ALLOWED)
        latency_ms = int((time.perf_counter() - started) * 1000)
        context = {**policy.context, "principalId": policy.principal_id}
        return Decision(
            context={**context, "integrationLatency": latency_ms},
            usage_identifier_key=policy.usage_identifier_key,
        )

    def _identity(
        self, authorizer: Authorizer, request: HttpRequest, stage_variables: Mapping[str, str]
    ) -> tuple[str, ...] | None:
        """The identity source values; None when one is missing (401 without a call)."""
        if not authorizer.identity_sources:
            return ()
        values = []
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        for source in authorizer.identity_sources:
            if source.startswith("method.request.header."):
                value = request.header(source.removeprefix("method.request.header."))
            elif source.startswith("method.request.querystring."):
                value = query.get(source.removeprefix("method.request.querystring."))
            elif source.startswith("stageVariables."):
                value = stage_variables.get(source.removeprefix("stageVariables."))
            else:
                value = None
            if not value:
                return None
            values.append(value)
        return tuple(values)

    def _call(self, authorizer: Authorizer, event: dict[str, Any]) -> _Policy | GatewayError:
        invocation = self._invoke(authorizer.function, event)
        if invocation.error is not None:
            if invocation.error.get("errorMessage") == UNAUTHORIZED_MESSAGE:
                return UNAUTHORIZED
            return AUTHORIZER_CONFIGURATION_ERROR
        result = invocation.payload
        if result == UNAUTHORIZED_MESSAGE:
            return UNAUTHORIZED
        try:
            return _policy(result)
        except (KeyError, TypeError, ValueError):
            return AUTHORIZER_CONFIGURATION_ERROR

    def _cached(self, authorizer: Authorizer, identity: tuple[str, ...]) -> _Policy | None:
        if authorizer.ttl_seconds <= 0 or not identity:
            return None
        with self._lock:
            entry = self._cache.get((authorizer.id, identity))
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def _store(self, authorizer: Authorizer, identity: tuple[str, ...], policy: _Policy) -> None:
        if authorizer.ttl_seconds <= 0 or not identity:
            return
        with self._lock:
            expires = self._clock() + authorizer.ttl_seconds
            self._cache[(authorizer.id, identity)] = (expires, policy)


def _policy(result: Any) -> _Policy:
    """Validate an authorizer's answer as API Gateway does; context values become strings."""
    principal_id = result["principalId"]
    statements = result["policyDocument"]["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise TypeError("Statement must be a list")
    context = {}
    for key, value in (result.get("context") or {}).items():
        if isinstance(value, (dict, list)):
            raise ValueError(f"context value {key} is not a string, number or boolean")
        context[key] = _context_text(value)
    usage_key = result.get("usageIdentifierKey")
    return _Policy(
        str(principal_id), tuple(statements), context, None if usage_key is None else str(usage_key)
    )


def _context_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
