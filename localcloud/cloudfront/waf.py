"""AWS WAF in front of the distribution: the template's web ACL, evaluated on every viewer
request before CloudFront looks at its cache (WAF sees cache hits too).

Rules run in `Priority` order; the first Allow or Block ends the evaluation, Count goes on, and
the web ACL's `DefaultAction` decides what no rule did.
https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-processing-order.html

- Rate-based rules: the requests that match the scope-down statement are counted per
  aggregation instance (the client address for `IP`, the first address of a header for
  `FORWARDED_IP`, one count for `CONSTANT`) over the trailing `EvaluationWindowSec` (60, 120,
  300 or 600 s; 300 by default); while an instance's count is over `Limit`, the rule's action
  applies to its further matching requests. Every matching request counts, the ones the rule
  blocks too, so a client that keeps sending stays limited until its count in the window drops.
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-request-limiting.html
  AWS estimates the rate and acts with a delay (usually under 30 s); locally the count is exact
  and takes effect at once, so a test sees the limit where it is set.
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-caveats.html
- Statements: byte match (on the path, query string, method or one header, with the NONE,
  LOWERCASE and URL_DECODE text transformations), AND, OR, NOT, and rate-based.
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-string-match.html
- Block answers 403 (CloudFront's "Request blocked" page), or the action's custom response:
  its status, headers and one of the web ACL's `CustomResponseBodies`.
  https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html
  https://docs.aws.amazon.com/waf/latest/developerguide/cloudfront-waf-use-cases.html

Not emulated, and reported at start-up: managed rule groups (AWS maintains their rules and does
not publish them, so no local copy could block what AWS blocks), rule group references, other
statement types, CAPTCHA and Challenge actions. Such a rule never matches locally.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from localcloud.cloudfront.messages import Request
from localcloud.provisioning import ProvisionedResource

Clock = Callable[[], float]
Matcher = Callable[[Request], bool]
DEFAULT_BLOCK_STATUS = 403
DEFAULT_EVALUATION_WINDOW_SECONDS = 300
_CONTENT_TYPES = {
    "TEXT_PLAIN": "text/plain",
    "TEXT_HTML": "text/html",
    "APPLICATION_JSON": "application/json",
}
_TRANSFORMATIONS: dict[str, Callable[[str], str]] = {
    "NONE": lambda value: value,
    "LOWERCASE": str.lower,
    "URL_DECODE": unquote_plus,
}
_POSITIONS: dict[str, Callable[[str, str], bool]] = {
    "EXACTLY": lambda value, search: value == search,
    "STARTS_WITH": str.startswith,
    "ENDS_WITH": str.endswith,
    "CONTAINS": lambda value, search: search in value,
    "CONTAINS_WORD": lambda value, search: (
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(search)}(?![A-Za-z0-9_])", value) is not None
    ),
}


class NotEmulated(Exception):
    """A part of a web ACL the local cloud cannot evaluate as AWS WAF does; says why."""


@dataclass(frozen=True)
class Blocked:
    """WAF's answer instead of the distribution's: `body` None is CloudFront's own 403 page."""

    rule: str
    status: int = DEFAULT_BLOCK_STATUS
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


# -- statements ----------------------------------------------------------------------------


def _field(spec: Mapping[str, Any]) -> Callable[[Request], str | None]:
    if "UriPath" in spec:
        return lambda request: request.path
    if "QueryString" in spec:
        return lambda request: request.query
    if "Method" in spec:
        return lambda request: request.method
    if "SingleHeader" in spec:
        name = str(spec["SingleHeader"]["Name"])
        return lambda request: request.header(name)
    raise NotEmulated(f"field to match {sorted(spec)} is not emulated")


def _byte_match(spec: Mapping[str, Any]) -> Matcher:
    field_of = _field(spec["FieldToMatch"])
    search = (
        base64.b64decode(spec["SearchStringBase64"]).decode()
        if "SearchStringBase64" in spec
        else str(spec["SearchString"])
    )
    position = str(spec["PositionalConstraint"])
    if position not in _POSITIONS:
        raise NotEmulated(f"positional constraint {position} is not emulated")
    transformations = []
    for item in sorted(spec.get("TextTransformations", []), key=lambda t: int(t["Priority"])):
        kind = str(item["Type"])
        if kind not in _TRANSFORMATIONS:
            raise NotEmulated(f"text transformation {kind} is not emulated")
        transformations.append(_TRANSFORMATIONS[kind])
    compare = _POSITIONS[position]

    def matches(request: Request) -> bool:
        value = field_of(request)
        if value is None:  # a header the request lacks matches nothing
            return False
        for transform in transformations:
            value = transform(value)
        return compare(value, search)

    return matches


def statement_matcher(statement: Mapping[str, Any]) -> Matcher:
    """A predicate on requests for one WAF statement (not a rate-based one)."""
    ((kind, spec),) = statement.items()
    if kind == "ByteMatchStatement":
        return _byte_match(spec)
    if kind in ("AndStatement", "OrStatement"):
        parts = [statement_matcher(part) for part in spec["Statements"]]
        combine = all if kind == "AndStatement" else any
        return lambda request: combine(part(request) for part in parts)
    if kind == "NotStatement":
        inner = statement_matcher(spec["Statement"])
        return lambda request: not inner(request)
    raise NotEmulated(f"{kind} statements are not emulated")


# -- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: str  # Allow, Block or Count
    block: Blocked | None = None


class RateCounter:
    """The last `limit + 1` request times of each aggregation instance: the count in the
    window is over the limit exactly when the oldest of them is still inside it."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def add(self, key: str, now: float) -> bool:
        """Count a request of `key` at `now`; True when the instance is over the limit."""
        with self._lock:
            self._sweep(now)
            times = self._seen.setdefault(key, deque(maxlen=self.limit + 1))
            times.append(now)
            return len(times) > self.limit and times[0] > now - self.window_seconds

    def _sweep(self, now: float) -> None:
        # Instances quiet for a whole window count nothing any more: forget them.
        if now < self._next_sweep:
            return
        horizon = now - self.window_seconds
        for key in [k for k, times in self._seen.items() if times[-1] <= horizon]:
            del self._seen[key]
        self._next_sweep = now + self.window_seconds


@dataclass
class Rule:
    name: str
    priority: int
    action: Action
    matches: Callable[[Request, float], bool]
    description: str = ""


def _aggregation_key(spec: Mapping[str, Any]) -> Callable[[Request], str | None]:
    kind = str(spec.get("AggregateKeyType", "IP"))
    if kind == "IP":
        return lambda request: request.client_ip
    if kind == "CONSTANT":
        return lambda request: ""
    if kind == "FORWARDED_IP":
        config = spec.get("ForwardedIPConfig", {})
        if config.get("FallbackBehavior") != "NO_MATCH":
            raise NotEmulated("a forwarded-IP fallback that matches is not emulated")
        header = str(config.get("HeaderName", "X-Forwarded-For"))

        def forwarded(request: Request) -> str | None:
            first = (request.header(header) or "").split(",")[0].strip()
            try:
                return str(ipaddress.ip_address(first))
            except ValueError:
                return None  # NO_MATCH: not counted, never limited

        return forwarded
    raise NotEmulated(f"aggregation on {kind} is not emulated")


def _rate_based(spec: Mapping[str, Any]) -> tuple[Callable[[Request, float], bool], str]:
    limit = int(spec["Limit"])
    window = int(spec.get("EvaluationWindowSec", DEFAULT_EVALUATION_WINDOW_SECONDS))
    key_of = _aggregation_key(spec)
    scope = statement_matcher(spec["ScopeDownStatement"]) if "ScopeDownStatement" in spec else None
    counter = RateCounter(limit, window)

    def matches(request: Request, now: float) -> bool:
        if scope is not None and not scope(request):
            return False
        key = key_of(request)
        return key is not None and counter.add(key, now)

    per = str(spec.get("AggregateKeyType", "IP")).lower().replace("_", " ")
    return matches, f"{limit} per {window} s per {per}"


def _blocked(rule: str, spec: Mapping[str, Any], bodies: Mapping[str, Any]) -> Blocked:
    custom = spec.get("CustomResponse")
    if not custom:
        return Blocked(rule)
    headers = [(str(h["Name"]), str(h["Value"])) for h in custom.get("ResponseHeaders", [])]
    body = None
    if "CustomResponseBodyKey" in custom:
        found = bodies[str(custom["CustomResponseBodyKey"])]
        headers.insert(0, ("Content-Type", _CONTENT_TYPES[str(found["ContentType"])]))
        body = str(found["Content"]).encode()
    return Blocked(rule, int(custom["ResponseCode"]), tuple(headers), body if body else b"")


def _action(rule: str, spec: Mapping[str, Any], bodies: Mapping[str, Any]) -> Action:
    ((kind, settings),) = spec.items()
    if kind == "Block":
        return Action("Block", _blocked(rule, settings or {}, bodies))
    if kind in ("Allow", "Count"):
        return Action(kind)
    raise NotEmulated(f"the {kind} action is not emulated")


def _rule(spec: Mapping[str, Any], bodies: Mapping[str, Any]) -> Rule:
    name = str(spec["Name"])
    ((kind, statement),) = spec["Statement"].items()
    if kind == "ManagedRuleGroupStatement":
        raise NotEmulated(
            "managed rule groups: their vendor maintains their rules and does not publish them"
        )
    if kind == "RuleGroupReferenceStatement":
        raise NotEmulated("rule groups are not emulated")
    action = _action(name, spec.get("Action") or {"Count": {}}, bodies)
    if kind == "RateBasedStatement":
        matches, description = _rate_based(statement)
    else:
        matcher = statement_matcher(spec["Statement"])
        matches, description = (lambda request, now: matcher(request)), "match"
    return Rule(name, int(spec["Priority"]), action, matches, description)


# -- the web ACL ---------------------------------------------------------------------------


@dataclass
class WebAcl:
    name: str
    arn: str
    rules: list[Rule]
    default: Action
    not_emulated: list[tuple[str, str]] = field(default_factory=list)  # (rule, why not)
    clock: Clock = time.monotonic

    def inspect(self, request: Request) -> Blocked | None:
        """The web ACL's verdict on a viewer request: a block, or None to let it through."""
        now = self.clock()
        for rule in self.rules:
            if not rule.matches(request, now):
                continue
            if rule.action.kind == "Allow":
                return None
            if rule.action.kind == "Block":
                return rule.action.block
        return self.default.block if self.default.kind == "Block" else None

    def note(self) -> str:
        """How it is served, for the start-up report."""
        enforced = ", ".join(f"{r.name} ({r.description})" for r in self.rules) or "none"
        parts = [f"enforced by the CDN: {enforced}"]
        by_reason: dict[str, list[str]] = {}
        for rule, reason in self.not_emulated:
            by_reason.setdefault(reason, []).append(rule)
        for reason, rules in by_reason.items():
            parts.append(f"not emulated: {', '.join(rules)} ({reason})")
        return "; ".join(parts)


def web_acl(properties: Mapping[str, Any], arn: str, clock: Clock = time.monotonic) -> WebAcl:
    """The web ACL a template declares (`AWS::WAFv2::WebACL` properties)."""
    name = str(properties.get("Name", arn))
    bodies = properties.get("CustomResponseBodies", {})
    rules, not_emulated = [], []
    for spec in sorted(properties.get("Rules", []), key=lambda r: int(r["Priority"])):
        try:
            rules.append(_rule(spec, bodies))
        except NotEmulated as reason:
            not_emulated.append((str(spec["Name"]), str(reason)))
    default = _action(name, properties.get("DefaultAction", {"Allow": {}}), bodies)
    return WebAcl(name, arn, rules, default, not_emulated, clock)


def web_acl_of(
    web_acl_id: str, provisioned: Iterable[ProvisionedResource], clock: Clock = time.monotonic
) -> tuple[ProvisionedResource, WebAcl] | None:
    """The stack's web ACL that a distribution's `WebACLId` (a WAFv2 ARN) names, if any."""
    if not web_acl_id:
        return None
    for item in provisioned:
        arn = item.outcome.attributes.get("Arn")
        if item.type == "AWS::WAFv2::WebACL" and item.properties and arn == web_acl_id:
            return item, web_acl(item.properties, web_acl_id, clock)
    return None
