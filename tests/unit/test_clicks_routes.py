"""GET /links/{code}/clicks: the owner's counts over a range, by day or hour, broken down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shortener.api import clicks_routes
from tests.unit.clicks_events import (
    CHROME,
    FIREFOX,
    IPHONE,
    NOON,
    SLACKBOT,
    kinesis_event,
    log_line,
)
from tests.unit.conftest import assert_problem

pytest_plugins = ["tests.unit.clicks_fixtures"]


@pytest.fixture
def clicked(clicks_consumer, link, lambda_context) -> None:
    """abc1234 of alice's, clicked on 26 November 2026 around noon, and once the next day."""
    link("abc1234", owner="alice")
    lines = [
        log_line(user_agent=FIREFOX, referer="https://news.example.org/story"),
        log_line(user_agent=FIREFOX, ip="198.51.100.2", country="FR"),
        log_line(user_agent=CHROME, at=NOON + timedelta(hours=3)),
        log_line(user_agent=IPHONE, query="qr=1", country="US"),
        log_line(user_agent=SLACKBOT),
        log_line(user_agent=CHROME, at=NOON + timedelta(days=1)),
    ]
    clicks_consumer(kinesis_event(*lines), lambda_context)


def test_by_day_totals_and_every_day_of_the_range(api, clicked):
    answer = api("GET", "/links/abc1234/clicks", query={"from": "2026-11-25", "to": "2026-11-27"})

    assert answer.status == 200
    assert answer.json() == {
        "code": "abc1234",
        "from": "2026-11-25",
        "to": "2026-11-27",
        "interval": "day",
        "totals": {"clicks": 5, "unique_visitors": 5, "bots": 1, "qr_scans": 1},
        "series": [
            {"start": "2026-11-25", "clicks": 0, "unique_visitors": 0, "bots": 0, "qr_scans": 0},
            {"start": "2026-11-26", "clicks": 4, "unique_visitors": 4, "bots": 1, "qr_scans": 1},
            {"start": "2026-11-27", "clicks": 1, "unique_visitors": 1, "bots": 0, "qr_scans": 0},
        ],
    }


def test_by_hour_within_a_day(api, clicked):
    answer = api(
        "GET",
        "/links/abc1234/clicks",
        query={"from": "2026-11-26T11:30:00Z", "to": "2026-11-26T15:00:00Z", "interval": "hour"},
    )

    body = answer.json()
    assert (body["from"], body["to"]) == ("2026-11-26T11:00:00Z", "2026-11-26T15:00:00Z")
    assert [(entry["start"], entry["clicks"]) for entry in body["series"]] == [
        ("2026-11-26T11:00:00Z", 0),
        ("2026-11-26T12:00:00Z", 3),
        ("2026-11-26T13:00:00Z", 0),
        ("2026-11-26T14:00:00Z", 0),
        ("2026-11-26T15:00:00Z", 1),
    ]


BREAKDOWNS = {
    "browser": [("Chrome", 2), ("Firefox", 2), ("Mobile Safari", 1)],
    "country": [("DE", 3), ("FR", 1), ("US", 1)],
    "device": [("desktop", 4), ("mobile", 1)],
    "os": [("Linux", 2), ("Windows", 2), ("iOS", 1)],
    "referrer": [("direct", 4), ("news.example.org", 1)],
    "source": [("link", 4), ("qr", 1)],
}


def test_a_breakdown_of_the_human_clicks_most_first(api, clicked):
    for group_by, breakdown in BREAKDOWNS.items():
        answer = api(
            "GET",
            "/links/abc1234/clicks",
            query={"from": "2026-11-26", "to": "2026-11-27", "group_by": group_by},
        )

        assert answer.status == 200
        entries = [(entry["key"], entry["clicks"]) for entry in answer.json()["breakdown"]]
        assert entries == sorted(breakdown, key=lambda entry: (-entry[1], entry[0])), group_by


def test_the_default_is_the_last_seven_days_by_day(api, clicked, monkeypatch):
    monkeypatch.setattr(clicks_routes, "utcnow", lambda: datetime(2026, 11, 27, 9, 30, tzinfo=UTC))

    body = api("GET", "/links/abc1234/clicks").json()

    assert (body["from"], body["to"], body["interval"]) == ("2026-11-21", "2026-11-27", "day")
    assert len(body["series"]) == 7
    assert body["totals"]["clicks"] == 5
    assert "breakdown" not in body


def test_another_owners_link_is_as_missing_as_an_unknown_one(api, clicked):
    theirs = api("GET", "/links/abc1234/clicks", owner="mallory")
    unknown = api("GET", "/links/nope123/clicks", owner="alice")
    link_of_theirs = api("GET", "/links/abc1234", owner="mallory")

    assert assert_problem(theirs, 404) == assert_problem(unknown, 404)
    assert assert_problem(theirs, 404) == assert_problem(link_of_theirs, 404)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "1764100000"}, "to"),
        ({"from": "9999-12-30"}, "from"),
        ({"from": "0001-01-01T00:00:00+01:00"}, "from"),
        ({"to": "1969-12-31"}, "to"),
        ({"from": "2026-11-27", "to": "2026-11-26"}, "from"),
        ({"from": "2025-01-01", "to": "2026-11-26"}, "from"),
        ({"from": "2026-10-01", "to": "2026-11-26", "interval": "hour"}, "from"),
        ({"interval": "week"}, "interval"),
        ({"group_by": "color"}, "group_by"),
    ],
)
def test_bad_parameters_are_a_422_problem(api, link, query, parameter):
    link("abc1234")
    problem = assert_problem(api("GET", "/links/abc1234/clicks", query=query), 422)

    assert [error["parameter"] for error in problem["errors"]] == [parameter]
