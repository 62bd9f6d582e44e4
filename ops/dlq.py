"""`ops dlq list | peek | redrive | purge | export`: see what failed, and send it back safely."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError
from rich.console import Group
from rich.text import Text

from ops.ages import oldest_message_ages
from ops.browse import WORK_HOLD_SECONDS, HeldMessages, Message
from ops.context import Context
from ops.decode import LastErrors, describe, receives_before_this_read
from ops.discovery import DeadLetterQueue
from ops.errors import OpsError, UsageError, error_code
from ops.filters import selector_for
from ops.output import table
from ops.redrive import RedrivePlan, RedriveResult, redrive

# SQS has no read without a receive, and counts every receive: say so where it happens.
PEEK_COUNTS_AS_A_RECEIVE = (
    "peek received these messages once: SQS counted it in their ApproximateReceiveCount "
    "(the receives column leaves it out) and they are visible again now"
)
_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def _depths(sqs: Any, url: str) -> tuple[int, int]:
    """(every message in the queue, those receivable now)."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_DEPTH_ATTRIBUTES))
    counts = {name: int(attributes["Attributes"].get(name, 0)) for name in _DEPTH_ATTRIBUTES}
    return sum(counts.values()), counts["ApproximateNumberOfMessages"]


def _human_age(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0s"


def list_dlqs(ctx: Context) -> int:
    sqs = ctx.clients.client("sqs")
    dlqs = ctx.stack.dead_letter_queues
    depths = {dlq.name: _depths(sqs, dlq.url)[0] for dlq in dlqs}
    waiting = [dlq for dlq in dlqs if depths[dlq.name] > 0]
    ages = oldest_message_ages(ctx.clients.client("cloudwatch"), waiting)
    rows: list[dict[str, Any]] = [
        {
            "dlq": dlq.name,
            "source": dlq.source_label,
            "depth": depths[dlq.name],
            "oldest_age_s": ages.get(dlq.name) if depths[dlq.name] else None,
            "alias": dlq.alias,
        }
        for dlq in dlqs
    ]
    ctx.out.result(
        rows,
        lambda: table(
            f"Dead-letter queues of {ctx.stack.name}",
            ["alias", "dlq", "source", "depth", "oldest"],
            [
                [
                    row["alias"],
                    row["dlq"],
                    row["source"],
                    row["depth"],
                    _oldest(row),
                ]
                for row in rows
            ],
        ),
    )
    return 0


def _oldest(row: dict[str, Any]) -> str | None:
    """The oldest message's age; "unknown" where messages wait but CloudWatch has no age."""
    if row["depth"] and row["oldest_age_s"] is None:
        return "unknown"
    return _human_age(row["oldest_age_s"])


def _collect(sqs: Any, dlq: DeadLetterQueue, limit: int | None, ctx: Context) -> list[Message]:
    """Up to `limit` messages, all visible again once they are read."""
    _, receivable = _depths(sqs, dlq.url)
    expected = receivable if limit is None else min(limit, receivable)
    messages: list[Message] = []
    with (
        HeldMessages(sqs, dlq.url) as held,
        ctx.out.progress(f"reading {dlq.name}", total=expected) as bar,
    ):
        for batch in held.drain(limit=limit, expected=expected):
            messages += batch
            bar.advance(len(batch))
    return messages


def _detail(row: dict[str, Any]) -> str | None:
    """One line: where it went, the last error (its HTTP status once), what the body is."""
    status = row.get("last_status_code")
    error = " ".join(str(row.get("last_error") or "").split()) or None
    if status is not None and not re.match(rf"HTTP {status}\b", error or ""):
        # The delivery's own error already starts with "HTTP 500" when a partner answered.
        error = f"HTTP {status}" + (f": {error}" if error else "")
    parts = [
        f"endpoint {row['endpoint_id']}" if row.get("endpoint_id") else None,
        error,
        row.get("summary"),
    ]
    return "; ".join(part for part in parts if part) or None


def peek(ctx: Context, name: str, limit: int) -> int:
    dlq = ctx.stack.dead_letter_queue(name)
    ctx.stack.bind_tables()
    sqs = ctx.clients.client("sqs")
    last_errors = LastErrors(dlq)
    rows = [describe(message, last_errors) for message in _collect(sqs, dlq, limit, ctx)]
    ctx.out.note(PEEK_COUNTS_AS_A_RECEIVE)
    ctx.out.result(
        rows,
        lambda: table(
            f"{dlq.name} (from {dlq.source_label}): {len(rows)} message(s)",
            ["event id", "type", "code", "receives", "first seen", "last error / detail"],
            [
                [
                    r["event_id"],
                    r["type"],
                    r["code"],
                    r["receive_count"],
                    r["first_seen"],
                    _detail(r),
                ]
                for r in rows
            ],
        ),
    )
    return 0


def export(ctx: Context, name: str) -> int:
    dlq = ctx.stack.dead_letter_queue(name)
    sqs = ctx.clients.client("sqs")
    _, receivable = _depths(sqs, dlq.url)
    count = 0
    with (
        HeldMessages(sqs, dlq.url, WORK_HOLD_SECONDS) as held,
        ctx.out.progress(f"exporting {dlq.name}", total=receivable) as bar,
    ):
        for batch in held.drain(expected=receivable):
            for message in batch:
                ctx.out.line(
                    {
                        "message_id": message["MessageId"],
                        "body": message["Body"],
                        "attributes": message.get("Attributes", {}),
                        "message_attributes": message.get("MessageAttributes", {}),
                        "receive_count": receives_before_this_read(message),
                    }
                )
            count += len(batch)
            bar.advance(len(batch))
    ctx.out.note(f"exported {count} message(s) from {dlq.name}; they are still in the queue")
    return 0


def purge(ctx: Context, name: str, confirmed: bool) -> int:
    if not confirmed:
        raise UsageError(
            f"refusing to purge {name} without --yes: it deletes every message for good "
            f"(keep a copy first: python -m ops dlq export {name} > {name}.jsonl)"
        )
    dlq = ctx.stack.dead_letter_queue(name)
    sqs = ctx.clients.client("sqs")
    depth, _ = _depths(sqs, dlq.url)
    try:
        sqs.purge_queue(QueueUrl=dlq.url)
    except ClientError as error:
        if "PurgeQueueInProgress" in error_code(error):
            raise OpsError(
                f"{dlq.name} was purged less than 60 s ago; try again in a minute"
            ) from error
        raise
    purged = {"dlq": dlq.name, "purged": depth}
    ctx.out.result(purged, lambda: Text(f"purged {dlq.name}: {depth} message(s) deleted"))
    return 0


def _redrive_view(dlq: DeadLetterQueue, result: RedriveResult, dry_run: bool) -> Any:
    target = dlq.source_label
    if dry_run:
        summary = Text(
            f"dry run: {len(result.would_move)} message(s) would move from {dlq.name} to "
            f"{target}, {result.skipped} skipped by the filter; nothing was moved"
        )
        rows = [[r["event_id"], r["type"], r["code"], r["message_id"]] for r in result.would_move]
        return Group(summary, table("would move", ["event id", "type", "code", "message id"], rows))
    status = f", task {result.task.get('Status')}" if result.task else ""
    return Text(
        f"{result.mode} redrive {dlq.name} → {target}: moved {result.moved}, "
        f"skipped {result.skipped}, failed {result.failed}{status}"
    )


def redrive_command(
    ctx: Context,
    name: str,
    filters: list[str],
    rate: int | None,
    max_messages: int | None,
    dry_run: bool,
) -> int:
    plan = RedrivePlan(selector_for(filters), rate, max_messages, dry_run)
    dlq = ctx.stack.dead_letter_queue(name)
    result = redrive(ctx.clients.client("sqs"), dlq, plan, ctx.out)
    data: dict[str, Any] = {
        "dlq": dlq.name,
        "source": dlq.source_label,
        "mode": result.mode,
        "dry_run": dry_run,
        "moved": result.moved,
        "skipped": result.skipped,
        "failed": result.failed,
    }
    if dry_run:
        data["would_move"] = result.would_move
    if result.task is not None:
        data["task"] = result.task
    ctx.out.result(data, lambda: _redrive_view(dlq, result, dry_run))
    return 0 if result.succeeded else 1
