"""The synthesized stack: find its template in a cdk.out directory and read its resources.

The template is the local cloud's only source of truth; nothing here knows any particular stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT_TYPE = "aws:cloudformation:stack"
ASSET_PATH_METADATA = "aws:asset:path"


class TemplateError(Exception):
    """The cdk.out directory or its template is not something the local cloud can run."""


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any]
    depends_on: tuple[str, ...]
    condition: str | None

    @property
    def cdk_path(self) -> str | None:
        path = self.metadata.get("aws:cdk:path")
        return str(path) if path else None


@dataclass
class StackTemplate:
    """One stack of a cloud assembly: its name, its template and where its assets live."""

    stack_name: str
    assembly_dir: Path
    body: dict[str, Any]
    resources: dict[str, Resource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.resources:
            self.resources = {
                logical_id: _resource(logical_id, definition)
                for logical_id, definition in self.body.get("Resources", {}).items()
            }

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.body.get("Outputs", {}))

    @property
    def conditions(self) -> dict[str, Any]:
        return dict(self.body.get("Conditions", {}))

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.body.get("Parameters", {}))

    @property
    def mappings(self) -> dict[str, Any]:
        return dict(self.body.get("Mappings", {}))

    def of_type(self, *resource_types: str) -> Iterator[Resource]:
        return (r for r in self.resources.values() if r.type in resource_types)

    def asset_dir(self, resource: Resource) -> Path | None:
        """The staged folder a CDK asset (function code, layer content) points at, if any."""
        asset_path = resource.metadata.get(ASSET_PATH_METADATA)
        if not asset_path:
            return None
        path = Path(asset_path)
        return path if path.is_absolute() else self.assembly_dir / path


def _resource(logical_id: str, definition: dict[str, Any]) -> Resource:
    depends_on = definition.get("DependsOn", [])
    if isinstance(depends_on, str):
        depends_on = [depends_on]
    return Resource(
        logical_id=logical_id,
        type=definition["Type"],
        properties=dict(definition.get("Properties", {})),
        metadata=dict(definition.get("Metadata", {})),
        depends_on=tuple(depends_on),
        condition=definition.get("Condition"),
    )


def stack_names(assembly_dir: Path) -> list[str]:
    return [name for name, _ in _stack_artifacts(assembly_dir)]


def load_stack(assembly_dir: Path, stack_name: str | None = None) -> StackTemplate:
    """Read a stack's template from a cloud assembly (the manifest names each stack's file).

    Without a name, the assembly must hold exactly one stack.
    """
    artifacts = _stack_artifacts(assembly_dir)
    if stack_name is None:
        if len(artifacts) != 1:
            names = ", ".join(name for name, _ in artifacts) or "none"
            raise TemplateError(f"{assembly_dir} holds stacks {names}: choose one with --stack")
        chosen = artifacts[0]
    else:
        matching = [a for a in artifacts if stack_name in (a[0], a[1].get("displayName"))]
        if not matching:
            names = ", ".join(name for name, _ in artifacts) or "none"
            raise TemplateError(f"no stack {stack_name!r} in {assembly_dir} (it has: {names})")
        chosen = matching[0]
    name, artifact = chosen
    template_file = assembly_dir / artifact["properties"]["templateFile"]
    try:
        body = json.loads(template_file.read_text())
    except (OSError, ValueError) as error:
        raise TemplateError(f"cannot read the template {template_file}: {error}") from error
    # Absolute: workers run with their code folder as the working directory.
    return StackTemplate(stack_name=name, assembly_dir=assembly_dir.resolve(), body=body)


def _stack_artifacts(assembly_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    manifest_file = assembly_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text())
    except (OSError, ValueError) as error:
        raise TemplateError(
            f"no cloud assembly at {assembly_dir} ({error}); synthesize the app first"
        ) from error
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != STACK_ARTIFACT_TYPE:
            continue
        # The deployed name is the stackName property when set, else the artifact id.
        name = artifact.get("properties", {}).get("stackName") or artifact_id
        stacks.append((name, artifact))
    return stacks
