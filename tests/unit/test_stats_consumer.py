"""The stats consumer: each event counted once, in its owner's UTC day, whatever the order."""

from __future__ import annotations

from shortener import effects
from tests.unit.consumer_events import (
    created,
    deleted,
    failed_message_ids,
    sqs_event,
    updated,
)

pytest_plugins = ["tests.unit.consumers_fixtures"]

EVENING = "2026-11-25T23:59:59.999999Z"
MIDNIGHT = "2026-11-26T00:00:00.000000Z"


def days(api, owner: str = "alice") -> list[dict]:
    answer = api("GET", "/stats", owner=owner)
    assert answer.status == 200
    return answer.json()["days"]


def test_a_links_life_is_counted_in_the_utc_day_of_each_change(stats_consumer, api, lambda_context):
    first = created("day1234", created_at=EVENING)
    change = updated(first, updated_at=MIDNIGHT, url="https://example.org/")
    gone = deleted(change, at="2026-11-27T08:00:00Z")

    response = stats_consumer(sqs_event(first, change, gone), lambda_context)

    assert failed_message_ids(response) == []
    assert days(api) == [
        {"date": "2026-11-27", "created": 0, "updated": 0, "deleted": 1, "clicks": 0},
        {"date": "2026-11-26", "created": 0, "updated": 1, "deleted": 0, "clicks": 0},
        {"date": "2026-11-25", "created": 1, "updated": 0, "deleted": 0, "clicks": 0},
    ]
    status = effects.current("day1234", "stats")
    assert status is not None
    assert (status.state, status.version) == ("done", effects.version_of(gone))


def test_each_event_counts_once_however_often_it_arrives(stats_consumer, api, lambda_context):
    one, two = created("once123", created_at=MIDNIGHT), created("twice12", created_at=MIDNIGHT)

    for batch in (sqs_event(one), sqs_event(one, two), sqs_event(two, one, two)):
        assert failed_message_ids(stats_consumer(batch, lambda_context)) == []

    assert days(api) == [
        {"date": "2026-11-26", "created": 2, "updated": 0, "deleted": 0, "clicks": 0}
    ]


def test_a_deletion_counted_before_its_creation_counts_both(stats_consumer, api, lambda_context):
    first = created("late123", created_at=MIDNIGHT)

    assert failed_message_ids(stats_consumer(sqs_event(deleted(first)), lambda_context)) == []
    assert failed_message_ids(stats_consumer(sqs_event(first), lambda_context)) == []

    assert days(api) == [
        {"date": "2026-11-26", "created": 1, "updated": 0, "deleted": 1, "clicks": 0}
    ]


def test_owners_are_counted_apart(stats_consumer, api, lambda_context):
    events = sqs_event(created("alice12", created_at=MIDNIGHT), created("bob1234", owner="bob"))

    assert failed_message_ids(stats_consumer(events, lambda_context)) == []

    assert days(api, "alice") == [
        {"date": "2026-11-26", "created": 1, "updated": 0, "deleted": 0, "clicks": 0}
    ]
    assert days(api, "bob") == [
        {"date": "2026-11-26", "created": 1, "updated": 0, "deleted": 0, "clicks": 0}
    ]
    assert days(api, "carol") == []


def test_a_malformed_message_fails_alone(stats_consumer, api, lambda_context):
    batch = sqs_event("{}", created("good123", created_at=MIDNIGHT), "not json")
    poison = [batch["Records"][0]["messageId"], batch["Records"][2]["messageId"]]

    assert failed_message_ids(stats_consumer(batch, lambda_context)) == poison
    assert days(api) == [
        {"date": "2026-11-26", "created": 1, "updated": 0, "deleted": 0, "clicks": 0}
    ]
