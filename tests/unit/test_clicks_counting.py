"""The clicks function on moto: each logged request counted once, however often it arrives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shortener.clicks import store
from tests.unit.clicks_events import (
    CHROME,
    FIREFOX,
    IPHONE,
    NOON,
    SLACKBOT,
    failed_sequence_numbers,
    kinesis_event,
    log_line,
)

pytest_plugins = ["tests.unit.clicks_fixtures"]


def clicks(api: Any, code: str = "abc1234", owner: str = "alice", **query: str) -> dict:
    answer = api("GET", f"/links/{code}/clicks", owner=owner, query={"from": "2026-11-26", **query})
    assert answer.status == 200, answer.text
    return answer.json()


def totals(api: Any, code: str = "abc1234", **query: str) -> dict[str, int]:
    return clicks(api, code, to="2026-11-27", **query)["totals"]


def test_people_bots_visitors_and_qr_scans_are_counted_apart(
    clicks_consumer, link, api, lambda_context
):
    link("abc1234")
    lines = [
        log_line(user_agent=FIREFOX, result_type="Miss"),
        log_line(user_agent=FIREFOX, result_type="Hit"),
        log_line(user_agent=CHROME, result_type="Hit", referer="https://news.example.org/a?b=c"),
        log_line(user_agent=IPHONE, query="qr=1", country="FR"),
        log_line(user_agent=SLACKBOT),
        log_line(user_agent=FIREFOX, method="HEAD"),
        log_line(user_agent=None),
    ]

    response = clicks_consumer(kinesis_event(*lines), lambda_context)

    assert failed_sequence_numbers(response) == []
    assert totals(api) == {"clicks": 4, "unique_visitors": 3, "bots": 3, "qr_scans": 1}


def test_requests_that_are_not_clicks_count_nothing(clicks_consumer, link, api, lambda_context):
    link("abc1234")
    lines = [
        log_line("/abc1234", status=404),
        log_line("/links/abc1234", status=200),
        log_line("/links", status=201, method="POST"),
        log_line("/qr/abc1234.png", status=200),
        log_line("/stats", status=301),
        log_line("/docs", status=302),
        log_line("/abc1234/more", status=302),
        log_line("/abc1234", status=200),
    ]

    response = clicks_consumer(kinesis_event(*lines), lambda_context)

    assert failed_sequence_numbers(response) == []
    assert totals(api) == {"clicks": 0, "unique_visitors": 0, "bots": 0, "qr_scans": 0}


def test_an_expired_links_410_is_a_click(clicks_consumer, link, api, lambda_context):
    link("abc1234")
    clicks_consumer(kinesis_event(log_line(status=410), log_line(status=301)), lambda_context)
    assert totals(api)["clicks"] == 2


def test_the_same_records_again_change_no_count(clicks_consumer, link, api, lambda_context):
    link("abc1234")
    lines = [log_line(user_agent=ua) for ua in (FIREFOX, CHROME, FIREFOX, SLACKBOT)]
    clicks_consumer(kinesis_event(*lines), lambda_context)
    before = totals(api)

    # A retry of the batch, a bisected half of it, and a replay of the stream that adds more.
    clicks_consumer(kinesis_event(*lines), lambda_context)
    clicks_consumer(kinesis_event(*lines[:2]), lambda_context)
    clicks_consumer(kinesis_event(*lines, log_line(user_agent=IPHONE)), lambda_context)

    assert before == {"clicks": 3, "unique_visitors": 2, "bots": 1, "qr_scans": 0}
    assert totals(api) == {"clicks": 4, "unique_visitors": 3, "bots": 1, "qr_scans": 0}


def test_a_crash_between_two_transactions_loses_and_doubles_nothing(
    clicks_consumer, link, api, lambda_context, monkeypatch
):
    link("abc1234")
    # 60 distinct visitors need a marker and a visitor marker each: two transactions.
    lines = [log_line(ip=f"198.51.100.{n}", user_agent=FIREFOX) for n in range(60)]
    writes: list[int] = []
    real_write = store.write

    def crash_after_the_first(actions: list[dict]) -> None:
        if writes:
            raise ConnectionError("the function died here")
        writes.append(len(actions))
        real_write(actions)

    monkeypatch.setattr(store, "write", crash_after_the_first)
    with pytest.raises(ConnectionError):
        clicks_consumer(kinesis_event(*lines), lambda_context)
    assert 0 < totals(api)["clicks"] < 60
    monkeypatch.setattr(store, "write", real_write)

    response = clicks_consumer(kinesis_event(*lines), lambda_context)

    assert failed_sequence_numbers(response) == []
    assert totals(api) == {"clicks": 60, "unique_visitors": 60, "bots": 0, "qr_scans": 0}
    assert writes == [store.MAX_TRANSACTION_ACTIONS]


def test_a_visitor_counts_once_a_day_in_the_hour_of_their_first_click(
    clicks_consumer, link, api, lambda_context
):
    link("abc1234")
    lines = [
        log_line(at=NOON, user_agent=FIREFOX),
        log_line(at=NOON + timedelta(hours=2), user_agent=FIREFOX),
        log_line(at=NOON + timedelta(hours=2), user_agent=CHROME),
        log_line(at=NOON + timedelta(days=1), user_agent=FIREFOX),
    ]
    clicks_consumer(kinesis_event(*lines), lambda_context)

    hours = clicks(api, interval="hour", to="2026-11-26T14:00:00Z")["series"]
    days = clicks(api, to="2026-11-27")["series"]

    assert [(h["start"], h["clicks"], h["unique_visitors"]) for h in hours if h["clicks"]] == [
        ("2026-11-26T12:00:00Z", 1, 1),
        ("2026-11-26T14:00:00Z", 2, 1),
    ]
    assert [(d["start"], d["clicks"], d["unique_visitors"]) for d in days] == [
        ("2026-11-26", 3, 2),
        ("2026-11-27", 1, 1),
    ]


def test_a_visitor_seen_in_an_earlier_batch_is_not_new_again(
    clicks_consumer, link, api, lambda_context
):
    link("abc1234")
    clicks_consumer(kinesis_event(log_line(user_agent=FIREFOX)), lambda_context)
    clicks_consumer(kinesis_event(log_line(user_agent=FIREFOX)), lambda_context)
    assert totals(api) == {"clicks": 2, "unique_visitors": 1, "bots": 0, "qr_scans": 0}


def test_an_unreadable_record_fails_alone_and_the_rest_is_counted(
    clicks_consumer, link, api, lambda_context
):
    link("abc1234")
    event = kinesis_event(log_line(), "not a log line", b"\xff\xfe", log_line())
    response = clicks_consumer(event, lambda_context)

    sequence_numbers = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    assert failed_sequence_numbers(response) == sequence_numbers[1:3]
    assert totals(api)["clicks"] == 2


def test_clicks_count_for_the_links_owner_in_stats(clicks_consumer, link, api, lambda_context):
    link("abc1234", owner="alice")
    link("bob1234", owner="bob")
    clicks_consumer(
        kinesis_event(
            log_line("/abc1234"),
            log_line("/abc1234", at=NOON + timedelta(days=1)),
            log_line("/abc1234", user_agent=SLACKBOT),
            log_line("/bob1234"),
            log_line("/gone123"),
        ),
        lambda_context,
    )

    alice = api("GET", "/stats", owner="alice").json()["days"]
    bob = api("GET", "/stats", owner="bob").json()["days"]

    assert [(day["date"], day["clicks"]) for day in alice] == [
        ("2026-11-27", 1),
        ("2026-11-26", 1),
    ]
    assert [(day["date"], day["clicks"]) for day in bob] == [("2026-11-26", 1)]


def test_no_address_or_user_agent_is_stored(clicks_consumer, link, aws, lambda_context):
    link("abc1234")
    clicks_consumer(kinesis_event(log_line(ip="203.0.113.99", user_agent=CHROME)), lambda_context)

    stored = str(aws.dynamodb.scan(TableName="Clicks")["Items"])

    assert "203.0.113.99" not in stored
    assert "Chrome/131" not in stored
    assert "browser:Chrome" in stored


def test_counters_expire_after_the_retention_and_markers_after_the_stream(
    clicks_consumer, link, aws, lambda_context, monkeypatch
):
    monkeypatch.setenv("CLICK_RETENTION_DAYS", "30")
    link("abc1234")
    clicks_consumer(kinesis_event(log_line()), lambda_context)

    items = {
        item["pk"]["S"].split("#")[0]: item
        for item in aws.dynamodb.scan(TableName="Clicks")["Items"]
    }

    hour = NOON.replace(minute=0, second=0, microsecond=0)
    assert int(items["link"]["expires"]["N"]) == int((hour + timedelta(days=30)).timestamp())
    assert int(items["request"]["expires"]["N"]) - int(items["visitor"]["expires"]["N"]) in (0, 1)
    assert set(items) == {"link", "owner", "request", "visitor"}


def test_a_duplicate_the_first_read_missed_is_caught_by_the_transaction(
    clicks_consumer, link, api, lambda_context, monkeypatch
):
    link("abc1234")
    lines = [log_line(user_agent=ua) for ua in (FIREFOX, CHROME, SLACKBOT)]
    clicks_consumer(kinesis_event(*lines), lambda_context)
    # As if another invocation counted these records between the read and the write.
    monkeypatch.setattr(store, "existing", lambda keys: set())

    response = clicks_consumer(kinesis_event(*lines, log_line(user_agent=IPHONE)), lambda_context)

    assert failed_sequence_numbers(response) == []
    assert totals(api) == {"clicks": 3, "unique_visitors": 3, "bots": 1, "qr_scans": 0}


def test_a_big_replay_is_read_as_counted_and_writes_nothing(
    clicks_consumer, link, api, lambda_context, monkeypatch
):
    link("abc1234")
    # More than one transaction's worth of records, from fewer visitors.
    lines = [log_line(ip=f"198.51.100.{n % 40}", user_agent=FIREFOX) for n in range(120)]
    clicks_consumer(kinesis_event(*lines), lambda_context)
    writes: list[int] = []
    monkeypatch.setattr(store, "write", lambda actions: writes.append(len(actions)))

    clicks_consumer(kinesis_event(*lines), lambda_context)

    assert writes == []
    assert totals(api) == {"clicks": 120, "unique_visitors": 40, "bots": 0, "qr_scans": 0}


def test_a_transaction_that_conflicts_with_another_writer_is_tried_again(
    clicks_consumer, link, api, lambda_context, monkeypatch
):
    link("abc1234")
    real_write = store.write
    tries: list[int] = []

    def conflict_once(actions: list[dict]) -> None:
        tries.append(len(actions))
        if len(tries) == 1:
            reasons = [{"Code": "None"}] * (len(actions) - 1) + [{"Code": "TransactionConflict"}]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        real_write(actions)

    monkeypatch.setattr(store, "write", conflict_once)
    response = clicks_consumer(
        kinesis_event(log_line(), log_line(user_agent=CHROME)), lambda_context
    )

    assert failed_sequence_numbers(response) == []
    assert len(tries) == 2
    assert tries[0] == tries[1]
    assert totals(api) == {"clicks": 2, "unique_visitors": 2, "bots": 0, "qr_scans": 0}
