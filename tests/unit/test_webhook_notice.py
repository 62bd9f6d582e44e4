"""The webhook_notice function: an endpoint's owner is emailed once when it is disabled."""

from __future__ import annotations

import os
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from shortener.models import WebhookEndpointModel
from shortener.webhooks import endpoints
from shortener.webhooks.disable_notice import DisableNotice
from tests.unit.conftest import new_lambda_context
from tests.unit.consumer_events import failed_message_ids, sqs_message
from tests.unit.consumers_fixtures import load_handler

pytest_plugins = ["tests.unit.consumers_fixtures"]

URL = "https://hooks.partner.example/shortener"


def sent() -> list[EmailMessage]:
    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]]
    return [
        message_from_string(raw.raw_data, policy=policy.default) for raw in backend.sent_messages
    ]


def disabled_endpoint(owner: str) -> WebhookEndpointModel:
    endpoint = endpoints.create(owner, URL, ["link.created"])
    assert endpoints.disable(endpoint, "HTTP 410: gone for good")
    return endpoint


def run(*notices: DisableNotice) -> dict[str, Any]:
    handler = load_handler("webhook_notice")
    event = {"Records": [sqs_message(notice.model_dump_json()) for notice in notices]}
    return dict(handler(event, new_lambda_context()))


def test_the_owner_is_told_once_which_endpoint_stopped_why_and_how_to_re_enable_it(
    api_key: Any, email_sender: str
) -> None:
    api_key("alice", email="alice@example.com")
    endpoint = disabled_endpoint("alice")
    notice = DisableNotice.of(endpoint)

    assert failed_message_ids(run(notice)) == []
    assert failed_message_ids(run(notice, notice)) == []  # a duplicate and a redrive

    [message] = sent()
    assert message["To"] == "alice@example.com"
    assert message["From"] == email_sender
    assert endpoint.endpoint_id in message["Subject"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert URL in text
    assert "HTTP 410: gone for good" in text
    assert f'PATCH /webhooks/{endpoint.endpoint_id} {{"enabled": true}}' in text
    assert f"POST /webhooks/{endpoint.endpoint_id}/recover" in text


def test_a_second_disabling_later_is_a_second_notice(api_key: Any, email_sender: str) -> None:
    api_key("alice", email="alice@example.com")
    endpoint = disabled_endpoint("alice")
    run(DisableNotice.of(endpoint))
    endpoints.change(endpoint, enabled=True)
    assert endpoints.disable(endpoint, "HTTP 500: again")

    run(DisableNotice.of(endpoint))

    assert len(sent()) == 2


def test_an_owner_without_an_address_gets_nothing_and_nothing_fails(
    api_key: Any, email_sender: str
) -> None:
    api_key("bob")
    assert failed_message_ids(run(DisableNotice.of(disabled_endpoint("bob")))) == []
    assert sent() == []


def test_a_notice_ses_refuses_fails_for_a_retry_and_is_sent_once_it_can_be(
    api_key: Any, aws: Any
) -> None:
    api_key("alice", email="alice@example.com")
    notice = DisableNotice.of(disabled_endpoint("alice"))

    with pytest.raises(BatchProcessingError):  # the sender is not a verified identity yet
        run(notice)
    assert sent() == []

    boto3.client("sesv2").create_email_identity(EmailIdentity=os.environ["EMAIL_SENDER"])
    assert failed_message_ids(run(notice)) == []  # SQS's retry (or a redrive of the DLQ)
    assert len(sent()) == 1
