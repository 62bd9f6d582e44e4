"""A statement's `Condition` block against a request context, with IAM's operators.

Supported: the String, Numeric, Date, Bool, IpAddress, Arn and Null operators, each with
`...IfExists`, and the `ForAnyValue:` / `ForAllValues:` set qualifiers. A key absent from the
context makes a condition false, except for the negated operators (true), `...IfExists`
(true), `Null` and `ForAllValues:` (true), as AWS documents. A key the local cloud cannot know
is not absent but unknown: `evaluate` answers `UNKNOWN`, and the statement's caller decides
(an Allow then grants nothing, a Deny applies), so that it is never treated as true. Besides the
global keys, `dynamodb:Attributes` and `dynamodb:ReturnValues` are known for the DynamoDB item
writes (PutItem, UpdateItem, DeleteItem, alone or in a transaction), read from the request as
DynamoDB reads them (`localcloud.iam.operations.dynamodb`).

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from localcloud.iam.matching import arn_matches, string_like

# What the local cloud puts in every request's context (see `localcloud.iam.context`), and so
# can evaluate. Any other key is reported at start-up and evaluates as UNKNOWN.
KNOWN_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:principalservicename",
        "aws:requestedregion",
        "aws:currenttime",
        "aws:epochtime",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:calledvia",
    }
)


class Outcome(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"  # a key the local cloud cannot know, or an operator it lacks


Context = Mapping[str, Sequence[str]]  # lower-cased keys, each with its values


def evaluate(condition: Mapping[str, Mapping[str, Any]], context: Context) -> Outcome:
    """All operators and all keys must hold (AND); the values of one key are ORed."""
    outcome = Outcome.TRUE
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            result = _one(operator, key.lower(), _as_list(wanted), context)
            if result is Outcome.FALSE:
                return Outcome.FALSE
            if result is Outcome.UNKNOWN:
                outcome = Outcome.UNKNOWN
    return outcome


# Service keys the local cloud derives from a request's own parameters, for the calls whose
# mapping says so (localcloud/iam/operations/): there they are known, present or absent; for any
# other call they stay unknown.
REQUEST_KEYS = frozenset({"dynamodb:attributes", "dynamodb:returnvalues"})


def unknown_keys(condition: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The keys of a condition block the local cloud cannot evaluate, as written."""
    return {
        key
        for tests in condition.values()
        for key in tests
        if key.lower() not in KNOWN_KEYS | REQUEST_KEYS
    }


def unknown_operators(condition: Mapping[str, Mapping[str, Any]]) -> set[str]:
    return {operator for operator in condition if _parse(operator) is None}


def _one(operator: str, key: str, wanted: list[str], context: Context) -> Outcome:
    parsed = _parse(operator)
    # A request key the request's mapping set is known: with values, or empty when absent.
    if parsed is None or (key not in KNOWN_KEYS and key not in context):
        return Outcome.UNKNOWN
    qualifier, base, if_exists = parsed
    present = context.get(key)
    if base == "Null":
        is_null = not present
        return _outcome(any(_bool(value) == is_null for value in wanted))
    if not present:
        if if_exists or qualifier == "ForAllValues" or base in _NEGATED:
            return Outcome.TRUE
        return Outcome.FALSE
    positive = _TESTS[_NEGATED.get(base, base)]
    matches = [any(positive(value, policy) for policy in wanted) for value in present]
    if base in _NEGATED:
        matches = [not match for match in matches]
    if qualifier == "ForAllValues":
        return _outcome(all(matches))
    return _outcome(any(matches))


def _parse(operator: str) -> tuple[str | None, str, bool] | None:
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            return None
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base != "Null" and base not in _TESTS:
        return None
    return qualifier, base, if_exists


def _outcome(value: bool) -> Outcome:
    return Outcome.TRUE if value else Outcome.FALSE


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [_text(item) for item in values]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bool(value: str) -> bool:
    return value.lower() == "true"


def _number(value: str) -> float:
    return float(value)


def _time(value: str) -> datetime:
    if value.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    return lambda value, policy: _safe(lambda: compare(_number(value), _number(policy)))


def _dated(compare: Callable[[datetime, datetime], bool]) -> Callable[[str, str], bool]:
    return lambda value, policy: _safe(lambda: compare(_time(value), _time(policy)))


def _safe(test: Callable[[], bool]) -> bool:
    try:
        return test()
    except ValueError:
        return False  # a value of the wrong type matches nothing


def _in_network(value: str, policy: str) -> bool:
    return _safe(lambda: ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False))


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, policy: value == policy,
    "StringEqualsIgnoreCase": lambda value, policy: value.lower() == policy.lower(),
    "StringLike": lambda value, policy: string_like(policy, value),
    "NumericEquals": _numeric(lambda a, b: a == b),
    "NumericLessThan": _numeric(lambda a, b: a < b),
    "NumericLessThanEquals": _numeric(lambda a, b: a <= b),
    "NumericGreaterThan": _numeric(lambda a, b: a > b),
    "NumericGreaterThanEquals": _numeric(lambda a, b: a >= b),
    "DateEquals": _dated(lambda a, b: a == b),
    "DateLessThan": _dated(lambda a, b: a < b),
    "DateLessThanEquals": _dated(lambda a, b: a <= b),
    "DateGreaterThan": _dated(lambda a, b: a > b),
    "DateGreaterThanEquals": _dated(lambda a, b: a >= b),
    "Bool": lambda value, policy: value.lower() == policy.lower(),
    "IpAddress": _in_network,
    "ArnEquals": lambda value, policy: arn_matches(policy, value),
    "ArnLike": lambda value, policy: arn_matches(policy, value),
}
# Each negated operator: true when the value matches none of the policy's values.
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_TESTS.update({name: _TESTS[positive] for name, positive in _NEGATED.items()})
