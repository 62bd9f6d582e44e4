"""`ops events replay`: send archived events through the bus again.

Replayed events carry the same `detail` (and so the same event id) as the originals, so each
consumer skips what it already did and does only what it missed. `--rule` limits the replay to
one rule's targets (Destination.FilterArns).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.text import Text

from ops.context import Context
from ops.errors import UsageError
from ops.output import ProgressTask

REPLAY_POLL_SECONDS = 2
_REPLAY_DONE = ("COMPLETED", "FAILED", "CANCELLED")
_RELATIVE = re.compile(r"^-(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TIME_HELP = (
    "ISO 8601 (2026-11-26T10:00:00Z; no zone = UTC), 'now', or relative: -30s, -15m, -2h, -1d"
)


def parse_time(text: str, *, now: datetime) -> datetime:
    value = text.strip()
    if value == "now":
        return now
    relative = _RELATIVE.match(value)
    if relative:
        return now - timedelta(seconds=int(relative[1]) * _UNIT_SECONDS[relative[2]])
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"cannot read the time {text!r}: use {TIME_HELP}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _replay_name(now: datetime) -> str:
    return f"ops-replay-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _show_progress(
    bar: ProgressTask, replay: dict[str, Any], start: datetime, end: datetime
) -> None:
    """How far through the window the replay got, from the last event time it reports."""
    last = replay.get("EventLastReplayedTime")
    done = (last - start).total_seconds() if isinstance(last, datetime) else 0
    bar.update(
        total=(end - start).total_seconds(),
        completed=max(0.0, done),
        description=f"replay {replay['ReplayName']}: {replay['State']}",
    )


def replay(ctx: Context, since: str, until: str, rule_name: str | None) -> int:
    now = datetime.now(UTC)
    start, end = parse_time(since, now=now), parse_time(until, now=now)
    if start >= end:
        raise UsageError(
            f"--from ({start:%Y-%m-%dT%H:%M:%SZ}) must be before --to ({end:%Y-%m-%dT%H:%M:%SZ})"
        )
    if end > now:
        raise UsageError("--to is in the future: events that have not happened cannot be replayed")
    events = ctx.clients.client("events")
    stack = ctx.stack
    archive = events.describe_archive(ArchiveName=stack.event_archive_name)
    bus = events.describe_event_bus(Name=stack.event_bus_name)
    destination: dict[str, Any] = {"Arn": bus["Arn"]}
    rule = stack.rule(rule_name) if rule_name else None
    if rule is not None:
        destination["FilterArns"] = [rule.arn]
    name = _replay_name(now)
    events.start_replay(
        ReplayName=name,
        Description=f"python -m ops events replay ({stack.name})",
        EventSourceArn=archive["ArchiveArn"],
        EventStartTime=start,
        EventEndTime=end,
        Destination=destination,
    )
    with ctx.out.progress(f"replay {name}", total=None) as bar:
        while True:
            state = events.describe_replay(ReplayName=name)
            if state["State"] in _REPLAY_DONE:
                break
            _show_progress(bar, state, start, end)
            time.sleep(REPLAY_POLL_SECONDS)
    result = {
        "replay": name,
        "state": state["State"],
        "state_reason": state.get("StateReason"),
        "archive": archive["ArchiveName"],
        "event_bus": stack.event_bus_name,
        "rule": rule.name if rule else None,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    ctx.out.result(
        result,
        lambda: Text(
            f"replay {name} of {archive['ArchiveName']} → {stack.event_bus_name}"
            + (f" (rule {rule.name} only)" if rule else "")
            + f", {result['from']} to {result['to']}: {state['State']}"
            + (f" ({state['StateReason']})" if state.get("StateReason") else "")
        ),
    )
    return 0 if state["State"] == "COMPLETED" else 1
