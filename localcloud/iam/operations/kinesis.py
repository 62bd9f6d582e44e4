"""Kinesis Data Streams calls as IAM authorizes them: each action on the stream's ARN (from
`StreamARN`, or `StreamName` in this account and region); a consumer's calls on the consumer's
ARN; GetRecords, which names no stream, on the stream its shard iterator reads.

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesis.html
https://docs.aws.amazon.com/streams/latest/dev/controlling-access.html
"""

from __future__ import annotations

import base64
import binascii

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import arn

_UNSCOPED = {"ListStreams", "DescribeLimits", "DescribeAccountSettings"}
_ON_CONSUMER = {"SubscribeToShard", "DescribeStreamConsumer", "DeregisterStreamConsumer"}


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    operation = request.target
    if not operation:
        return None
    action = f"kinesis:{operation}"
    body = request.json
    if operation in _UNSCOPED:
        return [Authorization(action, "*")]
    if operation in _ON_CONSUMER and body.get("ConsumerARN"):
        return [Authorization(action, str(body["ConsumerARN"]))]
    stream = str(body.get("StreamARN") or "")
    if not stream and body.get("StreamName"):
        stream = stream_arn(str(body["StreamName"]))
    if not stream and operation == "GetRecords":
        stream = _stream_of_iterator(str(body.get("ShardIterator", "")))
    return [Authorization(action, stream)] if stream else None


def stream_arn(name: str) -> str:
    return arn("kinesis", f"stream/{name}")


def _stream_of_iterator(iterator: str) -> str:
    """moto's shard iterators are `base64(stream:shard:sequence)`; AWS's are opaque, and IAM
    authorizes GetRecords on the stream the iterator was issued for."""
    try:
        name = base64.b64decode(iterator, validate=False).decode().split(":", 1)[0]
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return stream_arn(name) if name else ""
