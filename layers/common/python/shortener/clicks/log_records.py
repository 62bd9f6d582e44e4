"""One CloudFront real-time log record: a line of tab-separated fields, as the stream holds it.

CloudFront writes the fields the real-time log configuration names, in that order, separated by
tabs, one request per record; an empty value is `-`; `timestamp` is seconds since the epoch
with milliseconds (`1684226820.937`); text fields are URL-encoded where standard logs encode
(spaces, tabs, `%` ...: `cs-user-agent` and `cs-referer` are decoded here); `cs-uri-stem` may
carry the query string after a `?`, and `cs-uri-query` is the query alone
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html,
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html).
The consumer learns the order from `CLICK_LOG_FIELDS`, the same list the stack gives the log
configuration, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

EMPTY = "-"
REQUIRED_FIELDS = ("timestamp", "x-edge-request-id", "cs-uri-stem", "sc-status")
_URL_ENCODED = frozenset({"cs-user-agent", "cs-referer"})


class UnreadableLogRecord(ValueError):
    """A record that is not a log line of the configured fields: it goes to the DLQ."""


@dataclass(frozen=True)
class LogRecord:
    """The fields of one logged request that click counting reads; None where logged as `-`."""

    request_id: str
    at: datetime
    path: str
    status: int
    method: str = "GET"
    query: str | None = None
    client_ip: str | None = None
    country: str | None = None
    user_agent: str | None = None
    referer: str | None = None
    host: str | None = None
    result_type: str | None = None


def parse_fields(names: str) -> tuple[str, ...]:
    """`CLICK_LOG_FIELDS` ("timestamp,c-ip,...") as the ordered field names."""
    fields = tuple(name.strip() for name in names.split(",") if name.strip())
    missing = [name for name in REQUIRED_FIELDS if name not in fields]
    if missing:
        raise RuntimeError(f"CLICK_LOG_FIELDS lacks {', '.join(missing)}")
    return fields


def parse_record(data: bytes, fields: Sequence[str]) -> LogRecord:
    """The log line `data` (one Kinesis record's payload) read against `fields`."""
    try:
        line = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise UnreadableLogRecord("the record is not UTF-8 text") from error
    values = line.split("\t")
    if len(values) != len(fields):
        raise UnreadableLogRecord(f"{len(values)} fields where {len(fields)} are configured")
    raw = dict(zip(fields, values, strict=True))
    value = {name: _value(name, text) for name, text in raw.items()}
    request_id, stem = value["x-edge-request-id"], value["cs-uri-stem"]
    if not request_id or not stem:
        raise UnreadableLogRecord("the record has no request id or no path")
    path, _, stem_query = unquote(stem).partition("?")
    return LogRecord(
        request_id=request_id,
        at=_timestamp(raw["timestamp"]),
        path=path,
        status=_status(raw["sc-status"]),
        method=(value.get("cs-method") or "GET").upper(),
        query=value.get("cs-uri-query") or stem_query or None,
        client_ip=value.get("c-ip"),
        country=value.get("c-country"),
        user_agent=value.get("cs-user-agent"),
        referer=value.get("cs-referer"),
        host=value.get("cs-host"),
        result_type=value.get("x-edge-result-type"),
    )


def _value(name: str, text: str) -> str | None:
    if text == EMPTY or not text:
        return None
    return unquote(text) if name in _URL_ENCODED else text


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise UnreadableLogRecord(f"timestamp {text[:40]!r} is not epoch seconds") from error


def _status(text: str) -> int:
    if not text.isdigit():
        # CloudFront logs `000` when the viewer left before the answer; anything else is noise.
        raise UnreadableLogRecord(f"sc-status {text[:10]!r} is not a status code")
    return int(text)
