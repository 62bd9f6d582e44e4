"""Secrets Manager calls as IAM authorizes them: each action on the secret's full ARN (the
one with its six-character suffix), whether `SecretId` names it by ARN or by name.

https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access.html
"""

from __future__ import annotations

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import ACCOUNT_ID, REGION, arn

_UNSCOPED = {"ListSecrets", "GetRandomPassword", "BatchGetSecretValue"}


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    operation = request.target
    if not operation:
        return None
    action = f"secretsmanager:{operation}"
    if operation in _UNSCOPED:
        return [Authorization(action, "*")]
    secret_id = str(request.json.get("SecretId") or request.json.get("Name") or "")
    return [Authorization(action, secret_arn(secret_id))] if secret_id else None


def secret_arn(secret_id: str) -> str:
    """The full ARN of a secret named by its name, its ARN or a partial ARN (one without the
    suffix): moto knows the suffix it gave the secret."""
    from moto.secretsmanager.models import secretsmanager_backends

    secret = secretsmanager_backends[ACCOUNT_ID][REGION].secrets.get(secret_id)
    if secret is not None:
        return str(secret.arn)
    return (
        secret_id if secret_id.startswith("arn:") else arn("secretsmanager", f"secret:{secret_id}")
    )
