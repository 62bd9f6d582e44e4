"""Count a batch of clicks exactly once, however often the stream or a redrive hands it over.

Each transaction (at most 100 actions, all or nothing) puts one marker per logged request
(`attribute_not_exists`), one marker per visitor new that day, and the summed counter updates
of exactly those requests. So a retry, a bisected batch, a crash between two transactions, a
replay of the stream or a redrive of the DLQ finds the markers of what was counted and counts
only the rest. When a transaction is cancelled, its `CancellationReasons` say which markers
already exist: those requests are dropped (or those visitors are no longer new) and the rest
is written again (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from shortener.clicks import store
from shortener.clicks.aggregation import LinkRef, hour_of, tally
from shortener.clicks.classification import Click
from shortener.clicks.links import link_refs

CONDITION_FAILED = "ConditionalCheckFailed"
# Cancelled tries of one transaction (duplicates found, or a concurrent writer on a counter)
# before the batch fails and comes back.
MAX_ROUNDS = 10


@dataclass
class CountResult:
    counted: int = 0
    already_counted: int = 0
    unknown_links: int = 0
    transactions: int = 0


@dataclass
class _Chunk:
    entries: list[tuple[LinkRef, Click, bool]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    # Which record or visitor each marker action stands for, by action position.
    marker_of: dict[int, tuple[str, str]] = field(default_factory=dict)


def _visitor_key(link: LinkRef, click: Click) -> dict[str, Any]:
    return store.visitor_marker_key(link, click.at.date().isoformat(), click.visitor)


def _actions_for(entries: list[tuple[LinkRef, Click, bool]]) -> _Chunk:
    chunk = _Chunk(entries=entries)
    for link, click, new_visitor in entries:
        chunk.marker_of[len(chunk.actions)] = ("request", click.request_id)
        chunk.actions.append(store.marker_put(store.request_marker_key(click.request_id)))
        if new_visitor:
            key = _visitor_key(link, click)
            chunk.marker_of[len(chunk.actions)] = ("visitor", key["pk"]["S"])
            chunk.actions.append(store.marker_put(key))
    chunk.actions += store.counter_updates(tally(entries))
    return chunk


def _next_chunk(
    pending: list[tuple[LinkRef, Click]], seen: set[str]
) -> tuple[list[tuple[LinkRef, Click, bool]], int]:
    """The longest run of `pending` that fits one transaction, and how many it took."""
    entries: list[tuple[LinkRef, Click, bool]] = []
    claimed: set[str] = set()
    hours: set[tuple[LinkRef, Any]] = set()
    days: set[tuple[str, str]] = set()
    actions = 0
    for link, click in pending:
        visitor = _visitor_key(link, click)["pk"]["S"]
        new_visitor = not click.is_bot and visitor not in seen and visitor not in claimed
        hour = (link, hour_of(click.at))
        day = (link.owner, click.at.date().isoformat())
        cost = 1 + new_visitor + (hour not in hours) + (not click.is_bot and day not in days)
        if actions + cost > store.MAX_TRANSACTION_ACTIONS:
            break
        actions += cost
        entries.append((link, click, new_visitor))
        hours.add(hour)
        if not click.is_bot:
            days.add(day)
        if new_visitor:
            claimed.add(visitor)
    return entries, len(entries)


def _cancellation_codes(error: ClientError) -> list[str] | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code") or "None") for reason in reasons]


def count(clicks: Iterable[Click]) -> CountResult:
    """Add `clicks` to their links' and owners' counters, each request at most once."""
    result = CountResult()
    unique = {click.request_id: click for click in clicks}
    ordered = sorted(unique.values(), key=lambda click: (click.at, click.request_id))
    links = link_refs({click.code for click in ordered})
    known = [(links[click.code], click) for click in ordered if click.code in links]
    result.unknown_links = len(ordered) - len(known)
    # Read first what a retry or a replay already counted: a read costs less than a cancelled
    # transaction, and the transactions' conditions still catch whatever races with the read.
    counted = store.existing(store.request_marker_key(click.request_id) for _, click in known)
    pending = [
        (link, click)
        for link, click in known
        if store.request_marker_key(click.request_id)["pk"]["S"] not in counted
    ]
    result.already_counted = len(known) - len(pending)
    seen = store.existing(_visitor_key(link, click) for link, click in pending if not click.is_bot)
    rounds = 0
    while pending:
        entries, taken = _next_chunk(pending, seen)
        chunk = _actions_for(entries)
        try:
            store.write(chunk.actions)
        except ClientError as error:
            codes = _cancellation_codes(error)
            rounds += 1
            if codes is None or rounds > MAX_ROUNDS:
                raise
            pending = _after_cancellation(chunk, codes, pending, seen, result)
            continue
        rounds = 0
        result.transactions += 1
        result.counted += len(entries)
        seen.update(_visitor_key(link, click)["pk"]["S"] for link, click, new in entries if new)
        pending = pending[taken:]
    return result


def _after_cancellation(
    chunk: _Chunk,
    codes: list[str],
    pending: list[tuple[LinkRef, Click]],
    seen: set[str],
    result: CountResult,
) -> list[tuple[LinkRef, Click]]:
    """What is still to count once the markers that already exist are known."""
    counted_before: set[str] = set()
    for position, code in enumerate(codes):
        if code != CONDITION_FAILED or position not in chunk.marker_of:
            continue
        kind, name = chunk.marker_of[position]
        if kind == "request":
            counted_before.add(name)
        else:
            seen.add(name)
    if not any(code == CONDITION_FAILED for code in codes):
        # A conflict with a concurrent writer on a counter, not a duplicate: the same chunk
        # again, after a short jittered pause so that the two writers part ways.
        time.sleep(random.uniform(0.01, 0.1))
        return pending
    result.already_counted += len(counted_before)
    return [(link, click) for link, click in pending if click.request_id not in counted_before]
