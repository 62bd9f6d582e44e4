"""moto's SQS queue attributes, computed once per request instead of once per message.

moto computes a queue's attributes as a whole (its three approximate message counts walk every
message in the queue, reading the clock for each), and `get_queue_attributes` builds that whole
set twice for each attribute asked for. `receive_message` then asks for `MessageRetentionPeriod`
that way for every message it hands out: a receive of 10 messages from a queue holding n walks
the queue about 60 times, so a queue with a few hundred messages waiting for a retry (webhook
deliveries) made every receive cost milliseconds of the one core moto has. The same values, each
computed once: the set once per `get_queue_attributes`, the retention period read directly.

What remains walks the queue once per count (moto also builds the whole set for each message
sent, to read `ContentBasedDeduplication`), and reads the clock for each message through
datetime arithmetic: within moto's SQS models the clock is read as `time.time()`, which is the
same number (seconds since the epoch) at a fraction of the cost.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import moto.sqs.models as sqs_models
from moto.core.utils import unix_time, unix_time_millis
from moto.sqs.exceptions import InvalidAttributeName
from moto.sqs.models import Message, SQSBackend


def _get_queue_attributes(
    self: SQSBackend, queue_name: str, attribute_names: list[str]
) -> dict[str, Any]:
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid = ["All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES]
    invalid = next((name for name in attribute_names if name not in valid), None)
    if invalid is not None:
        raise InvalidAttributeName(invalid)
    computed = queue.attributes
    if "All" in attribute_names:
        return dict(computed)
    return {name: computed[name] for name in attribute_names if computed.get(name) is not None}


def _is_message_valid_based_on_retention_period(
    self: SQSBackend, queue_name: str, message: Message
) -> bool:
    queue = self.get_queue(queue_name)
    retention_period = int(queue.message_retention_period)  # type: ignore[attr-defined]
    return bool(retention_period + message.sent_timestamp / 1000 > time.time())  # type: ignore[operator]


def _fast_unix_time(dt: datetime | None = None) -> float:
    return time.time() if dt is None else unix_time(dt)


def _fast_unix_time_millis(dt: datetime | None = None) -> float:
    return time.time() * 1000.0 if dt is None else unix_time_millis(dt)


def compute_queue_attributes_once() -> None:
    sqs_models.unix_time = _fast_unix_time
    sqs_models.unix_time_millis = _fast_unix_time_millis
    SQSBackend.get_queue_attributes = _get_queue_attributes  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        _is_message_valid_based_on_retention_period
    )
