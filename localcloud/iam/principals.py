"""Who a request comes from: each function worker and each pipe gets access keys of its own,
bound to its role, as Lambda and Pipes hand out the role's temporary credentials. A role
session's ARN is `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.

The caller is read from the SigV4 `Authorization` header's credential (or the presigned
`X-Amz-Credential`, or SigV2's `AWSAccessKeyId`); the signature itself is not verified.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-authentication-methods.html
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from localcloud.names import ACCOUNT_ID

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/,\s]+)/")
_V2_AUTHORIZATION = re.compile(r"^AWS ([^:\s]+):")


@dataclass(frozen=True)
class RoleSession:
    role_arn: str
    session_name: str

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def access_key_id(self) -> str:
        """`ASIA` and 16 letters and digits, as temporary credentials look; stable per run."""
        digest = hashlib.sha256(f"{self.role_arn}/{self.session_name}".encode()).digest()
        return "ASIA" + base64.b32encode(digest).decode()[:16]

    def credentials(self) -> dict[str, str]:
        """As boto3 takes them."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": hashlib.sha256(self.access_key_id.encode()).hexdigest()[:40],
            "aws_session_token": f"localcloud/{self.role_name}/{self.session_name}",
        }

    def environment(self) -> dict[str, str]:
        """The variables Lambda sets for the execution role's credentials."""
        return {name.upper(): value for name, value in self.credentials().items()}


def caller_credential(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(access key id, signing service) of a request, or None when it carries none."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match[1], match[2]
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential" in query or "AWSAccessKeyId" in query:
        params = parse_qs(query)
        credential = params.get("X-Amz-Credential", [""])[0].split("/")
        if len(credential) >= 4:
            return credential[0], credential[3]
        if params.get("AWSAccessKeyId"):
            return params["AWSAccessKeyId"][0], "s3"  # SigV2: only S3 still presigns with it
    v2 = _V2_AUTHORIZATION.match(environ.get("HTTP_AUTHORIZATION", ""))
    if v2:
        return v2[1], "s3"
    return None
