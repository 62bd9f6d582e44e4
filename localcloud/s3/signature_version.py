"""S3 refuses Signature Version 2, as every bucket created since 24 June 2020 does; moto accepts it.

A SigV2 request carries `Authorization: AWS AccessKeyId:Signature`, or (presigned) the query
parameters `AWSAccessKeyId`, `Signature` and `Expires`. S3 answers `400 InvalidRequest`, "The
authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256." So
does this WSGI middleware in front of moto, before anything else looks at the request. Other
services' SigV2 (query APIs that name `SignatureVersion=2`) are left alone.

https://docs.aws.amazon.com/AmazonS3/latest/API/specify-signature-version.html#UsingAWSSDK-sig2-deprecation
https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

MESSAGE = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)
_PRESIGNED_V2 = ("AWSAccessKeyId", "Signature", "Expires")


def is_sigv2(environ: dict[str, Any]) -> bool:
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    if authorization.startswith("AWS ") and ":" in authorization:
        return True
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    return all(name in query for name in _PRESIGNED_V2) and "SignatureVersion" not in query


class RefuseSigV2:
    """WSGI middleware: a SigV2-signed S3 request gets S3's own refusal."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not is_sigv2(environ):
            return self._app(environ, start_response)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>InvalidRequest</Code><Message>{MESSAGE}</Message>"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId>"
            f"<HostId>{uuid.uuid4().hex}</HostId></Error>"
        ).encode()
        start_response(
            "400 Bad Request",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]
