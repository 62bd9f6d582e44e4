"""The owner's email when an endpoint is disabled: its own asynchronous effect.

The deliverer only queues a notice (one SQS message on the notice queue) in the same step that
disabled the endpoint; the webhook_notice function sends it through SES. The email is sent
once per disabling: the function is idempotent on (endpoint id, disabled_at), so a duplicate
message, a retry or a DLQ redrive answers from the idempotency record instead of mailing again.
A notice that cannot be sent ends in the notice DLQ, never holding up a delivery.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from shortener import settings
from shortener.aws_clients import bounded_config, client
from shortener.consumers.runner import IDEMPOTENCY_WINDOW_SECONDS
from shortener.consumers.unreadable import ConsumerBatchProcessor, read_message
from shortener.models import WebhookEndpointModel
from shortener.owner_mail import send_to_owner

logger = Logger()


class DisableNotice(BaseModel):
    notice_id: str
    owner: str
    endpoint_id: str
    url: str
    disabled_at: str
    last_error: str | None

    @classmethod
    def of(cls, endpoint: WebhookEndpointModel) -> DisableNotice:
        disabled_at = endpoint.disabled_at or ""
        return cls(
            notice_id=f"{endpoint.endpoint_id}@{disabled_at}",
            owner=endpoint.owner,
            endpoint_id=endpoint.endpoint_id,
            url=endpoint.url,
            disabled_at=disabled_at,
            last_error=endpoint.last_error,
        )


def queue(endpoint: WebhookEndpointModel) -> None:
    client("sqs").send_message(
        QueueUrl=settings.webhook_notice_queue_url(),
        MessageBody=DisableNotice.of(endpoint).model_dump_json(),
    )


def email(notice: DisableNotice, sender: str, recipient: str) -> EmailMessage:
    reenable = f'PATCH /webhooks/{notice.endpoint_id} {{"enabled": true}}'
    recover = f'POST /webhooks/{notice.endpoint_id}/recover {{"since": "<when it broke>"}}'
    last_error = notice.last_error or "(none recorded)"
    message = EmailMessage()
    message["Subject"] = f"Your webhook endpoint {notice.endpoint_id} was disabled"
    message["From"] = sender
    message["To"] = recipient
    message.set_content(
        "We stopped sending deliveries to your webhook endpoint:\n"
        f"{notice.url}\n\n"
        f"It was disabled at {notice.disabled_at}. The last error was:\n"
        f"{last_error}\n\n"
        "Deliveries for it are now recorded as skipped. Once the endpoint works again,\n"
        "re-enable it with your API key:\n"
        f"{reenable}\n"
        "and send what it missed:\n"
        f"{recover}\n"
    )
    url, error = html.escape(notice.url), html.escape(last_error)
    message.add_alternative(
        "<html><body>\n"
        "<p>We stopped sending deliveries to your webhook endpoint:</p>\n"
        f"<p>{url}</p>\n"
        f"<p>It was disabled at {html.escape(notice.disabled_at)}. The last error was:</p>\n"
        f"<pre>{error}</pre>\n"
        "<p>Deliveries for it are now recorded as skipped. Once the endpoint works again, "
        "re-enable it with your API key:</p>\n"
        f"<pre>{html.escape(reenable)}</pre>\n"
        "<p>and send what it missed:</p>\n"
        f"<pre>{html.escape(recover)}</pre>\n"
        "</body></html>\n",
        subtype="html",
    )
    return message


def send(notice: DisableNotice) -> dict[str, Any]:
    """Email the owner; skipped (not failed) when the owner has no address."""
    result = send_to_owner(notice.owner, lambda sender, recipient: email(notice, sender, recipient))
    return {"state": "sent", **result} if "message_id" in result else result


class NoticeConsumer:
    """The webhook_notice function: an SQS batch of notices, each emailed once (Powertools
    idempotency on the notice id, kept as long as a notice can wait in its DLQ)."""

    def __init__(self) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        self.processor = ConsumerBatchProcessor()
        self.config = IdempotencyConfig(
            event_key_jmespath="notice_id", expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS
        )
        persistence = DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name(), boto_config=bounded_config()
        )
        self._send_once = idempotent_function(
            data_keyword_argument="notice",
            persistence_store=persistence,
            config=self.config,
            key_prefix="shortener.webhook_notice",
        )(self._send)

    @staticmethod
    def _send(notice: dict[str, Any]) -> dict[str, Any]:
        return send(DisableNotice.model_validate(notice))

    def _handle_record(self, record: SQSRecord) -> None:
        notice = read_message(record, DisableNotice.model_validate_json)
        result = self._send_once(notice=notice.model_dump(mode="json"))
        logger.info("disable notice", extra={"endpoint_id": notice.endpoint_id, **result})

    def lambda_handler(self) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
        @logger.inject_lambda_context
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            self.config.register_lambda_context(context)
            return process_partial_response(  # type: ignore[return-value]
                event=event,
                record_handler=self._handle_record,
                processor=self.processor,
                context=context,
            )

        return handler
