"""The account, region and naming rules of the local cloud, the way CloudFormation names things."""

from __future__ import annotations

import hashlib
import string

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

_SUFFIX_ALPHABET = string.ascii_uppercase + string.digits


def physical_name(
    stack_name: str, logical_id: str, *, max_length: int = 64, lowercase: bool = False
) -> str:
    """`{stack}-{logicalId}-{SUFFIX}`, as CloudFormation generates names, cut to fit a limit.

    The suffix is derived from the stack and logical id, so a name is the same on every run.
    """
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    suffix = "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:12])
    prefix_budget = max_length - len(suffix) - 2
    stack_part = stack_name[: max(prefix_budget // 2, 1)]
    logical_part = logical_id[: max(prefix_budget - len(stack_part), 1)]
    name = f"{stack_part}-{logical_part}-{suffix}"
    return name.lower() if lowercase else name


def short_id(stack_name: str, logical_id: str, length: int = 10) -> str:
    """An id like API Gateway's (`a1b2c3d4e5`): lower-case letters and digits, stable per run."""
    alphabet = string.ascii_lowercase + string.digits
    digest = hashlib.sha256(f"{stack_name}/{logical_id}/id".encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def function_arn(function_name: str) -> str:
    return arn("lambda", f"function:{function_name}")


def queue_arn(queue_name: str) -> str:
    return arn("sqs", queue_name)
