"""The Pipe's enrichment: one event per user-visible link change, nothing for internal writes."""

from __future__ import annotations

import os

import pytest

from shortener import effects
from shortener.models import LINK_SK, DailyStatsModel, LinkModel
from tests.unit.consumer_events import Handler, load_handler, stream_records

CREATED_AT = "2026-11-26T10:00:00.000000Z"


@pytest.fixture
def enrich(aws) -> Handler:
    return load_handler("enrich")


@pytest.fixture
def records(aws) -> list[dict]:
    """The Links stream after a link's life, with the consumers' own writes in between."""
    link = LinkModel(
        "life123",
        LINK_SK,
        code="life123",
        owner="alice",
        url="https://example.com/1",
        created_at=CREATED_AT,
        updated_at=CREATED_AT,
        redirect_type=302,
    )
    link.save()
    effects.record_done("life123", "qr", event_id="evt_x", version=CREATED_AT)
    DailyStatsModel(
        DailyStatsModel.partition_key("alice"), DailyStatsModel.sort_key("2026-11-26"), created=1
    ).save()
    link.update(
        actions=[
            LinkModel.url.set("https://example.com/2"),
            LinkModel.updated_at.set("2026-11-26T11:00:00.000000Z"),
        ]
    )
    # A write no user can see: nothing user-visible changed.
    link.update(actions=[LinkModel.updated_at.set("2026-11-26T11:30:00.000000Z")])
    link.delete()
    return stream_records(os.environ["LINKS_TABLE_NAME"])


def test_each_user_visible_change_becomes_one_event(enrich, records, lambda_context):
    details = enrich(records, lambda_context)

    assert [detail["type"] for detail in details] == [
        "link.created",
        "link.updated",
        "link.deleted",
    ]
    created, updated, deleted = details
    assert created["version"] == "1"
    assert created["occurred_at"] == CREATED_AT
    assert created["link"] == {
        "code": "life123",
        "url": "https://example.com/1",
        "owner": "alice",
        "short_url": "https://sho.rt/life123",
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "expires_at": None,
        "redirect_type": 302,
        "tags": [],
        "utm": None,
        "max_clicks": None,
        "fallback_url": None,
        "targets": None,
    }
    assert created["previous"] is None
    assert updated["link"]["url"] == "https://example.com/2"
    assert updated["previous"] == {"url": "https://example.com/1"}
    assert updated["occurred_at"] == "2026-11-26T11:00:00.000000Z"
    assert deleted["link"]["updated_at"] == "2026-11-26T11:30:00.000000Z"
    assert deleted["occurred_at"].endswith("Z")


def test_event_ids_are_stable_per_change_and_distinct_between_changes(
    enrich, records, lambda_context
):
    first = [detail["id"] for detail in enrich(records, lambda_context)]
    again = [detail["id"] for detail in enrich(records, lambda_context)]

    assert first == again
    assert len(set(first)) == 3
    assert all(event_id.startswith("evt_") for event_id in first)


def test_a_batch_without_link_changes_yields_no_event(enrich, records, lambda_context):
    internal = [record for record in records if record["dynamodb"]["Keys"]["sk"]["S"] != LINK_SK]
    assert internal  # the effect status and the counter are in the stream

    assert enrich(internal, lambda_context) == []


def test_the_link_features_are_in_the_snapshot_and_their_changes_in_previous(
    enrich, aws, lambda_context
):
    link = LinkModel(
        "feat123",
        LINK_SK,
        code="feat123",
        owner="alice",
        url="https://example.com/1",
        created_at=CREATED_AT,
        updated_at=CREATED_AT,
        tags=["spring"],
        utm={"source": "news"},
        max_clicks=3,
        fallback_url="https://example.com/over",
        targets={"ios": "https://apps.apple.com/app/id1"},
    )
    link.save()
    # A click on a usage-limited link is no link change: no event.
    link.update(actions=[LinkModel.clicks_used.add(1)])
    link.update(
        actions=[
            LinkModel.tags.set(["spring", "sale"]),
            LinkModel.utm.remove(),
            LinkModel.updated_at.set("2026-11-26T11:00:00.000000Z"),
        ]
    )

    created, updated = enrich(stream_records(os.environ["LINKS_TABLE_NAME"]), lambda_context)

    assert created["link"]["tags"] == ["spring"]
    assert created["link"]["utm"] == {"source": "news"}
    assert created["link"]["max_clicks"] == 3
    assert created["link"]["fallback_url"] == "https://example.com/over"
    assert created["link"]["targets"] == {"ios": "https://apps.apple.com/app/id1"}
    assert "clicks_used" not in created["link"]
    assert updated["previous"] == {"tags": ["spring"], "utm": {"source": "news"}}
    assert updated["link"]["utm"] is None
