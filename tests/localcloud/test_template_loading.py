"""The stack's template is found through the cloud assembly's manifest, and its resources are
made in an order where every reference already exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.provisioning import dependency_order
from localcloud.template import TemplateError, load_stack
from tests.localcloud.support import MINI


def write_assembly(directory: Path, stacks: dict[str, str | None]) -> Path:
    """An assembly with one template per stack id; a value overrides the deployed name."""
    artifacts = {}
    for artifact_id, deployed_name in stacks.items():
        (directory / f"{artifact_id}.template.json").write_text(
            json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
        )
        properties = {"templateFile": f"{artifact_id}.template.json"}
        if deployed_name:
            properties["stackName"] = deployed_name
        artifacts[artifact_id] = {"type": "aws:cloudformation:stack", "properties": properties}
    artifacts["Tree"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
    (directory / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return directory


def test_the_only_stack_is_loaded_with_its_assets_resolvable() -> None:
    stack = load_stack(MINI)

    assert stack.stack_name == "Mini"
    assert stack.assembly_dir.is_absolute()
    echo = stack.resources["EchoFunction"]
    assert stack.asset_dir(echo) == MINI.resolve() / "echo"
    assert stack.resources["ElsewhereQueue"].condition == "IsElsewhere"


def test_a_stack_is_chosen_by_its_deployed_name(tmp_path: Path) -> None:
    write_assembly(tmp_path, {"AppDev": "Shop-dev", "AppProd": None})

    assert load_stack(tmp_path, "Shop-dev").stack_name == "Shop-dev"
    assert load_stack(tmp_path, "AppProd").stack_name == "AppProd"
    with pytest.raises(TemplateError, match="choose one with --stack"):
        load_stack(tmp_path)
    with pytest.raises(TemplateError, match="no stack 'Other'"):
        load_stack(tmp_path, "Other")


def test_a_missing_assembly_says_to_synthesize(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="synthesize the app first"):
        load_stack(tmp_path)


def test_resources_come_after_what_they_refer_to() -> None:
    order = dependency_order(load_stack(MINI))

    def before(first: str, then: str) -> bool:
        return order.index(first) < order.index(then)

    assert before("WorkDeadLetterQueue", "WorkQueue")  # GetAtt in the redrive policy
    assert before("Bus", "ItemRule")  # Ref in EventBusName
    assert before("EchoAny", "MiniDeployment")  # DependsOn
    assert before("EchoResource", "EchoIdResource")  # Ref in ParentId
    assert before("ItemsTable", "ItemsPipe")  # GetAtt StreamArn
