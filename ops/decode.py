"""What a dead-lettered message is about: the link event inside it, and the last error the
consumer recorded for it (docs/architecture.md: effect status items, delivery items).

Four bodies reach the DLQs: the EventBridge event a rule delivered (consumer queues), a
webhook delivery `{"delivery_id", "endpoint_id", "owner", "event"}` (delivery queue), and the
failure records of the Pipe and of the clicks consumer's Kinesis mapping, which name stream
positions rather than events. A body that is none of
these (a poison message) is shown as it is, never rejected: it is exactly what an operator
needs to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pynamodb.exceptions import DoesNotExist

from ops.discovery import DeadLetterQueue
from shortener.clock import to_iso
from shortener.events import LinkEvent, parse_event_message
from shortener.models import EffectStatusModel, WebhookDeliveryModel

EXCERPT_LENGTH = 160
_BATCH_INFO_FIELDS = ("shardId", "startSequenceNumber", "endSequenceNumber", "batchSize")


@dataclass(frozen=True)
class Decoded:
    kind: str  # "event" | "delivery" | "notice" | "pipe-failure" | "unknown"
    body: Any  # the parsed JSON body, None when the body is not JSON
    event: LinkEvent | None = None
    delivery_id: str | None = None
    endpoint_id: str | None = None
    summary: str | None = None  # what can be said about a body that holds no event

    @property
    def event_id(self) -> str | None:
        return self.event.id if self.event else None

    @property
    def event_type(self) -> str | None:
        return self.event.type if self.event else None

    @property
    def code(self) -> str | None:
        return self.event.link.code if self.event else None


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH] + "…"


def _pipe_failure_summary(body: dict[str, Any]) -> str | None:
    """The Pipe's failure record (`DDBStreamBatchInfo`), or a Kinesis mapping's (the clicks
    consumer's, `KinesisBatchInfo`): both say where the failed batch is in its stream."""
    key, batch_info = next(
        ((key, value) for key, value in body.items() if key.endswith("BatchInfo")), ("", None)
    )
    if not isinstance(batch_info, dict):
        return None
    context = body.get("requestContext") or {}
    response = body.get("responseContext") or {}
    parts = [
        f"condition={context.get('condition')}" if context.get("condition") else None,
        f"error={response.get('functionError')}" if response.get("functionError") else None,
        *(
            f"{name}={batch_info[name]}"
            for name in _BATCH_INFO_FIELDS
            if batch_info.get(name) is not None
        ),
    ]
    what = "click batch failure" if key == "KinesisBatchInfo" else "pipe failure"
    return f"{what}: " + ", ".join(part for part in parts if part)


def _delivery_summary(body: dict[str, Any], text: str) -> str:
    """What a delivery without a link event is: a test event (no link), or something broken."""
    event = body["event"]
    if isinstance(event, dict) and event.get("type") == "webhook.test":
        return f"webhook.test delivery, attempt {body.get('attempt', 1)}"
    return f"delivery with no valid event: {_excerpt(text)!r}"


def decode_body(text: str) -> Decoded:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return Decoded("unknown", None, summary=f"not JSON: {_excerpt(text)!r}")
    if isinstance(body, dict) and "delivery_id" in body and "event" in body:
        try:
            event = LinkEvent.model_validate(body["event"])
        except ValidationError:
            event = None
        return Decoded(
            "delivery",
            body,
            event=event,
            delivery_id=str(body["delivery_id"]),
            endpoint_id=str(body.get("endpoint_id")),
            summary=None if event else _delivery_summary(body, text),
        )
    if isinstance(body, dict) and "notice_id" in body and "endpoint_id" in body:
        return Decoded(
            "notice",
            body,
            endpoint_id=str(body["endpoint_id"]),
            summary=f"owner notice: endpoint {body['endpoint_id']} disabled at "
            f"{body.get('disabled_at')}",
        )
    if isinstance(body, dict):
        pipe_failure = _pipe_failure_summary(body)
        if pipe_failure:
            return Decoded("pipe-failure", body, summary=pipe_failure)
        try:
            return Decoded("event", body, event=parse_event_message(text))
        except ValidationError:
            pass
    return Decoded("unknown", body, summary=f"no link event: {_excerpt(text)!r}")


def _timestamp(attributes: dict[str, str], name: str) -> str | None:
    millis = attributes.get(name)
    return to_iso(datetime.fromtimestamp(int(millis) / 1000, UTC)) if millis else None


def receives_before_this_read(message: dict[str, Any]) -> int:
    """SQS counts our own receive too; the operator wants how often consumers tried."""
    count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    return max(0, count - 1)


class LastErrors:
    """The last error a consumer recorded for a message's event (tables must be bound)."""

    def __init__(self, dlq: DeadLetterQueue) -> None:
        self._dlq = dlq

    def for_message(self, decoded: Decoded) -> dict[str, Any]:
        if decoded.kind == "delivery" and decoded.delivery_id and decoded.endpoint_id:
            return self._delivery(decoded.endpoint_id, decoded.delivery_id)
        if decoded.code and self._dlq.effect:
            return self._effect(decoded.code, self._dlq.effect)
        return {}

    @staticmethod
    def _effect(code: str, effect: str) -> dict[str, Any]:
        try:
            status = EffectStatusModel.get(code, EffectStatusModel.sort_key(effect))
        except DoesNotExist:
            return {}
        return {
            "last_error": status.last_error,
            "effect_state": status.state,
            "attempts": status.attempts,
        }

    @staticmethod
    def _delivery(endpoint_id: str, delivery_id: str) -> dict[str, Any]:
        try:
            delivery = WebhookDeliveryModel.get(
                WebhookDeliveryModel.partition_key(endpoint_id),
                WebhookDeliveryModel.sort_key(delivery_id),
            )
        except DoesNotExist:
            return {}
        return {
            "last_error": delivery.last_error,
            "last_status_code": delivery.last_status_code,
            "delivery_state": delivery.state,
            "attempts": delivery.attempts,
        }


def describe(message: dict[str, Any], last_errors: LastErrors | None = None) -> dict[str, Any]:
    """One message as `dlq peek` shows it."""
    decoded = decode_body(message["Body"])
    attributes = message.get("Attributes", {})
    row: dict[str, Any] = {
        "message_id": message["MessageId"],
        "kind": decoded.kind,
        "event_id": decoded.event_id,
        "type": decoded.event_type,
        "code": decoded.code,
        "receive_count": receives_before_this_read(message),
        "first_seen": _timestamp(attributes, "SentTimestamp"),
        "first_received": _timestamp(attributes, "ApproximateFirstReceiveTimestamp"),
        "last_error": None,
    }
    if decoded.kind == "delivery":
        row.update(delivery_id=decoded.delivery_id, endpoint_id=decoded.endpoint_id)
    if decoded.kind == "notice":
        row.update(endpoint_id=decoded.endpoint_id)
    if decoded.summary:
        row["summary"] = decoded.summary
    if last_errors is not None:
        row.update(last_errors.for_message(decoded))
    return row
