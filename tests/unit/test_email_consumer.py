"""The email consumer: one confirmation per new link to the owner's address, text and HTML."""

from __future__ import annotations

import os
from email import message_from_string, policy
from email.message import EmailMessage

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from shortener import effects
from tests.unit.consumer_events import (
    created,
    failed_message_ids,
    sqs_event,
)

pytest_plugins = ["tests.unit.consumers_fixtures"]

CODE = "mail123"


def sent() -> list[EmailMessage]:
    """Every message SES accepted, as its recipient would parse it."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]]
    return [
        message_from_string(raw.raw_data, policy=policy.default) for raw in backend.sent_messages
    ]


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None
    assert body.get_content_subtype() == subtype
    return str(body.get_content())


def test_the_owner_gets_one_confirmation_with_the_short_url_and_qr_link(
    email_consumer, api_key, email_sender, lambda_context
):
    api_key("alice", email="alice@example.com")
    event = created(CODE)

    assert failed_message_ids(email_consumer(sqs_event(event), lambda_context)) == []

    (message,) = sent()
    assert message["To"] == "alice@example.com"
    assert message["From"] == email_sender
    assert "https://sho.rt/mail123" in message["Subject"]
    for text in (part(message, "plain"), part(message, "html")):
        assert "https://sho.rt/mail123" in text
        assert "https://sho.rt/links/mail123/qr" in text
        assert "https://example.com/a/long/path" in text
    assert '<a href="https://sho.rt/mail123">' in part(message, "html")
    status = effects.current(CODE, "email")
    assert status is not None
    assert status.state == "done"


def test_a_repeated_or_redriven_event_sends_no_second_email(
    email_consumer, api_key, email_sender, lambda_context
):
    api_key("alice", email="alice@example.com")
    event = created(CODE)

    for batch in (sqs_event(event), sqs_event(event), sqs_event(event, event)):
        assert failed_message_ids(email_consumer(batch, lambda_context)) == []

    assert len(sent()) == 1


def test_an_owner_without_email_is_skipped(email_consumer, api_key, email_sender, lambda_context):
    api_key("alice")
    api_key("alice", email="old@example.com", revoked=True)

    assert failed_message_ids(email_consumer(sqs_event(created(CODE)), lambda_context)) == []

    assert sent() == []
    status = effects.current(CODE, "email")
    assert status is not None
    assert status.state == "skipped"


def test_the_newest_live_key_with_an_address_decides(
    email_consumer, api_key, email_sender, lambda_context
):
    api_key("alice", email="first@example.com")
    api_key("alice", email="second@example.com")
    api_key("alice", email="revoked@example.com", revoked=True)
    api_key("alice")

    assert failed_message_ids(email_consumer(sqs_event(created(CODE)), lambda_context)) == []

    assert [message["To"] for message in sent()] == ["second@example.com"]


def test_a_refused_send_fails_its_record_only_and_is_sent_once_on_retry(
    email_consumer, api_key, lambda_context
):
    # The sender is not a verified identity yet: SES refuses alice's message.
    api_key("alice", email="alice@example.com")
    batch = sqs_event(created(CODE), created("bobs123", owner="bob"))

    response = email_consumer(batch, lambda_context)

    assert failed_message_ids(response) == [batch["Records"][0]["messageId"]]
    status = effects.current(CODE, "email")
    assert status is not None
    assert (status.state, status.attempts) == ("failed", 1)
    assert "MessageRejected" in (status.last_error or "")

    boto3.client("sesv2").create_email_identity(EmailIdentity=os.environ["EMAIL_SENDER"])
    assert failed_message_ids(email_consumer(batch, lambda_context)) == []

    assert [message["To"] for message in sent()] == ["alice@example.com"]
    status = effects.current(CODE, "email")
    assert status is not None
    assert (status.state, status.attempts) == ("done", 1)


def test_a_malformed_message_fails_alone(email_consumer, api_key, email_sender, lambda_context):
    api_key("alice", email="alice@example.com")
    batch = sqs_event(created(CODE), '{"detail": "no event"}')

    assert failed_message_ids(email_consumer(batch, lambda_context)) == [
        batch["Records"][1]["messageId"]
    ]
    assert len(sent()) == 1
