"""The Pipe's enrichment: DynamoDB stream records in, the details of link events out.

The Pipe's filter already passes only link items; a record that still yields no event (a write
no user can see, such as a touch of `updated_at` alone) is dropped here, so it reaches no
consumer. The Pipe turns each returned detail into one event on the bus.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shortener.events import event_from_stream_record


def link_event_details(
    records: Iterable[dict[str, Any]], short_base_url: str
) -> list[dict[str, Any]]:
    events = (event_from_stream_record(record, short_base_url) for record in records)
    return [event.model_dump(mode="json") for event in events if event is not None]
