"""EventBridge's sends to SQS targets, against the queue's policy. moto delivers a rule's
events to its queues inside the process (no HTTP request the middleware could see), so the
delivery itself is wrapped: the queue policy must allow `sqs:SendMessage` to the service
principal `events.amazonaws.com` with `aws:SourceArn` = the rule's ARN (and
`aws:SourceAccount` = the account). A refused send is not retried (a permissions error is
not a retriable one): it goes to the target's dead-letter queue if it has one, else it is
dropped, as EventBridge counts a FailedInvocation.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from moto.events.models import Rule
from moto.sqs.models import sqs_backends

from localcloud.iam.authority import IamAuthority
from localcloud.iam.evaluation import resource_policy_decision
from localcloud.names import queue_arn

EVENTS_PRINCIPAL = "events.amazonaws.com"
_ORIGINAL = "_localcloud_unguarded_send_to_sqs_queue"
# moto's backends belong to the process, and tests run several local clouds (and moto's own
# in-process mock) in one: a send is judged by the IAM of the local cloud whose endpoint is
# serving the request that made it (PutEvents, a replay), and by nobody outside a request.
_SERVING: ContextVar[IamAuthority | None] = ContextVar("localcloud_iam_serving", default=None)


@contextmanager
def serving(authority: IamAuthority) -> Iterator[None]:
    """The sends made while this local cloud's endpoint serves a request are its to judge."""
    token = _SERVING.set(authority)
    try:
        yield
    finally:
        _SERVING.reset(token)


def guard_sqs_targets() -> None:
    if hasattr(Rule, _ORIGINAL):
        return
    setattr(Rule, _ORIGINAL, Rule._send_to_sqs_queue)

    def send_if_allowed(
        rule: Rule, resource_id: str, event: dict[str, Any], group_id: str | None = None
    ) -> None:
        authority = _SERVING.get()
        if authority is None or not authority.enabled or _queue_allows(rule, resource_id):
            getattr(Rule, _ORIGINAL)(rule, resource_id, event, group_id)
            return
        target = _target(rule, resource_id)
        dead_letter = (target or {}).get("DeadLetterConfig", {}).get("Arn")
        authority.log(
            f"AccessDenied: the policy of queue {resource_id} does not allow {EVENTS_PRINCIPAL} "
            f"sqs:SendMessage from rule {rule.arn}: event {event.get('id')} "
            + (f"sent to the dead-letter queue {dead_letter}" if dead_letter else "dropped")
        )
        if dead_letter:
            _dead_letter(dead_letter, rule, resource_id, event)

    Rule._send_to_sqs_queue = send_if_allowed  # type: ignore[method-assign,assignment]


def _queue_allows(rule: Rule, queue_name: str) -> bool:
    queue = sqs_backends[rule.account_id][rule.region_name].queues.get(queue_name)
    if queue is None:
        return True  # moto's own error for a missing queue stays as it is
    decision = resource_policy_decision(
        queue.policy,
        action="sqs:SendMessage",
        resource=queue_arn(queue_name),
        principal_service=EVENTS_PRINCIPAL,
        context={"aws:SourceArn": rule.arn, "aws:SourceAccount": rule.account_id},
    )
    return decision.allowed


def _target(rule: Rule, queue_name: str) -> dict[str, Any] | None:
    for target in rule.targets:
        if target["Arn"].split(":")[2] == "sqs" and target["Arn"].rsplit(":", 1)[-1] == queue_name:
            return dict(target)
    return None


def _dead_letter(dlq_arn: str, rule: Rule, queue_name: str, event: dict[str, Any]) -> None:
    """The event with the attributes EventBridge adds to a dead-lettered event."""
    backend = sqs_backends[rule.account_id][rule.region_name]
    attributes = {
        "RULE_ARN": rule.arn,
        "TARGET_ARN": queue_arn(queue_name),
        "ERROR_CODE": "NO_PERMISSIONS",
        "ERROR_MESSAGE": f"{EVENTS_PRINCIPAL} is not authorized to perform sqs:SendMessage",
        "RETRY_ATTEMPTS": "0",  # a permissions error is not retried
    }
    backend.send_message(
        queue_name=dlq_arn.rsplit(":", 1)[-1],
        message_body=json.dumps(event, default=str),
        message_attributes={
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
        },
    )
