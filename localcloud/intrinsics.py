"""CloudFormation intrinsic functions, resolved against what the local cloud created.

Covers what CDK output uses: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, plus
Fn::If and the condition functions, Fn::FindInMap, Fn::Base64, Fn::GetAZs and Fn::Length.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from localcloud.names import ACCOUNT_ID, PARTITION, REGION, URL_SUFFIX


class IntrinsicError(Exception):
    """A value refers to something that does not exist (yet) or uses an unsupported function."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def pseudo_parameters(stack_name: str, stack_id: str) -> dict[str, Any]:
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": REGION,
        "AWS::Partition": PARTITION,
        "AWS::URLSuffix": URL_SUFFIX,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


class Resolver:
    """Resolves template values. Resources become resolvable once `define` has recorded them."""

    def __init__(
        self,
        *,
        stack_name: str,
        stack_id: str,
        parameters: Mapping[str, Any] | None = None,
        conditions: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
    ) -> None:
        self._names: dict[str, Any] = pseudo_parameters(stack_name, stack_id)
        self._names.update(parameters or {})
        self._attributes: dict[str, Mapping[str, Any]] = {}
        self._condition_definitions = dict(conditions or {})
        self._condition_values: dict[str, bool] = {}
        self._mappings = dict(mappings or {})

    def define(self, logical_id: str, ref: Any, attributes: Mapping[str, Any]) -> None:
        self._names[logical_id] = ref
        self._attributes[logical_id] = attributes

    def is_defined(self, logical_id: str) -> bool:
        return logical_id in self._names

    def ref(self, name: str) -> Any:
        try:
            return self._names[name]
        except KeyError:
            raise IntrinsicError(f"Ref to {name!r}, which is not defined (yet)") from None

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self._attributes:
            raise IntrinsicError(f"Fn::GetAtt on {logical_id!r}, which is not defined (yet)")
        attributes = self._attributes[logical_id]
        if attribute not in attributes:
            known = ", ".join(sorted(attributes)) or "none"
            raise IntrinsicError(
                f"Fn::GetAtt {logical_id}.{attribute}: unknown attribute (known: {known})"
            )
        return attributes[attribute]

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self._condition_definitions:
                raise IntrinsicError(f"condition {name!r} is not defined")
            self._condition_values[name] = bool(self.resolve(self._condition_definitions[name]))
        return self._condition_values[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            resolved_items = (self.resolve(item) for item in value)
            return [item for item in resolved_items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
            if key.startswith("Fn::"):
                raise IntrinsicError(f"{key} is not supported by the local cloud")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    # --- the functions ---------------------------------------------------------------------

    def _ref(self, name: Any) -> Any:
        return self.ref(self.resolve(name))

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            logical_id, attribute = argument[0], self.resolve(argument[1])
        return self.get_att(logical_id, attribute)

    def _join(self, argument: Any) -> str:
        delimiter, items = argument
        parts = self.resolve(items)
        return str(delimiter).join(_as_text(part) for part in parts)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            text, variables = argument, {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                return _as_text(self.get_att(logical_id, attribute))
            return _as_text(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _select(self, argument: Any) -> Any:
        index, items = argument
        resolved_items = self.resolve(items)
        position = int(self.resolve(index))
        if not 0 <= position < len(resolved_items):
            raise IntrinsicError(f"Fn::Select index {position} out of range")
        return resolved_items[position]

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = argument
        return str(self.resolve(text)).split(delimiter)

    def _if(self, argument: Any) -> Any:
        condition_name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(condition_name) else when_false)

    def _equals(self, argument: Any) -> bool:
        left, right = (self.resolve(item) for item in argument)
        return bool(_as_text(left) == _as_text(right))

    def _and(self, argument: Any) -> bool:
        return all(self._truth(item) for item in argument)

    def _or(self, argument: Any) -> bool:
        return any(self._truth(item) for item in argument)

    def _not(self, argument: Any) -> bool:
        return not self._truth(argument[0])

    def _condition_function(self, name: Any) -> bool:
        return self.condition(name)

    def _truth(self, item: Any) -> bool:
        resolved = self.resolve(item)
        return resolved if isinstance(resolved, bool) else str(resolved).lower() == "true"

    def _find_in_map(self, argument: Any) -> Any:
        map_name, first_key, second_key = (self.resolve(item) for item in argument)
        try:
            return self._mappings[map_name][first_key][second_key]
        except KeyError:
            raise IntrinsicError(f"Fn::FindInMap {map_name}/{first_key}/{second_key}") from None

    def _base64(self, argument: Any) -> str:
        return base64.b64encode(_as_text(self.resolve(argument)).encode()).decode()

    def _get_azs(self, _argument: Any) -> list[str]:
        return [f"{REGION}{zone}" for zone in "abc"]

    def _length(self, argument: Any) -> int:
        return len(self.resolve(argument))

    def _to_json_string(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))


_FUNCTIONS: dict[str, Any] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Join": Resolver._join,
    "Fn::Sub": Resolver._sub,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::If": Resolver._if,
    "Fn::Equals": Resolver._equals,
    "Fn::And": Resolver._and,
    "Fn::Or": Resolver._or,
    "Fn::Not": Resolver._not,
    "Condition": Resolver._condition_function,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::Base64": Resolver._base64,
    "Fn::GetAZs": Resolver._get_azs,
    "Fn::Length": Resolver._length,
    "Fn::ToJsonString": Resolver._to_json_string,
}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def referenced_ids(value: Any) -> Iterator[str]:
    """The logical ids (and parameters) a value refers to, so resources are made in order."""
    if isinstance(value, list):
        for item in value:
            yield from referenced_ids(item)
        return
    if not isinstance(value, dict):
        return
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            yield argument
        elif key == "Fn::GetAtt":
            yield argument.partition(".")[0] if isinstance(argument, str) else argument[0]
        elif key == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) else argument
            local_names = set(argument[1]) if isinstance(argument, list) else set()
            for match in _SUB_VARIABLE.finditer(text):
                name = match.group(1)
                if not name.startswith("!") and name.split(".")[0] not in local_names:
                    yield name.split(".")[0]
            if isinstance(argument, list):
                yield from referenced_ids(argument[1])
        else:
            yield from referenced_ids(argument)
