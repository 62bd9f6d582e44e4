"""The deliverer: one attempt at one delivery, and the message that carries the next.

A delivery's schedule (about a day: see `schedule`) outlasts what SQS can hold a message back
(15 minutes of delay, 12 hours of visibility), so every retry is a new message: a failed attempt
sends the next attempt's message, delayed and carrying its due time, before its own message is
acknowledged; a message that arrives before its due time is sent on again (a hop). The last
failed try sends the delivery to the delivery DLQ, as the first try of a new round that a
redrive starts.

Each attempt is made at most once (`delivery_log.claim` / `record_attempt`, conditional on the
attempt number), so a duplicate message or hop posts nothing; a crash between the log update and
the follow-up message is repaired by the message SQS hands back, which finds its attempt logged
and sends the follow-up again (the next attempt dedupes in turn). Nothing here raises for a
partner's failure: only an unreadable message or an AWS error fails a record, which SQS retries
and, after maxReceiveCount, dead-letters.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shortener import settings
from shortener.clock import parse_iso, to_iso, utcnow
from shortener.consumers.unreadable import read_message
from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.webhooks import (
    delivery_log,
    delivery_queue,
    disable_notice,
    endpoints,
    schedule,
    signing,
    ssrf,
    transport,
)
from shortener.webhooks.messages import DeliveryMessage

REQUEST_TIMEOUT_SECONDS = 15.0
GONE = 410

logger = Logger()
metrics = Metrics()


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    status_code: int | None = None
    error: str | None = None
    retry_after: str | None = None
    duration_ms: int = 0


def _count(metric: str) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def handle_record(record: SQSRecord) -> None:
    """Handle one queued message; raises only for what a retry of the message can fix."""
    message = read_message(record, DeliveryMessage.model_validate_json)
    logger.append_keys(
        delivery_id=message.delivery_id, endpoint_id=message.endpoint_id, attempt=message.attempt
    )
    try:
        deliver(message)
    finally:
        logger.remove_keys(["delivery_id", "endpoint_id", "attempt"])


def deliver(message: DeliveryMessage, now: datetime | None = None) -> None:
    """Make the attempt the message is for, if it is due and not made yet."""
    now = now or utcnow()
    if message.not_before is not None:
        wait = schedule.hop_delay_seconds(parse_iso(message.not_before), now)
        if wait > 0:
            delivery_queue.send_later(message, wait)
            _count("webhook_hop")
            return
    endpoint = endpoints.find(message.owner, message.endpoint_id)
    if endpoint is None:
        logger.info("endpoint deleted; delivery dropped")
        _count("webhook_endpoint_gone")
        return
    delivery = delivery_log.open_delivery(message)
    made = int(delivery.attempts or 0)
    if made >= message.attempt:
        if made == message.attempt:  # logged, but its follow-up may not have been sent
            _follow_up(endpoint, delivery, message)
        logger.info("attempt already made; duplicate dropped")
        _count("webhook_duplicate_dropped")
        return
    if made < message.attempt - 1:
        logger.info("an attempt from before the current one; dropped")
        _count("webhook_duplicate_dropped")
        return
    if not endpoint.enabled:
        delivery_log.record_skipped(delivery, message.attempt, "endpoint disabled")
        logger.info("endpoint disabled; delivery skipped")
        _count("webhook_skipped")
        return
    if not delivery_log.claim(delivery, message.attempt):
        logger.info("attempt being made elsewhere; duplicate dropped")
        _count("webhook_duplicate_dropped")
        return
    _attempt(endpoint, delivery, message, now)


def _attempt(
    endpoint: WebhookEndpointModel,
    delivery: WebhookDeliveryModel,
    message: DeliveryMessage,
    now: datetime,
) -> None:
    round_started_at = parse_iso(message.round_started_at) if message.round_started_at else now
    result = _post(endpoint, message)
    logger.info(
        "delivery attempt",
        extra={
            "delivered": result.delivered,
            "status_code": result.status_code,
            "error": result.error,
        },
    )
    finished = utcnow()
    next_at = None
    if not result.delivered and result.status_code != GONE:
        next_at = schedule.next_try_at(
            settings.webhook_retry_delays(),
            message.try_in_round,
            round_started_at=round_started_at,
            now=finished,
            retry_after=schedule.parse_retry_after(result.retry_after, finished),
        )
    state: delivery_log.DeliveryState = (
        "delivered" if result.delivered else "pending" if next_at else "failed"
    )
    recorded = delivery_log.record_attempt(
        delivery,
        message.attempt,
        state=state,
        at=to_iso(now),
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=result.error,
        next_attempt_at=to_iso(next_at) if next_at else None,
    )
    if not recorded:
        return
    message = message.model_copy(update={"round_started_at": to_iso(round_started_at)})
    if result.delivered:
        endpoints.record_delivered(endpoint)
        _count("webhook_delivered")
    elif result.status_code == GONE:
        if endpoints.disable(endpoint, result.error):
            logger.warning("endpoint disabled: the partner answered 410 Gone")
            _count("webhook_endpoint_disabled")
    elif next_at is None:
        _count("webhook_delivery_failed")
        if endpoints.record_failed_delivery(
            endpoint, failing_since=to_iso(round_started_at), error=result.error
        ):
            logger.warning(
                "endpoint disabled after failing deliveries",
                extra={"consecutive_failures": endpoint.consecutive_failures},
            )
            _count("webhook_endpoint_disabled")
    else:
        _count("webhook_attempt_failed")
    _follow_up(endpoint, delivery, message)


def _follow_up(
    endpoint: WebhookEndpointModel, delivery: WebhookDeliveryModel, message: DeliveryMessage
) -> None:
    """What must follow a logged attempt: the next try, or the dead letter, and the owner's
    notice of a disabling. Safe to repeat: each thing it sends dedupes downstream."""
    if delivery.state == "pending" and delivery.next_attempt_at:
        due = parse_iso(delivery.next_attempt_at)
        round_started_at = message.round_started_at or to_iso(utcnow())
        follow = message.next_try(round_started_at, delivery.next_attempt_at)
        delivery_queue.send_later(follow, schedule.hop_delay_seconds(due, utcnow()))
    elif delivery.state == "failed":
        delivery_queue.dead_letter(message.new_round(message.attempt + 1))
    if not endpoint.enabled and endpoint.disable_notice_pending:
        disable_notice.queue(endpoint)
        endpoints.notice_queued(endpoint)


def _post(endpoint: WebhookEndpointModel, message: DeliveryMessage) -> AttemptResult:
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        # Vetted again now, not only at subscription: DNS answers change.
        target = ssrf.vet_url(endpoint.url, allow_loopback=settings.allow_loopback_webhooks())
    except ssrf.UnsafeWebhookUrl as error:
        return AttemptResult(delivered=False, error=f"blocked: {error}", duration_ms=took())
    body = signing.payload(message.event)
    secrets_now = endpoints.signing_secrets(endpoint)
    headers = signing.signed_headers(secrets_now, message.delivery_id, body, utcnow())
    try:
        response = transport.post(target, body.encode(), headers, timeout=REQUEST_TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as error:
        return AttemptResult(
            delivered=False, error=f"{type(error).__name__}: {error}", duration_ms=took()
        )
    if 200 <= response.status < 300:
        return AttemptResult(delivered=True, status_code=response.status, duration_ms=took())
    snippet = response.snippet.strip()
    reason = f"HTTP {response.status}" + (f": {snippet}" if snippet else "")
    return AttemptResult(
        delivered=False,
        status_code=response.status,
        error=reason,
        retry_after=response.retry_after,
        duration_ms=took(),
    )
