"""Reading CloudFront real-time log records, and telling clicks from the other requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shortener.clicks.classification import classify, referrer_host
from shortener.clicks.log_records import (
    LogRecord,
    UnreadableLogRecord,
    parse_fields,
    parse_record,
)
from shortener.clicks.visitors import VisitorHasher
from tests.unit.clicks_events import FIREFOX, IPHONE, LOG_FIELDS, SLACKBOT, log_line

FIELDS = parse_fields(LOG_FIELDS)
VISITORS = VisitorHasher(b"stage secret")


def record(**fields: object) -> LogRecord:
    return parse_record(log_line(**fields).encode(), FIELDS)  # type: ignore[arg-type]


def test_a_record_is_read_field_by_field_in_the_configured_order() -> None:
    line = "\t".join(
        [
            "1764158405.123",
            "XyZ123abc==",
            "2001:db8::7",
            "-",
            "GET",
            "d111111abcdef8.cloudfront.net",
            "/abc1234",
            "qr=1&x=%20y",
            "302",
            "Mozilla/5.0%20(iPhone;%20CPU%20iPhone%20OS%2018_1%20like%20Mac%20OS%20X)",
            "https://news.example.org/a%20b",
            "Hit",
        ]
    )

    parsed = parse_record(line.encode() + b"\n", FIELDS)

    assert parsed == LogRecord(
        request_id="XyZ123abc==",
        at=datetime(2025, 11, 26, 12, 0, 5, 123000, tzinfo=UTC),
        path="/abc1234",
        status=302,
        method="GET",
        query="qr=1&x=%20y",
        client_ip="2001:db8::7",
        country=None,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)",
        referer="https://news.example.org/a b",
        host="d111111abcdef8.cloudfront.net",
        result_type="Hit",
    )


def test_a_path_that_carries_its_query_is_read_as_path_and_query() -> None:
    fields = parse_fields("timestamp,sc-status,cs-uri-stem,x-edge-request-id")
    parsed = parse_record(b"1764158405.5\t302\t/abc1234?qr=1\tid-1", fields)
    assert (parsed.path, parsed.query) == ("/abc1234", "qr=1")


def test_the_field_order_comes_from_the_configuration() -> None:
    fields = parse_fields("sc-status, cs-uri-stem,x-edge-request-id,timestamp")
    parsed = parse_record(b"410\t/old1234\tid-1\t1764158405.5", fields)
    assert (parsed.status, parsed.path, parsed.request_id) == (410, "/old1234", "id-1")
    assert parsed.method == "GET"
    assert parsed.user_agent is None


def test_a_configuration_without_the_fields_counting_needs_is_refused() -> None:
    with pytest.raises(RuntimeError, match="x-edge-request-id"):
        parse_fields("timestamp,cs-uri-stem,sc-status")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"too\tfew\tfields",
        b"\xff\xfe not utf-8",
        log_line(request_id="-").encode(),
        log_line().replace("302", "abc", 1).encode(),
        "\t".join(["yesterday", *log_line().split("\t")[1:]]).encode(),
    ],
)
def test_a_record_that_is_no_log_line_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableLogRecord):
        parse_record(data, FIELDS)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/abc1234", 404),
        ("/abc1234", 200),
        ("/abc1234", 500),
        ("/links", 302),
        ("/LINKS", 302),
        ("/qr/abc1234.png", 200),
        ("/openapi.json", 301),
        ("/abc1234/", 302),
        ("/", 302),
        ("/ab", 302),
    ],
)
def test_only_redirects_and_expiries_of_short_codes_are_clicks(path: str, status: int) -> None:
    assert classify(record(path=path, status=status), VISITORS) is None


@pytest.mark.parametrize("status", [301, 302, 307, 308, 410])
def test_a_short_codes_redirect_or_expiry_is_a_click(status: int) -> None:
    click = classify(record(status=status), VISITORS)
    assert click is not None
    assert click.code == "abc1234"


def test_a_click_says_who_from_where_and_how() -> None:
    click = classify(
        record(user_agent=IPHONE, country="fr", query="qr=1", referer="https://t.co/xyz"),
        VISITORS,
    )
    assert click is not None
    assert click.dimensions() == {
        "country": "FR",
        "device": "mobile",
        "browser": "Mobile Safari",
        "os": "iOS",
        "referrer": "t.co",
        "source": "qr",
    }
    assert click.is_qr_scan
    assert not click.is_bot


@pytest.mark.parametrize(
    ("fields", "is_bot"),
    [
        ({"user_agent": SLACKBOT}, True),
        ({"user_agent": None}, True),
        ({"user_agent": FIREFOX, "method": "HEAD"}, True),
        ({"user_agent": "curl/8.5.0"}, True),
        ({"user_agent": FIREFOX}, False),
    ],
)
def test_bots_and_head_requests_are_bots(fields: dict, is_bot: bool) -> None:
    click = classify(record(**fields), VISITORS)
    assert click is not None
    assert click.is_bot is is_bot


def test_a_bot_following_a_qr_url_is_no_qr_scan() -> None:
    click = classify(record(user_agent=SLACKBOT, query="qr=1"), VISITORS)
    assert click is not None
    assert click.source == "qr"
    assert not click.is_qr_scan


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        (None, "direct"),
        ("https://www.example.org/path?q=1", "www.example.org"),
        ("android-app://com.slack/", "com.slack"),
        ("not a url", "direct"),
        ("http://[::1", "direct"),
    ],
)
def test_the_referrer_is_its_host(referer: str | None, host: str) -> None:
    assert referrer_host(referer) == host


def test_a_visitor_is_the_same_all_day_and_another_the_next_day() -> None:
    noon, evening = record(), record(at=datetime(2026, 11, 26, 23, 59, tzinfo=UTC))
    tomorrow = record(at=datetime(2026, 11, 27, 0, 1, tzinfo=UTC))
    other = record(ip="198.51.100.1")
    visitor = [classify(r, VISITORS).visitor for r in (noon, evening, tomorrow, other)]  # type: ignore[union-attr]

    assert visitor[0] == visitor[1]
    assert len({visitor[0], visitor[2], visitor[3]}) == 3
    assert (
        VisitorHasher(b"another stage").visitor(noon.at.date(), "203.0.113.7", FIREFOX)
        != (visitor[0])
    )
