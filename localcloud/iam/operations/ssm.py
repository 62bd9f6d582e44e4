"""SSM parameter reads and writes as IAM authorizes them, on
`arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` (a name's leading `/` is the ARN's separator).

https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
"""

from __future__ import annotations

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import arn

_ONE = {"GetParameter", "PutParameter", "DeleteParameter", "GetParameterHistory",
        "LabelParameterVersion"}  # fmt: skip


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    operation = request.target
    body = request.json
    if operation in _ONE:
        return [Authorization(f"ssm:{operation}", parameter_arn(str(body.get("Name", ""))))]
    if operation in ("GetParameters", "DeleteParameters"):
        return [
            Authorization(f"ssm:{operation}", parameter_arn(str(name)))
            for name in body.get("Names", [])
        ]
    if operation == "GetParametersByPath":
        return [Authorization("ssm:GetParametersByPath", parameter_arn(str(body.get("Path"))))]
    if operation == "DescribeParameters":
        return [Authorization("ssm:DescribeParameters", "*")]
    return None


def parameter_arn(name: str) -> str:
    if name.startswith("arn:"):
        return name
    return arn("ssm", f"parameter/{name.lstrip('/')}")
