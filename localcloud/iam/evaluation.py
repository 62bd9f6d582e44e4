"""Allow or deny one request: IAM's policy evaluation logic, for identity-based policies (a
function's or a pipe's role) and for resource-based policies (a queue's, a bucket's) that a
service principal meets.

An explicit Deny wins over any Allow; without an Allow the request is implicitly denied. A
statement applies when its Action (or NotAction), Resource (or NotResource), Principal (or
NotPrincipal, resource policies only) and Condition all match. A condition the local cloud
cannot evaluate (`conditions.Outcome.UNKNOWN`) never grants: an Allow that depends on it does
not apply, a Deny that depends on it does.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localcloud.iam.conditions import Context, Outcome, evaluate
from localcloud.iam.matching import action_matches, arn_matches
from localcloud.names import ACCOUNT_ID


@dataclass(frozen=True)
class Authorization:
    """One action on one resource that a request needs, as the service authorizes it.

    `request_keys`: the service-specific condition keys this request sets, as the service
    derives them from its parameters (`dynamodb:Attributes` ...), lower-cased; a key with no
    values is known to be absent from this request."""

    action: str
    resource: str
    # Not part of what is authorized (action on resource), only of how conditions evaluate.
    request_keys: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Caller:
    """Who asks: a role session (`arn`) or a service principal (`service`)."""

    arn: str = ""
    service: str = ""
    account: str = ACCOUNT_ID


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False
    unevaluated: tuple[str, ...] = field(default=())  # why a Deny applied or an Allow did not


def statements(document: Any) -> list[Mapping[str, Any]]:
    """A policy document's statements; a document may be JSON text, `Statement` one object."""
    if isinstance(document, str):
        document = json.loads(document)
    if not document:
        return []
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def identity_decision(
    documents: Iterable[Any], request: Authorization, context: Context
) -> Decision:
    """Evaluate a principal's identity-based policies (all of them together)."""
    merged = {**context, **{key: list(values) for key, values in request.request_keys}}
    return _decide(
        (s for document in documents for s in statements(document)), request, None, merged
    )


def resource_policy_decision(
    policy_document: Any,
    *,
    action: str,
    resource: str,
    principal_service: str = "",
    principal_arn: str = "",
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> Decision:
    """A resource-based policy (a queue's, a bucket's) for a same-account request from a
    service principal (`principal_service="events.amazonaws.com"`) or a role session.

    `context` holds the request's condition keys (`{"aws:SourceArn": ...}`); the caller's
    principal keys and `aws:SecureTransport` are added. No policy: denied (implicitly)."""
    caller = Caller(arn=principal_arn, service=principal_service)
    merged = request_context(caller)
    for key, value in (context or {}).items():
        merged[key.lower()] = [value] if isinstance(value, str) else list(value)
    request = Authorization(action, resource)
    return _decide(statements(policy_document), request, caller, merged)


def request_context(caller: Caller) -> dict[str, list[str]]:
    """The global condition keys the local cloud knows for every request. The local endpoint
    is plain HTTP, but it stands for AWS's endpoints, which are all TLS: SecureTransport is
    true, so that CDK's `enforceSSL` Deny refuses nothing an SDK would send."""
    now = datetime.now(UTC)
    context = {
        "aws:securetransport": ["true"],
        "aws:requestedregion": ["us-east-1"],
        "aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:epochtime": [str(int(now.timestamp()))],
    }
    if caller.service:
        context["aws:principalservicename"] = [caller.service]
    if caller.arn:
        context["aws:principalarn"] = [_role_arn(caller.arn)]
        context["aws:principalaccount"] = [caller.account]
        context["aws:principaltype"] = ["AssumedRole"]
    return context


def _decide(
    found: Iterable[Mapping[str, Any]],
    request: Authorization,
    caller: Caller | None,
    context: Context,
) -> Decision:
    allowed = False
    unevaluated: list[str] = []
    for statement in found:
        if not _concerns(statement, request, caller):
            continue
        outcome = evaluate(statement.get("Condition", {}), context)
        deny = statement.get("Effect") == "Deny"
        if outcome is Outcome.UNKNOWN:
            unevaluated.append(statement.get("Sid") or json.dumps(statement.get("Condition")))
        if deny and outcome is not Outcome.FALSE:
            return Decision(False, explicit_deny=True, unevaluated=tuple(unevaluated))
        if not deny and outcome is Outcome.TRUE:
            allowed = True
    return Decision(allowed, unevaluated=tuple(unevaluated))


def _concerns(statement: Mapping[str, Any], request: Authorization, caller: Caller | None) -> bool:
    if "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
            return False
    elif not any(action_matches(p, request.action) for p in _as_list(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(arn_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    elif "Resource" in statement and not any(
        arn_matches(p, request.resource) for p in _as_list(statement["Resource"])
    ):
        return False
    if caller is None:  # identity-based: the policy's holder is the principal
        return True
    if "NotPrincipal" in statement:
        return not _principal_matches(statement["NotPrincipal"], caller)
    return _principal_matches(statement.get("Principal"), caller)


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if caller.service and caller.service in _as_list(principal.get("Service")):
        return True
    for pattern in _as_list(principal.get("AWS")):
        if pattern == "*" or (caller.arn and _names_caller(pattern, caller)):
            return True
    return False


def _names_caller(pattern: str, caller: Caller) -> bool:
    """An account (id or root ARN), the role, or the role session itself."""
    account_root = f"arn:aws:iam::{caller.account}:root"
    return pattern in (caller.account, account_root, caller.arn, _role_arn(caller.arn))


def _role_arn(session_arn: str) -> str:
    """arn:aws:sts::A:assumed-role/ROLE/SESSION -> arn:aws:iam::A:role/ROLE"""
    if ":assumed-role/" not in session_arn:
        return session_arn
    prefix, path = session_arn.split(":assumed-role/", 1)
    account = prefix.rsplit(":", 1)[-1]
    return f"arn:aws:iam::{account}:role/{path.split('/', 1)[0]}"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]
