"""A queue keeps its policy when other attributes change, as on AWS: SetQueueAttributes sets
the attributes it names. moto's resets the policy on every call that does not name `Policy`,
so a test (or an operator) shortening a queue's VisibilityTimeout would silently take away
EventBridge's permission to send to it, once queue policies are evaluated.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

_ORIGINAL = "_localcloud_policy_forgetting_set_attributes"


def keep_queue_policies() -> None:
    if hasattr(Queue, _ORIGINAL):
        return
    setattr(Queue, _ORIGINAL, Queue._set_attributes)

    def set_attributes(queue: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(queue, "_policy_json", None)
        getattr(Queue, _ORIGINAL)(queue, attributes, now)
        if "Policy" not in attributes and kept is not None:
            queue._policy_json = kept

    Queue._set_attributes = set_attributes  # type: ignore[method-assign,assignment]
