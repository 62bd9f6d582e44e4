"""Stable logical ids for the resources other tools look up in the template.

The local cloud, the ops CLI and the runbook find tables, queues and functions by logical id
(docs/architecture.md names them: `LinksTable`, `QrQueue`, `QrDeadLetterQueue` ...). CDK would
add a hash of the construct path; pinning keeps the names readable and independent of how the
constructs are nested.
"""

from __future__ import annotations

from aws_cdk import CfnElement, Stack
from constructs import IConstruct


def pin_logical_id(construct: IConstruct, logical_id: str) -> None:
    """Give `construct`'s CloudFormation resource the logical id `logical_id`."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to name")
    resource.override_logical_id(logical_id)


def logical_id_of(construct: IConstruct) -> str:
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return str(Stack.of(construct).resolve(resource.logical_id))
