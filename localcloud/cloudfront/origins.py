"""Fetching from a distribution's origins: the local REST API (with the origin's path in front
of the viewer's), or an S3 bucket read as Origin Access Control reads it.

- An API Gateway origin is the local API server when its domain names the served REST API;
  any other custom origin is out of reach (the edge answers 502). Redirects are passed on,
  never followed.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html
- An S3 origin reads from the embedded S3 after the bucket policy allowed the distribution
  (`origin_access`). A refusal is S3's `403 AccessDenied`, which CloudFront passes on; a
  missing key is 403 too unless the policy also grants `s3:ListBucket` (then 404 NoSuchKey).
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from __future__ import annotations

import http.client
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from localcloud.aws import AwsClients
from localcloud.cloudfront.distribution import Origin
from localcloud.cloudfront.messages import Request, Response
from localcloud.cloudfront.origin_access import bucket_policy_allows

ORIGIN_READ_TIMEOUT_SECONDS = 30  # CloudFront's default origin response timeout
_S3_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "etag",
    "last-modified",
)
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}
)


class OriginUnreachable(Exception):
    """No answer from the origin: CloudFront's 502 (or 504 for a timeout)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class Origins:
    """`fetch(origin, request)`: the origin's answer to a request the edge has shaped."""

    def __init__(
        self,
        aws: AwsClients,
        api_urls: Mapping[str, str],
        distribution_arn: str,
        *,
        check_bucket_policies: bool = True,
    ) -> None:
        self._aws = aws
        self._api_urls = dict(api_urls)  # REST API id -> local base URL
        self._distribution_arn = distribution_arn
        self._check_bucket_policies = check_bucket_policies

    def fetch(self, origin: Origin, request: Request) -> Response:
        if origin.bucket is not None:
            return self._from_bucket(origin, origin.bucket, request)
        base = self._api_urls.get(origin.rest_api_id or "")
        if base is None:
            raise OriginUnreachable(f"the origin {origin.domain_name} is not served locally")
        return _forward(base, origin.origin_path, request)

    def _from_bucket(self, origin: Origin, bucket: str, request: Request) -> Response:
        key = unquote((origin.origin_path + request.path).lstrip("/"))
        signer = self._distribution_arn if origin.access_control_id else None
        s3 = self._aws("s3")
        try:
            policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            policy = None
        if request.method not in ("GET", "HEAD") or not self._allows(
            policy, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", signer
        ):
            return _s3_error(403, "AccessDenied", "Access Denied")
        conditions: dict[str, Any] = {}
        if request.header("If-None-Match"):
            conditions["IfNoneMatch"] = request.header("If-None-Match")
        read = s3.head_object if request.method == "HEAD" else s3.get_object
        try:
            answer = read(Bucket=bucket, Key=key, **conditions)
        except ClientError as error:
            status = int(error.response["ResponseMetadata"]["HTTPStatusCode"])
            if status == 304:
                return Response(304, [("Server", "AmazonS3")])
            if status != 404:
                return _s3_error(status, error.response["Error"].get("Code", "Error"), str(error))
            if self._allows(policy, "s3:ListBucket", f"arn:aws:s3:::{bucket}", signer):
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return _s3_error(403, "AccessDenied", "Access Denied")
        raw = answer["ResponseMetadata"]["HTTPHeaders"]
        headers = [(name.title(), raw[name]) for name in _S3_HEADERS if name in raw]
        headers = [(("ETag" if n == "Etag" else n), v) for n, v in headers]
        body = answer["Body"].read() if "Body" in answer else b""
        return Response(200, [*headers, ("Server", "AmazonS3")], body)

    def _allows(self, policy: Any, action: str, resource: str, signer: str | None) -> bool:
        if not self._check_bucket_policies:
            return True
        return bucket_policy_allows(policy, action, resource, distribution_arn=signer)


def _forward(base: str, origin_path: str, request: Request) -> Response:
    target = urlsplit(base)
    path = origin_path + request.path + (f"?{request.query}" if request.query else "")
    connection = http.client.HTTPConnection(
        target.hostname or "127.0.0.1", target.port, timeout=ORIGIN_READ_TIMEOUT_SECONDS
    )
    try:
        connection.request(
            request.method, path, body=request.body or None, headers=dict(request.headers)
        )
        answer = connection.getresponse()
        body = answer.read()
    except TimeoutError as error:
        raise OriginUnreachable(f"the origin timed out: {error}", timed_out=True) from error
    except (OSError, http.client.HTTPException) as error:
        raise OriginUnreachable(f"cannot reach the origin: {error}") from error
    finally:
        connection.close()
    headers = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
    return Response(answer.status, headers, body)


def _s3_error(status: int, code: str, message: str) -> Response:
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
    ).encode()
    return Response(status, [("Content-Type", "application/xml"), ("Server", "AmazonS3")], body)
