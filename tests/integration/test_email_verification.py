"""The confirmation email on the local cloud's SES, checked as SES checks it: a sender whose
identity is gone is refused with MessageRejected, visible as the email effect's `last_error`,
and the message ends in the email DLQ; in the sandbox an unverified recipient is refused until
it is verified, and then the retried message is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud.ses import enforce_sending_rules
from tests.integration.helpers import (
    Owner,
    Stack,
    receive_all,
    sent_emails,
    wait_until,
)

pytest_plugins = ["tests.integration.fixtures"]

EFFECT_TIMEOUT = 60
NOT_VERIFIED = "Email address is not verified. The following identities failed the check in region"
# Long enough to verify the recipient between two receives, short enough for five of them.
SANDBOX_REDELIVERY_SECONDS = "3"


@pytest.fixture
def sesv2(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("sesv2")


@pytest.fixture
def sender(stack: Stack) -> str:
    return stack.output("EmailSender")


@pytest.fixture
def unverified_sender(sesv2: Any, sender: str) -> Iterator[str]:
    """The stack's sender identity deleted, as if it had never been verified; put back after."""
    sesv2.delete_email_identity(EmailIdentity=sender)
    try:
        yield sender
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)


@pytest.fixture
def ses_sandbox() -> Iterator[None]:
    """The local SES in sandbox mode, as `--ses-sandbox` starts it; off again after."""
    enforce_sending_rules(sandbox=True)
    try:
        yield
    finally:
        enforce_sending_rules(sandbox=False)


def email_effect_failure(owner: Owner, code: str) -> dict[str, Any]:
    return wait_until(
        lambda: (effect := owner.api.link(code)["effects"]["email"])["last_error"] and effect,
        EFFECT_TIMEOUT,
        what="the email effect to fail",
    )


def test_an_unverified_sender_fails_the_email_and_dead_letters_it(
    owner: Owner,
    stack: Stack,
    aws_endpoint: str,
    unverified_sender: str,
    quick_redelivery: Callable[[str], str],
) -> None:
    quick_redelivery("EmailQueue")

    code = owner.api.create_link("https://example.com/unverified-sender")["code"]

    failed = email_effect_failure(owner, code)
    assert "MessageRejected" in failed["last_error"]
    assert f"{NOT_VERIFIED} US-EAST-1: {unverified_sender}" in failed["last_error"]
    dead_letters = stack.dlq_url("EmailQueue")
    dead = wait_until(
        lambda: [m for m in receive_all(stack.sqs, dead_letters) if code in m["Body"]],
        EFFECT_TIMEOUT,
        what="the email message in its dead-letter queue",
    )
    assert len(dead) == 1
    assert sent_emails(aws_endpoint, owner.email) == []
    stack.sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=dead[0]["ReceiptHandle"])


def test_the_sandbox_refuses_an_unverified_recipient_until_it_is_verified(
    owner: Owner, stack: Stack, aws_endpoint: str, sesv2: Any, ses_sandbox: None
) -> None:
    email_queue = stack.queue_url("EmailQueue")
    original = stack.sqs.get_queue_attributes(
        QueueUrl=email_queue, AttributeNames=["VisibilityTimeout"]
    )["Attributes"]["VisibilityTimeout"]
    stack.sqs.set_queue_attributes(
        QueueUrl=email_queue, Attributes={"VisibilityTimeout": SANDBOX_REDELIVERY_SECONDS}
    )
    try:
        code = owner.api.create_link("https://example.com/sandbox")["code"]

        failed = email_effect_failure(owner, code)
        assert f"{NOT_VERIFIED} US-EAST-1: {owner.email}" in failed["last_error"]

        sesv2.create_email_identity(EmailIdentity=owner.email)
        wait_until(
            lambda: owner.api.link(code)["effects"]["email"]["state"] == "done",
            EFFECT_TIMEOUT,
            what="the retried email, to a verified recipient",
        )
    finally:
        stack.sqs.set_queue_attributes(
            QueueUrl=email_queue, Attributes={"VisibilityTimeout": original}
        )
    assert len(sent_emails(aws_endpoint, owner.email)) == 1


def test_the_start_up_report_says_what_ses_checks(startup_report: str, sender: str) -> None:
    (identity,) = [line for line in startup_report.splitlines() if "EmailSenderIdentity" in line]
    assert "verified, as after its link or DKIM records" in identity
    assert "mail from an unverified sender is refused (MessageRejected)" in startup_report
    assert "sandbox off" in startup_report
    assert sender == "no-reply@shortener.localhost"
