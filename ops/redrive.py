"""Move dead-lettered messages back to the queue they came from.

Bodies move unchanged, so the event id inside each one (every consumer's idempotency key)
survives the move even though SQS gives the message a new message id: a redrive never repeats
an effect that already happened.

- Native: SQS's StartMessageMoveTask, when nothing is filtered or capped and the endpoint has
  it (moto and the local cloud do not).
- Client-side otherwise: receive, send to the source with the same body and attributes, and
  delete from the DLQ only after the send succeeded. Interrupted, it leaves each message either
  still in the DLQ or already in the source queue (at worst in both: consumers are idempotent).
  Messages it does not move are made visible again when it ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ops.browse import WORK_HOLD_SECONDS, HeldMessages, Message
from ops.decode import decode_body, describe
from ops.discovery import DeadLetterQueue
from ops.errors import UsageError, error_code
from ops.filters import Selector
from ops.output import Output

MOVE_TASK_POLL_SECONDS = 2
_MOVE_TASK_DONE = ("COMPLETED", "FAILED", "CANCELLED")
_UNSUPPORTED_CODES = frozenset(
    {
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
        "InvalidAction",
        "NotImplemented",
        "UnknownOperationException",
    }
)


@dataclass(frozen=True)
class RedrivePlan:
    selector: Selector | None = None
    rate: int | None = None  # messages per second; None: as fast as SQS allows
    max_messages: int | None = None
    dry_run: bool = False

    @property
    def native_possible(self) -> bool:
        return self.selector is None and self.max_messages is None and not self.dry_run


@dataclass
class RedriveResult:
    mode: str  # "native" | "client"
    moved: int = 0
    skipped: int = 0  # did not match the filter
    failed: int = 0  # selected but not moved (send failed), or moved but left in the DLQ too
    would_move: list[dict[str, Any]] = field(default_factory=list)  # --dry-run only
    task: dict[str, Any] | None = None  # the native move task, as SQS last described it

    @property
    def succeeded(self) -> bool:
        task_ok = self.task is None or self.task.get("Status") == "COMPLETED"
        return task_ok and self.failed == 0


def _unsupported(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return error_code(error) in _UNSUPPORTED_CODES or status in (500, 501)


class Pacer:
    """Keeps sends at or under `rate` messages per second, batch by batch."""

    def __init__(self, rate: int | None) -> None:
        self.rate = rate
        self._started = time.monotonic()
        self._sent = 0

    @property
    def batch_size(self) -> int:
        return 10 if self.rate is None else max(1, min(10, self.rate))

    def before_sending(self, count: int) -> None:
        if self.rate:
            due = self._started + self._sent / self.rate
            time.sleep(max(0.0, due - time.monotonic()))
        self._sent += count


def start_native_move(sqs: Any, dlq: DeadLetterQueue, rate: int | None) -> str | None:
    """The move task's handle, or None when the endpoint has no StartMessageMoveTask."""
    assert dlq.source is not None
    request: dict[str, Any] = {"SourceArn": dlq.arn, "DestinationArn": dlq.source.arn}
    if rate is not None:
        request["MaxNumberOfMessagesPerSecond"] = rate
    try:
        return str(sqs.start_message_move_task(**request)["TaskHandle"])
    except NotImplementedError:  # moto, in process
        return None
    except ClientError as error:
        if _unsupported(error):
            return None
        raise


def wait_for_native_move(sqs: Any, dlq: DeadLetterQueue, out: Output) -> dict[str, Any]:
    """Follow the move task until SQS says it ended; the newest task of a source comes first."""
    with out.progress(f"moving {dlq.name} (StartMessageMoveTask)", total=None) as bar:
        while True:
            tasks = sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=1)["Results"]
            task: dict[str, Any] = tasks[0] if tasks else {"Status": "COMPLETED"}
            if task.get("Status") in _MOVE_TASK_DONE:
                return task
            bar.update(
                total=task.get("ApproximateNumberOfMessagesToMove"),
                completed=task.get("ApproximateNumberOfMessagesMoved", 0),
            )
            time.sleep(MOVE_TASK_POLL_SECONDS)


def _send_attributes(message: Message) -> dict[str, Any]:
    """The message's own attributes, in the shape SendMessage takes them."""
    attributes = {}
    for name, value in message.get("MessageAttributes", {}).items():
        kept = {
            key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value
        }
        attributes[name] = kept
    return attributes


def _move(
    sqs: Any, held: HeldMessages, destination_url: str, messages: list[Message], pacer: Pacer
) -> tuple[int, int]:
    """Send, then delete what was sent; returns (moved, failed)."""
    moved = failed = 0
    for start in range(0, len(messages), pacer.batch_size):
        chunk = messages[start : start + pacer.batch_size]
        pacer.before_sending(len(chunk))
        entries = []
        for index, message in enumerate(chunk):
            entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
            attributes = _send_attributes(message)
            if attributes:
                entry["MessageAttributes"] = attributes
            entries.append(entry)
        response = sqs.send_message_batch(QueueUrl=destination_url, Entries=entries)
        sent = [chunk[int(entry["Id"])] for entry in response.get("Successful", [])]
        failed += len(chunk) - len(sent)  # unsent ones stay held, then visible again
        left_behind = held.delete(sent)  # sent but not deleted: a duplicate, harmless
        moved += len(sent) - len(left_behind)
        failed += len(left_behind)
    return moved, failed


def client_side_move(
    sqs: Any, dlq: DeadLetterQueue, plan: RedrivePlan, out: Output
) -> RedriveResult:
    assert dlq.source is not None
    result = RedriveResult(mode="client")
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    depth = int(attributes.get("ApproximateNumberOfMessages", 0))
    pacer = Pacer(plan.rate)
    taken = 0  # selected so far, moved or not: what --max counts
    verb = "checking" if plan.dry_run else "moving"
    with (
        HeldMessages(sqs, dlq.url, WORK_HOLD_SECONDS) as held,
        out.progress(f"{verb} {dlq.name} → {dlq.source.name}", total=depth) as bar,
    ):
        for batch in held.drain(expected=depth):
            selected = []
            for message in batch:
                chosen = plan.selector is None or plan.selector(decode_body(message["Body"]))
                if not chosen:
                    result.skipped += 1
                elif plan.max_messages is None or taken < plan.max_messages:
                    selected.append(message)
                    taken += 1
            if plan.dry_run:
                result.would_move += [describe(message) for message in selected]
            else:
                moved, failed = _move(sqs, held, dlq.source.url, selected, pacer)
                result.moved += moved
                result.failed += failed
            bar.advance(len(batch))
            if plan.max_messages is not None and taken >= plan.max_messages:
                break
    return result


def redrive(sqs: Any, dlq: DeadLetterQueue, plan: RedrivePlan, out: Output) -> RedriveResult:
    if dlq.source is None:
        raise UsageError(
            f"{dlq.name} holds the Pipe's failure records (stream positions), not events: "
            "there is no queue to send them back to. See docs/runbook.md, PipeDlqDepth."
        )
    if plan.native_possible:
        handle = start_native_move(sqs, dlq, plan.rate)
        if handle is not None:
            task = wait_for_native_move(sqs, dlq, out)
            return RedriveResult(
                mode="native",
                moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)),
                task={**task, "TaskHandle": handle},
            )
        out.note("this endpoint has no StartMessageMoveTask: moving the messages client-side")
    return client_side_move(sqs, dlq, plan, out)
