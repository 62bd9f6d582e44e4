"""The deliverer: one attempt at one delivery, and what becomes of the message after it.

Retries ride on SQS itself. A failed attempt sets its message's visibility timeout to the next
delay of the schedule and reports the record as failed, so SQS hands it back after the delay and
moves it to the dead-letter queue after the last try (the queue's maxReceiveCount is the number
of delays plus one). The attempt number is the message's receive count.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shortener import settings
from shortener.clock import utcnow
from shortener.consumers.unreadable import read_message
from shortener.models import WebhookDeliveryModel, WebhookEndpointModel
from shortener.webhooks import delivery_log, delivery_queue, endpoints, signing, ssrf, transport
from shortener.webhooks.messages import DeliveryMessage

REQUEST_TIMEOUT_SECONDS = 5.0

logger = Logger()
metrics = Metrics()


class DeliveryAttemptFailed(Exception):
    """Tells the batch processor to report the record, so SQS keeps the message."""


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


def _count(metric: str) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def max_attempts() -> int:
    return len(settings.webhook_retry_delays()) + 1


def handle_record(record: SQSRecord) -> None:
    """Deliver one queued message; raise to have SQS redeliver it after its retry delay."""
    message = read_message(record, DeliveryMessage.model_validate_json)
    attempt = int(record.attributes.approximate_receive_count)
    logger.append_keys(delivery_id=message.delivery_id, endpoint_id=message.endpoint_id)
    try:
        retry_in = deliver(message, attempt)
    finally:
        logger.remove_keys(["delivery_id", "endpoint_id"])
    if retry_in is not None:
        delivery_queue.redeliver_after(record.event_source_arn, record.receipt_handle, retry_in)
        raise DeliveryAttemptFailed(f"attempt {attempt} of {message.delivery_id} failed")


def deliver(message: DeliveryMessage, attempt: int) -> int | None:
    """Make attempt number `attempt`: None when the message is done with, else the seconds
    after which SQS should hand it back (0 on the last attempt: straight to the DLQ)."""
    endpoint = endpoints.find(message.owner, message.endpoint_id)
    if endpoint is None:
        logger.info("endpoint deleted; delivery dropped")
        _count("webhook_endpoint_gone")
        return None
    delivery = delivery_log.open_delivery(message)
    if delivery.state == "delivered":
        # A duplicate, a redrive or a replay of a delivery that already arrived.
        logger.info("already delivered; duplicate dropped")
        _count("webhook_duplicate_dropped")
        return None
    if not endpoint.enabled:
        delivery_log.record_skipped(delivery, "endpoint disabled")
        logger.info("endpoint disabled; delivery skipped")
        _count("webhook_skipped")
        return None

    result = _post(endpoint, message)
    logger.info(
        "delivery attempt",
        extra={
            "attempt": attempt,
            "delivered": result.delivered,
            "status_code": result.status_code,
            "error": result.error,
        },
    )
    if result.delivered:
        _delivered(endpoint, delivery, result)
        return None
    if attempt < max_attempts():
        delivery_log.record_attempt(
            delivery, state="pending", status_code=result.status_code, error=result.error
        )
        _count("webhook_attempt_failed")
        return settings.webhook_retry_delays()[attempt - 1]
    _failed(endpoint, delivery, result)
    return 0


def _post(endpoint: WebhookEndpointModel, message: DeliveryMessage) -> AttemptResult:
    try:
        # Vetted again now, not only at subscription: DNS answers change.
        target = ssrf.vet_url(endpoint.url, allow_loopback=settings.allow_loopback_webhooks())
    except ssrf.UnsafeWebhookUrl as error:
        return AttemptResult(delivered=False, error=f"blocked: {error}")
    body = signing.payload(message.event)
    headers = signing.signed_headers(endpoint.secret, message.delivery_id, body, utcnow())
    try:
        response = transport.post(target, body.encode(), headers, timeout=REQUEST_TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as error:
        return AttemptResult(delivered=False, error=f"{type(error).__name__}: {error}")
    if 200 <= response.status < 300:
        return AttemptResult(delivered=True, status_code=response.status)
    snippet = response.snippet.strip()
    reason = f"HTTP {response.status}" + (f": {snippet}" if snippet else "")
    return AttemptResult(delivered=False, status_code=response.status, error=reason)


def _delivered(
    endpoint: WebhookEndpointModel, delivery: WebhookDeliveryModel, result: AttemptResult
) -> None:
    delivery_log.record_attempt(
        delivery, state="delivered", status_code=result.status_code, error=None
    )
    endpoints.record_delivered(endpoint)
    _count("webhook_delivered")


def _failed(
    endpoint: WebhookEndpointModel, delivery: WebhookDeliveryModel, result: AttemptResult
) -> None:
    """The last attempt failed: the delivery is failed and counts against the endpoint."""
    delivery_log.record_attempt(
        delivery, state="failed", status_code=result.status_code, error=result.error
    )
    _count("webhook_delivery_failed")
    if endpoints.record_failed_delivery(endpoint):
        logger.warning(
            "endpoint disabled after consecutive failed deliveries",
            extra={"consecutive_failures": endpoint.consecutive_failures},
        )
        _count("webhook_endpoint_disabled")
