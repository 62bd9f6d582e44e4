"""cdk-nag's AWS Solutions rules on the app, and the one way we acknowledge a finding.

Findings are fixed where the construct allows it; an acknowledgment stays next to the
construct it concerns and says why the rule does not apply there.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag_checks(app: App) -> None:
    """Synthesis fails on any finding that is neither fixed nor acknowledged."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` (e.g. `AwsSolutions-IAM5[Resource::*]`) on `scope` and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def unacknowledged_findings(scope: IConstruct) -> list[str]:
    """Every AWS Solutions finding left under `scope`, as `rule: construct path` lines."""
    report = AwsSolutionsChecks().validate_scope(scope)
    return [
        f"{violation.rule_name} ({violation.severity}): {resource.construct_path}"
        for violation in report.violations
        for resource in violation.violating_resources
    ]
