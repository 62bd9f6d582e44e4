"""The retry schedule with an injected clock and jitter: bounds, Retry-After, hops, retention."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shortener.webhooks import schedule

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
# The deployed stack's schedule (cdk.json webhook_retry_delays_seconds).
DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)


def lowest(low: float, high: float) -> float:
    return low


def highest(low: float, high: float) -> float:
    return high


def test_every_delay_is_jittered_within_twenty_percent_and_does_vary() -> None:
    rng = random.Random(7)
    for try_in_round, delay in enumerate(DELAYS, start=1):
        dues = {
            schedule.next_try_at(
                DELAYS, try_in_round, round_started_at=NOW, now=NOW, uniform=rng.uniform
            )
            for _ in range(50)
        }
        waits = [(due - NOW).total_seconds() for due in dues if due is not None]
        assert len(waits) == 50
        assert all(delay * 0.8 <= wait <= delay * 1.2 for wait in waits)
        assert max(waits) - min(waits) > delay * 0.1  # not one fixed delay


def test_the_jitter_bounds_are_exactly_twenty_percent() -> None:
    assert schedule.jittered(300, lowest) == 240
    assert schedule.jittered(300, highest) == 360


def test_there_is_no_try_after_the_last() -> None:
    assert schedule.next_try_at(DELAYS, len(DELAYS) + 1, round_started_at=NOW, now=NOW) is None


def test_the_whole_schedule_lasts_about_a_day_and_outlasts_sqs_limits() -> None:
    total = timedelta(seconds=sum(DELAYS))
    assert timedelta(hours=27) < total < timedelta(hours=28)
    assert max(DELAYS) > 12 * 3600 or total > timedelta(hours=12)  # beyond visibility's 12 h
    assert schedule.MAX_DELAY_SECONDS == 900


def test_retry_after_in_seconds_moves_the_try_later() -> None:
    due = schedule.next_try_at(
        DELAYS, 1, round_started_at=NOW, now=NOW, retry_after=60, uniform=lowest
    )
    assert due == NOW + timedelta(seconds=60)


def test_retry_after_never_moves_the_try_earlier_than_the_schedule() -> None:
    due = schedule.next_try_at(
        DELAYS, 3, round_started_at=NOW, now=NOW, retry_after=1, uniform=lowest
    )
    assert due == NOW + timedelta(seconds=1800 * 0.8)


def test_retry_after_is_cut_to_the_schedules_end() -> None:
    started = NOW - timedelta(hours=20)
    due = schedule.next_try_at(
        DELAYS, 2, round_started_at=started, now=NOW, retry_after=7 * 86400, uniform=lowest
    )
    assert due == started + timedelta(seconds=sum(DELAYS))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        (format_datetime(NOW + timedelta(minutes=3), usegmt=True), 180.0),
        (format_datetime(NOW - timedelta(minutes=3), usegmt=True), 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_delta_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    assert schedule.parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize(
    ("remaining", "delay"),
    [(-5, 0), (0, 0), (0.2, 1), (899.5, 900), (900, 900), (5 * 3600, 900)],
)
def test_a_wait_hops_at_most_fifteen_minutes_at_a_time(remaining: float, delay: int) -> None:
    assert schedule.hop_delay_seconds(NOW + timedelta(seconds=remaining), NOW) == delay


def test_a_ten_hour_wait_is_a_chain_of_hops_that_ends_on_time() -> None:
    due = NOW + timedelta(hours=10, seconds=7)
    clock, hops = NOW, 0
    while (delay := schedule.hop_delay_seconds(due, clock)) > 0:
        clock += timedelta(seconds=delay)
        hops += 1
    assert hops == 41  # 40 full 15-minute hops and one of 7 s
    assert clock == due
