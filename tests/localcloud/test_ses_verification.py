"""The local SES refuses what SES refuses: mail from an unverified sender, and in the sandbox
mail to an unverified recipient, as `MessageRejected` worded as AWS words it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.aws import MotoServer
from localcloud.ses import emulate_ses, enforce_sending_rules, report_lines

NOT_VERIFIED = (
    "Email address is not verified. The following identities failed the check in region US-EAST-1: "
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    emulate_ses(sandbox=False)
    server = MotoServer()
    yield server.start()
    server.stop()


@pytest.fixture
def sesv2(endpoint: str) -> Iterator[Any]:
    yield _client("sesv2", endpoint)
    enforce_sending_rules(sandbox=False)


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def _address(name: str, domain: str = "example.test") -> str:
    # moto's backends belong to the process: every test uses addresses of its own.
    return f"{name}-{uuid.uuid4().hex[:8]}@{domain}"


def _send_raw(sesv2: Any, sender: str, recipient: str) -> dict[str, Any]:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, "Your link"
    message.set_content("https://sho.rt/abc1234")
    return dict(
        sesv2.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [recipient]},
            Content={"Raw": {"Data": message.as_bytes()}},
        )
    )


def _rejection(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = error.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_mail_from_an_unverified_sender_is_rejected_as_ses_words_it(sesv2: Any) -> None:
    enforce_sending_rules(sandbox=False)
    sender = _address("no-reply")
    with pytest.raises(ClientError) as refused:
        _send_raw(sesv2, sender, _address("owner"))
    assert _rejection(refused) == ("MessageRejected", NOT_VERIFIED + sender, 400)


def test_a_verified_address_or_its_domain_may_send_to_anyone_out_of_the_sandbox(
    sesv2: Any,
) -> None:
    enforce_sending_rules(sandbox=False)
    sender = _address("no-reply")
    sesv2.create_email_identity(EmailIdentity=sender)
    assert _send_raw(sesv2, sender, _address("owner"))["MessageId"]
    sesv2.create_email_identity(EmailIdentity="mail.example.test")
    assert _send_raw(sesv2, _address("alerts", "mail.example.test"), _address("owner"))


def test_the_sandbox_refuses_an_unverified_recipient_until_it_is_verified(sesv2: Any) -> None:
    enforce_sending_rules(sandbox=True)
    sender, recipient = _address("no-reply"), _address("owner")
    sesv2.create_email_identity(EmailIdentity=sender)
    with pytest.raises(ClientError) as refused:
        _send_raw(sesv2, sender, recipient)
    assert _rejection(refused) == ("MessageRejected", NOT_VERIFIED + recipient, 400)

    sesv2.create_email_identity(EmailIdentity=recipient)
    assert _send_raw(sesv2, sender, recipient)["MessageId"]


def test_the_sandbox_lets_mail_through_to_the_mailbox_simulator(sesv2: Any) -> None:
    enforce_sending_rules(sandbox=True)
    sender = _address("no-reply")
    sesv2.create_email_identity(EmailIdentity=sender)
    assert _send_raw(sesv2, sender, "success@simulator.amazonses.com")["MessageId"]


def test_ses_v1_sends_are_checked_the_same_way(endpoint: str, sesv2: Any) -> None:
    enforce_sending_rules(sandbox=True)
    ses = _client("ses", endpoint)
    sender, recipient = _address("no-reply"), _address("owner")
    ses.verify_email_identity(EmailAddress=sender)
    with pytest.raises(ClientError) as refused:
        ses.send_email(
            Source=sender,
            Destination={"ToAddresses": [recipient]},
            Message={"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}},
        )
    assert _rejection(refused)[:2] == ("MessageRejected", NOT_VERIFIED + recipient)


def test_the_report_says_whether_the_sandbox_is_on(sesv2: Any) -> None:
    enforce_sending_rules(sandbox=True)
    assert "sandbox on" in " ".join(report_lines())
    enforce_sending_rules(sandbox=False)
    assert "sandbox off" in " ".join(report_lines())


def test_get_account_says_whether_the_sandbox_is_on_and_leaving_it_is_granted_at_once(
    sesv2: Any,
) -> None:
    enforce_sending_rules(sandbox=True)
    sandboxed = sesv2.get_account()
    assert sandboxed["ProductionAccessEnabled"] is False
    assert sandboxed["SendQuota"]["Max24HourSend"] == 200

    sesv2.put_account_details(
        MailType="TRANSACTIONAL",
        WebsiteURL="https://example.org",
        UseCaseDescription="One confirmation email per short link",
        ProductionAccessEnabled=True,
    )

    account = sesv2.get_account()
    assert account["ProductionAccessEnabled"] is True
    assert account["Details"]["ReviewDetails"]["Status"] == "GRANTED"
    sender, recipient = _address("no-reply"), _address("owner")
    sesv2.create_email_identity(EmailIdentity=sender)
    assert _send_raw(sesv2, sender, recipient)["MessageId"]
