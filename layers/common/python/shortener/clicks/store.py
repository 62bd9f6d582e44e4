"""The Clicks table: counters, and the markers that make every count happen once.

Items (`pk`, `sk`; every item expires through the `expires` TTL):
- `link#{code}#{created_at}` / `hour#{YYYY-MM-DDTHH}`: a link's counters for one UTC hour:
  `clicks`, `bots`, `qr_scans`, `unique_visitors`, and one number per breakdown key named
  `{dimension}:{key}` (`country:DE`, `browser:Firefox` ...). The link's creation time is in the
  key so that a code deleted and created again starts from zero. Keys are bounded (countries,
  device types, uap-core families, sources); referrer hosts are the one open set, so an hour
  item holds a few thousand distinct referrers before DynamoDB's 400 KB item limit.
  Counters keep `CLICK_RETENTION_DAYS` (400 by default).
- `owner#{owner}` / `day#{YYYY-MM-DD}`: an owner's human clicks of the day, for `GET /stats`.
- `request#{x-edge-request-id}` / `counted`: this logged request was counted.
- `visitor#{code}#{created_at}#{day}#{visitor}` / `seen`: this visitor was counted that day; one
  item per visitor, spread over partitions, never a growing set in one item.
  Markers outlive the stream's retention (about 15 days on this stack: a DLQ's 14 days, the
  maximum record age and a day) by two days, so that no record the stream can still hand out,
  on a retry, a replay or a redrive, is counted twice (tests/infra hold the two together).

Written with the low-level client: the breakdown attribute names are data, which PynamoDB's
fixed model attributes cannot express in a transaction's update.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from shortener.aws_clients import client
from shortener.clicks.aggregation import HourTally, LinkRef, Tally
from shortener.clock import utcnow
from shortener.settings import env

COUNTED_SK = "counted"
SEEN_SK = "seen"
MARKER_LIFETIME = timedelta(days=17)
DEFAULT_RETENTION_DAYS = 400
MAX_TRANSACTION_ACTIONS = 100
TOTALS = ("clicks", "bots", "qr_scans", "unique_visitors")
_BATCH_GET_KEYS = 100


def table_name() -> str:
    return env("CLICKS_TABLE_NAME")


def retention() -> timedelta:
    return timedelta(days=int(os.environ.get("CLICK_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS))


def link_partition(link: LinkRef) -> str:
    return f"link#{link.code}#{link.created_at}"


def hour_sort_key(hour: datetime) -> str:
    return f"hour#{hour:%Y-%m-%dT%H}"


def owner_partition(owner: str) -> str:
    return f"owner#{owner}"


def day_sort_key(day: str) -> str:
    return f"day#{day}"


def request_marker_key(request_id: str) -> dict[str, Any]:
    return _key(f"request#{request_id}", COUNTED_SK)


def visitor_marker_key(link: LinkRef, day: str, visitor: str) -> dict[str, Any]:
    return _key(f"visitor#{link.code}#{link.created_at}#{day}#{visitor}", SEEN_SK)


def breakdown_attribute(dimension: str, key: str) -> str:
    return f"{dimension}:{key}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _epoch(moment: datetime) -> dict[str, str]:
    return {"N": str(int(moment.timestamp()))}


def marker_put(key: dict[str, Any]) -> dict[str, Any]:
    """A put that holds only if the marker is new: its failure says "counted before"."""
    return {
        "Put": {
            "TableName": table_name(),
            "Item": {**key, "expires": _epoch(utcnow() + MARKER_LIFETIME)},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _counter_update(key: dict[str, Any], counts: dict[str, int], expires: datetime) -> dict:
    names: dict[str, str] = {"#expires": "expires"}
    values: dict[str, Any] = {":expires": _epoch(expires)}
    additions = []
    for number, (attribute, amount) in enumerate(sorted(counts.items())):
        if amount:
            names[f"#a{number}"] = attribute
            values[f":a{number}"] = {"N": str(amount)}
            additions.append(f"#a{number} :a{number}")
    expression = "SET #expires = :expires"
    if additions:
        expression += " ADD " + ", ".join(additions)
    return {
        "Update": {
            "TableName": table_name(),
            "Key": key,
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def hour_update(link: LinkRef, hour: datetime, counts: HourTally) -> dict[str, Any]:
    attributes = counts.totals()
    for (dimension, value), amount in counts.breakdown.items():
        attributes[breakdown_attribute(dimension, value)] = amount
    key = _key(link_partition(link), hour_sort_key(hour))
    return _counter_update(key, attributes, hour + retention())


def owner_day_update(owner: str, day: str, clicks: int) -> dict[str, Any]:
    expires = datetime.fromisoformat(day).replace(tzinfo=UTC) + retention()
    key = _key(owner_partition(owner), day_sort_key(day))
    return _counter_update(key, {"clicks": clicks}, expires)


def counter_updates(tally: Tally) -> list[dict[str, Any]]:
    updates = [hour_update(link, hour, counts) for (link, hour), counts in tally.hours.items()]
    updates += [owner_day_update(o, d, n) for (o, d), n in tally.owner_days.items() if n]
    return updates


def write(actions: list[dict[str, Any]]) -> None:
    """One all-or-nothing transaction; raises TransactionCanceledException with its reasons."""
    client("dynamodb").transact_write_items(TransactItems=actions)


def existing(keys: Iterable[dict[str, Any]]) -> set[str]:
    """The `pk`s among `keys` that exist (markers only hold a key: an existence check)."""
    found: set[str] = set()
    unique = {key["pk"]["S"]: key for key in keys}
    batch = list(unique.values())
    for start in range(0, len(batch), _BATCH_GET_KEYS):
        request: dict[str, Any] = {
            table_name(): {
                "Keys": batch[start : start + _BATCH_GET_KEYS],
                "ProjectionExpression": "pk",
            }
        }
        while request:
            answer = client("dynamodb").batch_get_item(RequestItems=request)
            found.update(item["pk"]["S"] for item in answer["Responses"].get(table_name(), []))
            request = answer.get("UnprocessedKeys") or {}
    return found


def hour_items(
    link: LinkRef, first: datetime, last: datetime, *, breakdown: bool = True
) -> Iterator[dict[str, Any]]:
    """The link's hour counters from `first` to `last` (hours, both included), oldest first;
    without `breakdown`, only the totals travel."""
    query: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
        "ExpressionAttributeValues": {
            ":pk": {"S": link_partition(link)},
            ":first": {"S": hour_sort_key(first)},
            ":last": {"S": hour_sort_key(last)},
        },
    }
    if not breakdown:
        # Placeholders: DynamoDB reserves hundreds of words an attribute name might be.
        names = {f"#p{number}": name for number, name in enumerate(("sk", *TOTALS))}
        query["ProjectionExpression"] = ", ".join(names)
        query["ExpressionAttributeNames"] = names
    pages = client("dynamodb").get_paginator("query").paginate(**query)
    for page in pages:
        for item in page["Items"]:
            yield {name: _plain(value) for name, value in item.items()}


def owner_day_clicks(owner: str, first: str, last: str) -> dict[str, int]:
    """The owner's clicks per day (YYYY-MM-DD) from `first` to `last`, both included."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=table_name(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues={
            ":pk": {"S": owner_partition(owner)},
            ":first": {"S": day_sort_key(first)},
            ":last": {"S": day_sort_key(last)},
        },
    )
    return {
        item["sk"]["S"].removeprefix(day_sort_key("")): int(item.get("clicks", {}).get("N", 0))
        for page in pages
        for item in page["Items"]
    }


def _plain(value: dict[str, Any]) -> Any:
    if "N" in value:
        return int(value["N"])
    return next(iter(value.values()))
