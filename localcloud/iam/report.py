"""What the start-up report says about IAM: what is checked, what is not, and which
condition keys, operators or actions of the template's policies the local cloud cannot
evaluate (a statement that needs one never allows and always denies)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from localcloud.iam.authority import IamAuthority
from localcloud.iam.operations import CHECKED_SERVICES

# The resource-based policies the local cloud evaluates, or offers to evaluate.
RESOURCE_POLICY_TYPES = ("AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy")


def iam_lines(
    authority: IamAuthority, resource_policies: Iterable[tuple[str, Any]] = ()
) -> list[str]:
    if not authority.enabled:
        return ["IAM        off (--no-iam): no call is checked"]
    lines = [
        "IAM        each function's, SQS poller's and pipe's AWS calls against its role's "
        "policies; EventBridge's sends to SQS against the queue policy",
        *[f"  checked  {name}: {what}" for name, what in CHECKED_SERVICES.items()],
        "  checked  lambda: a pipe's enrichment invoke",
        "  not      other calls go through, logged once as 'IAM not checked'; trust policies "
        "(the local cloud hands out the role sessions); API Gateway's Lambda permissions",
    ]
    lines += _named(
        "evaluated (a statement that needs it never allows, always denies)",
        authority.unevaluated_conditions(resource_policies),
    )
    lines += _named("actions AWS defines (grant nothing)", authority.unknown_actions())
    lines += _named("known managed policies (grant nothing)", authority.unknown_managed_policies())
    return lines


def _named(what: str, found: Mapping[str, Iterable[str]]) -> list[str]:
    return [
        f"  not      {what}: {name}: {', '.join(sorted(items))}" for name, items in found.items()
    ]
