"""cdk-nag's AWS Solutions rules and cfn-lint on the synthesized templates."""

from __future__ import annotations

import pytest
from aws_cdk import Validations
from cfnlint.api import ManualArgs, lint_file
from stack_template import StackTemplate

from infra.nag import unacknowledged_findings

# CDK declares a function's dependency on its role explicitly although the Role attribute
# already implies it; cfn-lint warns about the redundancy, which is harmless.
CFN_LINT_IGNORED = ["W3005"]
MIN_REASON_LENGTH = 60


@pytest.mark.parametrize("synth_name", ["dev", "prod"])
def test_cdk_nag_leaves_no_unacknowledged_finding(
    request: pytest.FixtureRequest, synth_name: str
) -> None:
    synth: StackTemplate = request.getfixturevalue(synth_name)
    assert unacknowledged_findings(synth.stack) == []


def test_every_acknowledgment_explains_itself(dev: StackTemplate) -> None:
    reasons: dict[str, str] = {}
    for construct in dev.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    reasons[f"{construct.node.path}: {rule}"] = reason
    assert reasons, "no acknowledgment found: the metadata key changed?"
    short = {where: reason for where, reason in reasons.items() if len(reason) < MIN_REASON_LENGTH}
    assert short == {}


@pytest.mark.parametrize("synth_name", ["dev", "prod"])
def test_cfn_lint_passes(request: pytest.FixtureRequest, synth_name: str) -> None:
    synth: StackTemplate = request.getfixturevalue(synth_name)
    matches = lint_file(synth.path, config=ManualArgs(ignore_checks=CFN_LINT_IGNORED))
    assert [str(match) for match in matches] == []
