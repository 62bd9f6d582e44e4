"""Inputs of the consumer and enrichment tests, built the way production builds them.

A DynamoDB stream record goes through the real enrichment (`event_from_stream_record`), is
wrapped as the EventBridge event a rule delivers, and becomes the body of an SQS message in a
Lambda SQS event.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from shortener.clock import parse_iso
from shortener.enrichment import link_event_details
from shortener.events import LinkEvent, event_from_stream_record

REGION = "us-east-1"
SHORT_BASE_URL = "https://sho.rt"  # the value conftest puts in the short-base-URL parameter
OWNER = "alice"

Handler = Callable[[Any, Any], Any]


def load_handler(function: str) -> Handler:
    """A function's handler, imported once the environment it reads at import time is set."""
    module = importlib.import_module(f"functions.{function}.handler")
    handler: Handler = module.handler
    return handler


_serializer = TypeSerializer()


def link_item(
    code: str = "abc1234",
    *,
    owner: str = OWNER,
    url: str = "https://example.com/a/long/path",
    created_at: str = "2026-11-26T10:00:00.000000Z",
    updated_at: str | None = None,
    expires_at: str | None = None,
    redirect_type: int = 302,
) -> dict[str, Any]:
    """A link item as the API writes it (the attributes of docs/architecture.md)."""
    return {
        "pk": code,
        "sk": "link",
        "code": code,
        "owner": owner,
        "url": url,
        "created_at": created_at,
        "updated_at": updated_at or created_at,
        "expires_at": expires_at,
        "redirect_type": redirect_type,
    }


def stream_record(
    event_name: str,
    *,
    new: dict[str, Any] | None = None,
    old: dict[str, Any] | None = None,
    approximate_time: float = 1_795_687_200.0,  # 2026-11-26T10:00:00Z
) -> dict[str, Any]:
    """A DynamoDB stream record (NEW_AND_OLD_IMAGES) as a Pipe hands it to the enrichment."""
    image = new or old or {}
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": approximate_time,
        "Keys": {"pk": {"S": image["pk"]}, "sk": {"S": image["sk"]}},
        "SequenceNumber": str(uuid.uuid4().int)[:21],
        "SizeBytes": 200,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = {name: _serializer.serialize(v) for name, v in new.items()}
    if old is not None:
        change["OldImage"] = {name: _serializer.serialize(v) for name, v in old.items()}
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": change,
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:123456789012:table/unit-links/stream/x",
    }


def created(code: str = "abc1234", **item: Any) -> LinkEvent:
    return _event(stream_record("INSERT", new=link_item(code, **item)))


def updated(before: LinkEvent, *, updated_at: str, **changes: Any) -> LinkEvent:
    old = _item_of(before)
    new = {**old, **changes, "updated_at": updated_at}
    return _event(stream_record("MODIFY", new=new, old=old))


def deleted(last: LinkEvent, *, at: str | None = None) -> LinkEvent:
    """The deletion of the link as `last` left it, at `at` (a minute later by default)."""
    moment = parse_iso(at) if at else parse_iso(last.link.updated_at) + timedelta(minutes=1)
    record = stream_record("REMOVE", old=_item_of(last), approximate_time=moment.timestamp())
    return _event(record)


def _item_of(event: LinkEvent) -> dict[str, Any]:
    link = event.link.model_dump()
    link.pop("short_url")
    return {"pk": link["code"], "sk": "link", **link}


def _event(record: dict[str, Any]) -> LinkEvent:
    event = event_from_stream_record(record, SHORT_BASE_URL)
    assert event is not None
    return event


def eventbridge_event(event: LinkEvent) -> dict[str, Any]:
    """The event as the bus delivers it to a rule's SQS target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event.type,
        "source": "shortener.links",
        "account": "123456789012",
        "time": event.occurred_at[:19] + "Z",
        "region": REGION,
        "resources": [],
        "detail": event.model_dump(mode="json"),
    }


def sqs_message(body: str) -> dict[str, Any]:
    """One SQS record of a Lambda event; every delivery, redrives included, has a new id."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795000000000",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:unit-queue",
        "awsRegion": REGION,
    }


def sqs_event(*events: LinkEvent | str) -> dict[str, Any]:
    """A Lambda SQS event; a str is sent as a raw (say, malformed) body."""
    bodies = [e if isinstance(e, str) else json.dumps(eventbridge_event(e)) for e in events]
    return {"Records": [sqs_message(body) for body in bodies]}


def failed_message_ids(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def stream_records(table_name: str) -> list[dict[str, Any]]:
    """Every record of a table's stream so far, oldest first, as the Pipe would read them."""
    dynamodb = boto3.client("dynamodb")
    streams = boto3.client("dynamodbstreams")
    stream_arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records.extend(streams.get_records(ShardIterator=iterator)["Records"])
    for record in records:
        # boto3 parses the time; a Pipe hands it over as JSON, in epoch seconds.
        change = record["dynamodb"]
        change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
    return records


def published_events(table_name: str) -> list[LinkEvent]:
    """The link events the Pipe would publish for everything written to the table so far."""
    details = link_event_details(stream_records(table_name), SHORT_BASE_URL)
    return [LinkEvent.model_validate(detail) for detail in details]
