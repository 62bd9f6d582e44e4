"""What every provisioner shares: the result record, the context and the type registry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from localcloud.aws import AwsClients
from localcloud.names import arn, physical_name
from localcloud.template import Resource, StackTemplate

ServedBy = Literal["moto", "emulated", "skipped"]


@dataclass
class Provisioned:
    """What a resource became: its physical id (Ref), attributes (GetAtt), and who serves it."""

    physical_id: str
    attributes: Mapping[str, Any]
    served_by: ServedBy
    note: str = ""


@dataclass
class ProvisionedResource:
    resource: Resource
    outcome: Provisioned
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def logical_id(self) -> str:
        return self.resource.logical_id

    @property
    def type(self) -> str:
        return self.resource.type

    @property
    def physical_id(self) -> str:
        return self.outcome.physical_id


@dataclass
class ProvisionContext:
    template: StackTemplate
    aws: AwsClients

    @property
    def stack_name(self) -> str:
        return self.template.stack_name

    def name(self, logical_id: str, max_length: int = 64, *, lowercase: bool = False) -> str:
        return physical_name(
            self.stack_name, logical_id, max_length=max_length, lowercase=lowercase
        )


Provisioner = Callable[[ProvisionContext, Resource, dict[str, Any]], Provisioned]
PROVISIONERS: dict[str, Provisioner] = {}


def provisions(*resource_types: str) -> Callable[[Provisioner], Provisioner]:
    def register(function: Provisioner) -> Provisioner:
        for resource_type in resource_types:
            PROVISIONERS[resource_type] = function
        return function

    return register


class PlaceholderAttributes(Mapping[str, Any]):
    """Attributes of a resource nothing serves: any attribute resolves, to a recognisable value,
    so that the rest of the stack can still be made."""

    def __init__(self, resource_type: str, physical_id: str) -> None:
        self._service = resource_type.split("::")[1].lower() if "::" in resource_type else "x"
        self._physical_id = physical_id

    def __getitem__(self, attribute: str) -> Any:
        if attribute.endswith("Arn"):
            return arn(self._service, self._physical_id)
        return self._physical_id

    def __contains__(self, attribute: object) -> bool:
        return isinstance(attribute, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def skipped(resource: Resource, physical_id: str, why: str) -> Provisioned:
    return Provisioned(
        physical_id=physical_id,
        attributes=PlaceholderAttributes(resource.type, physical_id),
        served_by="skipped",
        note=why,
    )


def tags_as_dict(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags or []}


def as_json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def pick(properties: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The properties that are present, for APIs whose parameter names match CloudFormation's."""
    return {name: properties[name] for name in names if name in properties}
