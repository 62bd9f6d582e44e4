"""GET /stats: the caller's counters only, newest first, optionally between two dates."""

from __future__ import annotations

import pytest

from shortener.models import DailyStatsModel


def count(owner: str, day: str, *, created: int = 0, updated: int = 0, deleted: int = 0) -> None:
    DailyStatsModel(
        DailyStatsModel.partition_key(owner),
        DailyStatsModel.sort_key(day),
        created=created,
        updated=updated,
        deleted=deleted,
    ).save()


@pytest.fixture
def counted(aws) -> None:
    for day, created in (("2026-11-24", 1), ("2026-11-25", 2), ("2026-11-26", 3)):
        count("alice", day, created=created, deleted=1)
    count("bob", "2026-11-25", updated=7)


def dates(api, **query: str) -> list[str]:
    answer = api("GET", "/stats", query=query or None)
    assert answer.status == 200
    return [day["date"] for day in answer.json()["days"]]


def test_the_callers_days_newest_first(api, counted):
    answer = api("GET", "/stats")

    assert answer.status == 200
    assert answer.json() == {
        "days": [
            {"date": "2026-11-26", "created": 3, "updated": 0, "deleted": 1, "clicks": 0},
            {"date": "2026-11-25", "created": 2, "updated": 0, "deleted": 1, "clicks": 0},
            {"date": "2026-11-24", "created": 1, "updated": 0, "deleted": 1, "clicks": 0},
        ]
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"from": "2026-11-25"}, ["2026-11-26", "2026-11-25"]),
        ({"to": "2026-11-25"}, ["2026-11-25", "2026-11-24"]),
        ({"from": "2026-11-25", "to": "2026-11-25"}, ["2026-11-25"]),
        ({"from": "2026-11-01", "to": "2026-11-30"}, ["2026-11-26", "2026-11-25", "2026-11-24"]),
        ({"from": "2026-12-01"}, []),
    ],
)
def test_from_and_to_are_inclusive_bounds(api, counted, query, expected):
    assert dates(api, **query) == expected


def test_another_owner_sees_only_their_own(api, counted):
    answer = api("GET", "/stats", owner="bob")

    assert answer.json() == {
        "days": [{"date": "2026-11-25", "created": 0, "updated": 7, "deleted": 0, "clicks": 0}]
    }


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-01"},
        {"to": "2026-02-30"},
        {"from": "26-11-2026"},
        {"from": "1795687200"},
        {"to": "2026-11-26T00:00:00"},
        {"from": "2026-11-26", "to": "2026-11-25"},
    ],
)
def test_a_bad_date_is_a_422_problem(api, counted, query):
    answer = api("GET", "/stats", query=query)

    assert answer.status == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert problem["errors"]
