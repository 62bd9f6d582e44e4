"""Read a synthesized Shortener template the way a reviewer would: by function, route, queue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from infra.stack import ShortenerStack

Json = dict[str, Any]
# The alarm email the prod fixture synthesizes with (`-c alarm_email=...`).
PROD_ALARM_EMAIL = "oncall@example.com"
# The senders the fixtures synthesize with, as a user sets them (`-c email_sender=...`): dev
# owns its address identity, prod the identity of its whole domain (`-c email_identity=domain`).
DEV_EMAIL_SENDER = "no-reply@dev.example.com"
PROD_EMAIL_SENDER = "no-reply@example.com"
# The short domain the prod_short_domain fixture gives the distribution.
SHORT_DOMAIN = "go.example.com"
SHORT_DOMAIN_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0c2f-short-domain"
SHORT_DOMAIN_ZONE = "Z0123456789SHORTZONE"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass
class StackTemplate:
    stack: ShortenerStack
    template: Template
    path: Path

    def __post_init__(self) -> None:
        self.json: Json = dict(self.template.to_json())
        self.resources: dict[str, Json] = self.json["Resources"]

    # -- generic ------------------------------------------------------------------------------

    def of_type(self, resource_type: str) -> dict[str, Json]:
        return {k: r for k, r in self.resources.items() if r["Type"] == resource_type}

    def props(self, logical_id: str) -> Json:
        return self.resources[logical_id].get("Properties", {})

    # -- functions and their permissions -------------------------------------------------------

    def function(self, name: str) -> Json:
        """Properties of the function of functions/<name>."""
        return self.props(self.function_logical_id(name))

    def function_logical_id(self, name: str) -> str:
        """`<Pascal>Function`: the logical id infra/functions.py pins."""
        return "".join(p.capitalize() for p in name.split("_")) + "Function"

    def statements(self, function_name: str) -> list[Json]:
        """Every Allow statement of the policies attached to the function's role."""
        role = self.function(function_name)["Role"]["Fn::GetAtt"][0]
        found: list[Json] = []
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role} in policy["Properties"]["Roles"]:
                found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
        role_props = self.props(role)
        assert not role_props.get("ManagedPolicyArns"), f"{function_name} has managed policies"
        return found

    def actions_on(self, function_name: str, resource_logical_id: str) -> set[str]:
        """Actions the function may take on (anything derived from) a resource of the stack."""
        actions: set[str] = set()
        for statement in self.statements(function_name):
            if any(
                _mentions(resource, resource_logical_id)
                for resource in as_list(statement["Resource"])
            ):
                actions.update(as_list(statement["Action"]))
        return actions

    def all_actions(self, function_name: str) -> set[str]:
        return {
            action
            for statement in self.statements(function_name)
            for action in as_list(statement["Action"])
        }

    # -- API routes ----------------------------------------------------------------------------

    def routes(self) -> dict[tuple[str, str], Json]:
        """(method, path) -> method properties, with paths rebuilt from the resource tree."""
        resources = self.of_type("AWS::ApiGateway::Resource")

        def path_of(resource_id: Json) -> str:
            if "Fn::GetAtt" in resource_id:  # the root resource
                return ""
            props = resources[resource_id["Ref"]]["Properties"]
            return path_of(props["ParentId"]) + "/" + props["PathPart"]

        return {
            (props["HttpMethod"], path_of(props["ResourceId"])): props
            for props in (m["Properties"] for m in self.of_type("AWS::ApiGateway::Method").values())
        }

    # -- queues --------------------------------------------------------------------------------

    def queue_policies(self, queue_logical_id: str) -> Iterator[Json]:
        for policy in self.of_type("AWS::SQS::QueuePolicy").values():
            if {"Ref": queue_logical_id} in policy["Properties"]["Queues"]:
                yield from policy["Properties"]["PolicyDocument"]["Statement"]

    def event_source_mapping(self, queue_logical_id: str) -> Json:
        (mapping,) = (
            r["Properties"]
            for r in self.of_type("AWS::Lambda::EventSourceMapping").values()
            if r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_logical_id, "Arn"]}
        )
        return mapping


def _mentions(value: Any, logical_id: str) -> bool:
    """True if a (possibly joined) CloudFormation value refers to `logical_id`."""
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] == logical_id:
            return True
        return any(_mentions(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, logical_id) for v in value)
    return False
