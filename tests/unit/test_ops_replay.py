"""`python -m ops events replay`: archived events go through the bus again (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.errors import UsageError
from ops.replay import parse_time
from tests.unit.ops_support import (
    IGNORE_SKIPPED_PIPE,
    QR_QUEUE,
    World,
    link_event,
    run_ops,
)

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


def test_a_replayed_event_reaches_the_rules_queue_with_the_same_event_id(world: World) -> None:
    event = link_event("rpl0001")
    world.publish(event)
    assert [body["detail"]["id"] for body in world.bodies(QR_QUEUE)] == [event.id]  # consumed

    result = run_ops("events", "replay", "--from", "-1h", "--rule", "qr", "--json").json()

    assert result["state"] == "COMPLETED"
    replayed = world.bodies(QR_QUEUE)
    assert [body["detail"]["id"] for body in replayed] == [event.id]
    assert replayed[0]["detail"]["link"]["code"] == "rpl0001"


def test_the_rule_limits_the_replay_to_its_targets(world: World) -> None:
    result = run_ops(
        "events", "replay", "--from", "-15m", "--to", "now", "--rule", "qr", "--json"
    ).json()

    rule = next(
        r
        for r in world.events.list_rules(EventBusName=result["event_bus"])["Rules"]
        if r["Name"] == "shortener-dev-qr"
    )
    replay = world.events.describe_replay(ReplayName=result["replay"])
    assert replay["Destination"]["FilterArns"] == [rule["Arn"]]
    assert result["rule"] == rule["Name"]


def test_without_a_rule_every_rule_gets_the_events(world: World) -> None:
    result = run_ops("events", "replay", "--from", "-15m", "--json").json()

    replay = world.events.describe_replay(ReplayName=result["replay"])
    assert "FilterArns" not in replay["Destination"]
    assert result["rule"] is None


def test_replay_reads_as_text(world: World) -> None:
    ran = run_ops("events", "replay", "--from", "-5m")

    assert ran.code == 0
    assert "COMPLETED" in ran.stdout


def test_an_unknown_rule_exits_2_and_names_the_valid_ones(world: World) -> None:
    ran = run_ops("events", "replay", "--from", "-1h", "--rule", "nope")

    assert ran.code == 2
    assert "qr" in ran.stderr
    assert world.events.list_replays()["Replays"] == []


@pytest.mark.parametrize(
    "window",
    [
        ["--from", "-1h", "--to", "-2h"],
        ["--from", "yesterday"],
        ["--from", "-1h", "--to", "2999-01-01T00:00:00Z"],
    ],
)
def test_a_bad_window_exits_2_and_starts_nothing(world: World, window: list[str]) -> None:
    assert run_ops("events", "replay", *window).code == 2
    assert world.events.list_replays()["Replays"] == []


NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-30s", NOW - timedelta(seconds=30)),
        ("-15m", NOW - timedelta(minutes=15)),
        ("-2h", NOW - timedelta(hours=2)),
        ("-1d", NOW - timedelta(days=1)),
        ("2026-11-26T09:00:00Z", datetime(2026, 11, 26, 9, tzinfo=UTC)),
        ("2026-11-26T11:00:00+02:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),
        ("2026-11-26T09:00:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),
    ],
)
def test_times_are_iso_or_relative_to_now(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


def test_an_unreadable_time_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_time("last tuesday", now=NOW)
