"""S3 REST calls as IAM authorizes them: object reads and writes on `arn:aws:s3:::B/K`
(HeadObject is s3:GetObject, a copy also reads its source, multipart parts are s3:PutObject),
listing and HeadBucket are s3:ListBucket on `arn:aws:s3:::B`. Path-style and virtual-hosted
requests alike. Bucket configuration calls are left unmapped (reported as not checked).

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from urllib.parse import unquote

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest

_OBJECT_ACTIONS = {
    ("GET", ""): "GetObject",
    ("HEAD", ""): "GetObject",
    ("PUT", ""): "PutObject",
    ("DELETE", ""): "DeleteObject",
    ("GET", "tagging"): "GetObjectTagging",
    ("PUT", "tagging"): "PutObjectTagging",
    ("DELETE", "tagging"): "DeleteObjectTagging",
    ("GET", "acl"): "GetObjectAcl",
    ("PUT", "acl"): "PutObjectAcl",
    ("POST", "uploads"): "PutObject",
    ("PUT", "uploadId"): "PutObject",
    ("POST", "uploadId"): "PutObject",
    ("DELETE", "uploadId"): "AbortMultipartUpload",
    ("GET", "uploadId"): "ListMultipartUploadParts",
}
_SUBRESOURCES = ("tagging", "acl", "uploads", "uploadId")


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    bucket, key = _bucket_and_key(request)
    if not bucket:
        if request.method == "GET":
            return [Authorization("s3:ListAllMyBuckets", "*")]
        return None
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if key:
        sub = next((name for name in _SUBRESOURCES if name in request.query), "")
        action = _OBJECT_ACTIONS.get((request.method, sub))
        if action is None:
            return None
        found = [Authorization(f"s3:{action}", f"{bucket_arn}/{key}")]
        source = request.headers.get("x-amz-copy-source")
        if source and request.method == "PUT":
            found.append(Authorization("s3:GetObject", f"arn:aws:s3:::{_source(source)}"))
        return found
    if request.method in ("GET", "HEAD") and not _bucket_subresource(request):
        return [Authorization("s3:ListBucket", bucket_arn)]
    if request.method == "POST" and "delete" in request.query:
        return [
            Authorization("s3:DeleteObject", f"{bucket_arn}/{name}")
            for name in _keys_to_delete(request.body)
        ]
    return None


def _bucket_and_key(request: ApiRequest) -> tuple[str, str]:
    host = request.headers.get("host", "").split(":", 1)[0]
    labels = host.split(".")
    path = request.path.lstrip("/")
    # Virtual-hosted: bucket.s3.amazonaws.com, bucket.s3.us-east-1.amazonaws.com,
    # bucket.localhost (moto's own form); an IP address or a bare host is path-style.
    virtual = labels[1:2] == ["s3"] or labels[1:] == ["localhost"]
    if virtual and not host.replace(".", "").isdigit():
        return labels[0], path
    bucket, _, key = path.partition("/")
    return bucket, key


def _bucket_subresource(request: ApiRequest) -> bool:
    listing = {"list-type", "prefix", "delimiter", "max-keys", "marker", "continuation-token",
               "start-after", "encoding-type", "fetch-owner"}  # fmt: skip
    return any(name not in listing for name in request.query)


def _source(header: str) -> str:
    return unquote(header.split("?", 1)[0]).lstrip("/")


def _keys_to_delete(body: bytes) -> list[str]:
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 (the caller's own request)
    except ElementTree.ParseError:
        return []
    return [node.text or "" for node in root.iter() if node.tag.endswith("Key")]
