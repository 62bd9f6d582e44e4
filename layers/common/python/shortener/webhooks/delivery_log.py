"""Data access for the delivery log: one item per (event, endpoint), updated on every attempt.

Each attempt is made at most once, whatever SQS does (a message received twice, a hop sent twice,
a redrive and a recovery of the same delivery): a deliverer first claims attempt N with a
conditional update that holds only while `attempts` is N - 1 and no other deliverer holds a live
claim; it then posts, and records the outcome with a second conditional update that sets
`attempts` to N. A deliverer that crashed after claiming loses its claim when the lease runs out,
so the message SQS hands back makes the attempt after all: nothing is lost.

The log keeps 30 days after a delivery's last activity (the table's TTL on `expires_at`), holds
each attempt's time, status code, duration and error (with at most the partner's first bytes)
and never a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from shortener.clock import now_iso, to_iso, utcnow
from shortener.models import DeliveryAttempt, WebhookDeliveryModel, condition_failed
from shortener.page_cursors import decode_cursor_key, encode_cursor
from shortener.webhooks.messages import DeliveryMessage, event_code

DeliveryState = Literal["pending", "delivered", "failed", "skipped"]
STATES: tuple[DeliveryState, ...] = ("pending", "delivered", "failed", "skipped")
FINISHED_STATES = ("delivered", "failed", "skipped")
MAX_ERROR_LENGTH = 300
RETENTION = timedelta(days=30)
# Longer than an attempt can take (the 15 s request timeout, inside a 30 s function timeout),
# shorter than the queue's visibility timeout, after which SQS hands a crashed attempt back.
CLAIM_LEASE = timedelta(seconds=60)
# The attempts shown per delivery; older ones give way (the counters keep counting).
MAX_LOGGED_ATTEMPTS = 50
_CURSOR_KEYS = frozenset({"pk", "sk", "created_at"})


def _key(endpoint_id: str, delivery_id: str) -> tuple[str, str]:
    return (
        WebhookDeliveryModel.partition_key(endpoint_id),
        WebhookDeliveryModel.sort_key(delivery_id),
    )


def _expiry(moment: datetime) -> int:
    return int((moment + RETENTION).timestamp())


def find(endpoint_id: str, delivery_id: str) -> WebhookDeliveryModel | None:
    try:
        return WebhookDeliveryModel.get(*_key(endpoint_id, delivery_id), consistent_read=True)
    except DoesNotExist:
        return None


def open_delivery(message: DeliveryMessage) -> WebhookDeliveryModel:
    """The log item of a delivery, created pending unless it exists (a duplicate or a replay)."""
    now = utcnow()
    delivery = WebhookDeliveryModel(
        *_key(message.endpoint_id, message.delivery_id),
        delivery_id=message.delivery_id,
        owner=message.owner,
        event_id=message.event.id,
        event_type=message.event.type,
        code=event_code(message.event),
        event=message.event.model_dump_json(),
        attempts=0,
        state="pending",
        created_at=to_iso(now),
        updated_at=to_iso(now),
        expires_at=_expiry(now),
    )
    try:
        delivery.save(condition=WebhookDeliveryModel.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        # None only if purged in between, its endpoint just deleted: nothing more will happen.
        return find(message.endpoint_id, message.delivery_id) or delivery
    return delivery


def message_of(delivery: WebhookDeliveryModel, endpoint_id: str) -> DeliveryMessage:
    """The message that delivers this log item's event again, as a fresh round."""
    return DeliveryMessage.model_validate(
        {
            "delivery_id": delivery.delivery_id,
            "endpoint_id": endpoint_id,
            "owner": delivery.owner,
            "event": json.loads(delivery.event or "null"),
        }
    ).new_round(int(delivery.attempts or 0) + 1)


@dataclass(frozen=True)
class DeliveryPage:
    items: list[WebhookDeliveryModel]
    next_cursor: str | None


def page_for_endpoint(endpoint_id: str, limit: int, cursor: str | None = None) -> DeliveryPage:
    """One page of an endpoint's deliveries, newest first, and the cursor of the next."""
    results = WebhookDeliveryModel.by_time.query(
        WebhookDeliveryModel.partition_key(endpoint_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=(
            decode_cursor_key(
                cursor, _CURSOR_KEYS, {"pk": WebhookDeliveryModel.partition_key(endpoint_id)}
            )
            if cursor
            else None
        ),
    )
    items = list(results)
    last = results.last_evaluated_key
    return DeliveryPage(items, encode_cursor(last) if last and len(items) == limit else None)


def list_for_endpoint(endpoint_id: str) -> list[WebhookDeliveryModel]:
    """Every delivery of an endpoint, newest first."""
    return list(
        WebhookDeliveryModel.by_time.query(
            WebhookDeliveryModel.partition_key(endpoint_id), scan_index_forward=False
        )
    )


def purge(endpoint_id: str) -> None:
    """Delete an endpoint's whole log (its endpoint is gone; nobody can read it any more)."""
    keys_only = WebhookDeliveryModel.query(
        WebhookDeliveryModel.partition_key(endpoint_id), attributes_to_get=["pk", "sk"]
    )
    with WebhookDeliveryModel.batch_write() as batch:
        for delivery in keys_only:
            batch.delete(delivery)


def _update(delivery: WebhookDeliveryModel, actions: list[Action], condition: Any = None) -> bool:
    """Update the log item unless it was purged meanwhile or `condition` fails."""
    now = utcnow()
    present = WebhookDeliveryModel.pk.exists()
    try:
        delivery.update(
            [
                *actions,
                WebhookDeliveryModel.updated_at.set(to_iso(now)),
                WebhookDeliveryModel.expires_at.set(_expiry(now)),
            ],
            condition=present if condition is None else present & condition,
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _attempts_are(count: int) -> Any:
    if count == 0:
        return WebhookDeliveryModel.attempts.does_not_exist() | (WebhookDeliveryModel.attempts == 0)
    return WebhookDeliveryModel.attempts == count


def claim(delivery: WebhookDeliveryModel, attempt: int) -> bool:
    """Take attempt number `attempt`; False when it is made already or being made elsewhere."""
    now = now_iso()
    unclaimed = (
        WebhookDeliveryModel.claimed_until.does_not_exist()
        | (WebhookDeliveryModel.claimed_until < now)
        | (WebhookDeliveryModel.claimed_attempt < attempt)
    )
    return _update(
        delivery,
        [
            WebhookDeliveryModel.claimed_attempt.set(attempt),
            WebhookDeliveryModel.claimed_until.set(to_iso(utcnow() + CLAIM_LEASE)),
        ],
        _attempts_are(attempt - 1) & unclaimed,
    )


def record_attempt(
    delivery: WebhookDeliveryModel,
    attempt: int,
    *,
    state: DeliveryState,
    at: str,
    status_code: int | None,
    duration_ms: int,
    error: str | None,
    next_attempt_at: str | None = None,
) -> bool:
    """Log the outcome of the claimed attempt `attempt`; False if it was logged already."""
    error = None if error is None else error[:MAX_ERROR_LENGTH]
    logged = DeliveryAttempt(at=at, status_code=status_code, duration_ms=duration_ms, error=error)
    history = [*(delivery.attempt_log or []), logged][-MAX_LOGGED_ATTEMPTS:]
    actions: list[Action] = [
        WebhookDeliveryModel.attempts.set(attempt),
        WebhookDeliveryModel.state.set(state),
        WebhookDeliveryModel.attempt_log.set(history),
        WebhookDeliveryModel.claimed_until.remove(),
    ]
    code, last_error, next_at = (
        WebhookDeliveryModel.last_status_code,
        WebhookDeliveryModel.last_error,
        WebhookDeliveryModel.next_attempt_at,
    )
    actions.append(code.remove() if status_code is None else code.set(status_code))
    actions.append(last_error.remove() if error is None else last_error.set(error))
    actions.append(next_at.remove() if next_attempt_at is None else next_at.set(next_attempt_at))
    done = _update(
        delivery,
        actions,
        _attempts_are(attempt - 1) & (WebhookDeliveryModel.claimed_attempt == attempt),
    )
    if done:
        delivery.attempts, delivery.state, delivery.attempt_log = attempt, state, history
        delivery.next_attempt_at = next_attempt_at
    return done


def record_skipped(delivery: WebhookDeliveryModel, attempt: int, reason: str) -> bool:
    """No attempt made (the endpoint is disabled): say so instead of leaving it pending."""
    return _update(
        delivery,
        [
            WebhookDeliveryModel.state.set("skipped"),
            WebhookDeliveryModel.last_error.set(reason),
            WebhookDeliveryModel.next_attempt_at.remove(),
        ],
        _attempts_are(attempt - 1),
    )


def reopen(delivery: WebhookDeliveryModel) -> bool:
    """Mark a finished delivery pending again before it is queued anew (resend, recovery);
    False when it is not finished (being tried) or was reopened by someone else just now."""
    return _update(
        delivery,
        [WebhookDeliveryModel.state.set("pending"), WebhookDeliveryModel.next_attempt_at.remove()],
        WebhookDeliveryModel.state.is_in(*FINISHED_STATES)
        & _attempts_are(int(delivery.attempts or 0)),
    )
