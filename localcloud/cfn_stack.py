"""Make the stack visible through moto's CloudFormation API, exactly as the local cloud made it.

moto's own CloudFormation cannot create this stack (it skips Pipes, queue policies, alarms,
API stages, CloudFront and SES, and fails on a rule whose EventBusName is a Ref), so the local
cloud creates the resources itself and registers the finished stack in moto's in-process
backend: describe-stacks, describe-stack-resource(s), list-stack-resources, list-exports and
get-template then answer with the physical ids that were created.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.cloudformation.models import Export, Stack, cloudformation_backends
from moto.cloudformation.parsing import Output

from localcloud.names import ACCOUNT_ID, REGION, arn


def new_stack_id(stack_name: str) -> str:
    return arn("cloudformation", f"stack/{stack_name}/{uuid.uuid4()}")


@dataclass(frozen=True)
class StackResourceRecord:
    """What moto's responses read from a stack resource."""

    logical_resource_id: str
    physical_resource_id: str
    cf_resource_type: str


@dataclass(frozen=True)
class StackOutput:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


class _Resources(dict[str, StackResourceRecord]):
    def delete(self) -> None:
        """Deleting the stack through the API forgets it; the local resources stay."""


class _Outputs(dict[str, Output]):
    def __init__(self, outputs: Iterable[StackOutput], stack_id: str) -> None:
        super().__init__((o.key, Output(o.key, o.value, o.description or "")) for o in outputs)
        self.exports = [Export(stack_id, o.export_name, o.value) for o in outputs if o.export_name]


def register_stack(
    *,
    stack_id: str,
    stack_name: str,
    template_body: Mapping[str, Any],
    resources: Iterable[StackResourceRecord],
    outputs: Iterable[StackOutput],
) -> None:
    backend = cloudformation_backends[ACCOUNT_ID][REGION]
    outputs = list(outputs)
    # An empty template makes moto create nothing; the finished parts are set afterwards.
    stack = Stack(stack_id, stack_name, {}, {}, ACCOUNT_ID, REGION)  # type: ignore[abstract]
    stack.template = json.dumps(template_body)
    stack.template_dict = dict(template_body)
    stack.description = template_body.get("Description")
    # Duck-typed stand-ins for moto's maps: they hold what was made, instead of making it.
    stack.resource_map = _Resources((r.logical_resource_id, r) for r in resources)  # type: ignore[assignment]
    stack.output_map = _Outputs(outputs, stack_id)  # type: ignore[assignment]
    stack.status = "CREATE_COMPLETE"
    backend.stacks[stack_id] = stack
    for export in stack.exports:
        backend.exports[export.name] = export
