"""Daily counters per owner: how many links they created, updated and deleted each UTC day.

Every event counts once, in the day of its `occurred_at`, whatever order events arrive in: a
deletion counted before its creation is still one deletion and one creation. Exactly once comes
from one DynamoDB transaction per event that puts the marker `stats-event#{event_id}`/`counted`
(only if absent) and adds one to the day's counter: a duplicate, a retry or a redrive fails the
marker's condition, so the whole transaction changes nothing, and counts as "already counted".
That is this consumer's idempotency; it needs no other.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shortener.clock import parse_iso
from shortener.events import LinkEvent
from shortener.models import DailyStatsModel

EFFECT = "stats"
COUNTED_SK = "counted"


class CountedEventModel(Model):
    """The marker of an event already counted; lives in the Links table beside the counters."""

    class Meta(DailyStatsModel.Meta):
        # Inherited, so that models.bind_table_names reaches it through DailyStatsModel.
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=COUNTED_SK)

    @staticmethod
    def partition_key(event_id: str) -> str:
        return f"stats-event#{event_id}"


@cache
def _connection() -> Connection:
    """One connection (one botocore client) per execution environment, not one per event."""
    return Connection()


def _counter_column(event: LinkEvent) -> Any:
    columns = {
        "link.created": DailyStatsModel.created,
        "link.updated": DailyStatsModel.updated,
        "link.deleted": DailyStatsModel.deleted,
    }
    return columns[event.type]


def utc_day(event: LinkEvent) -> str:
    return parse_iso(event.occurred_at).date().isoformat()


def _marker_already_written(error: TransactWriteError) -> bool:
    reasons = error.cancellation_reasons
    return bool(reasons) and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed"


def count_event(event: LinkEvent) -> dict[str, Any]:
    """Add the event to its owner's counter for the day, unless it was counted before."""
    day = utc_day(event)
    marker = CountedEventModel(CountedEventModel.partition_key(event.id), COUNTED_SK)
    counter = DailyStatsModel(
        DailyStatsModel.partition_key(event.link.owner), DailyStatsModel.sort_key(day)
    )
    try:
        with TransactWrite(connection=_connection()) as transaction:
            # The marker goes first: its cancellation reason is the first in the error.
            transaction.save(marker, condition=CountedEventModel.pk.does_not_exist())
            transaction.update(counter, actions=[_counter_column(event).add(1)])
    except TransactWriteError as error:
        if not _marker_already_written(error):
            raise
        return {"day": day, "already_counted": True}
    return {"day": day}
