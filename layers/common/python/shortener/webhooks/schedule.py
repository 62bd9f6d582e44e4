"""When the next attempt at a delivery is due: the retry schedule, its jitter, the partner's
Retry-After, and the hops that carry a message across waits longer than SQS can delay it.

The schedule (docs/webhooks.md) is a list of delays after the first try, each with +-20 %
jitter so that the deliveries a partner's outage piled up do not all come back in one second.
A partner's `Retry-After` (delta-seconds or an HTTP-date, RFC 9110 section 10.2.3) moves the
next try later, never earlier than the schedule, and never past the schedule's total (measured
from the round's first try), so the round still ends when the schedule says it does.

SQS delays a message by at most 15 minutes
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html:
DelaySeconds 0 to 900), and hides a received one for at most 12 hours
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
A wait of hours is a chain of messages: each is sent with
DelaySeconds = min(900, time left) and carries the due time (`not_before`); a message received
before it is due is sent on again (a hop). Each message lives at most 15 minutes plus its
processing on the queue, far within the queue's retention (4 days, the SQS default), whatever
the schedule's length.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_DELAY_SECONDS = 900  # SQS's ceiling for DelaySeconds
JITTER = 0.2

Jitter = Callable[[float, float], float]


def jittered(delay: float, uniform: Jitter = random.uniform) -> float:
    """`delay` moved by up to +-JITTER of itself."""
    return delay * (1 + uniform(-JITTER, JITTER))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP-date), None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def next_try_at(
    delays: Sequence[int],
    try_in_round: int,
    *,
    round_started_at: datetime,
    now: datetime,
    retry_after: float | None = None,
    uniform: Jitter = random.uniform,
) -> datetime | None:
    """When the try after try number `try_in_round` (1-based) is due; None after the last."""
    if try_in_round > len(delays):
        return None
    due = now + timedelta(seconds=jittered(delays[try_in_round - 1], uniform))
    if retry_after is not None:
        latest = round_started_at + timedelta(seconds=sum(delays))
        asked = min(now + timedelta(seconds=retry_after), latest)
        due = max(due, asked)
    return due


def hop_delay_seconds(not_before: datetime, now: datetime) -> int:
    """The DelaySeconds of the next message towards `not_before` (0: it is due)."""
    remaining = (not_before - now).total_seconds()
    if remaining <= 0:
        return 0
    return min(MAX_DELAY_SECONDS, math.ceil(remaining))
