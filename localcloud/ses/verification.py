"""The check SES makes before it accepts a message, applied to moto's SES (v1 and v2 share it).

Every send of moto's SES, v2's `SendEmail` included, goes through its core backend's
`send_email`, `send_templated_email` or `send_raw_email`: wrapping those three checks every
way in. The rules are the process's, like moto's backends.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import message_from_string
from email.message import Message
from email.utils import getaddresses
from typing import Any

from moto.ses.exceptions import MessageRejectedError
from moto.ses.models import SESBackend

# Where a raw message names its sender and, without explicit destinations, its recipients.
_SENDER_HEADERS = ("From", "Sender", "Return-Path")
_RECIPIENT_HEADERS = ("To", "Cc", "Bcc")
# The sandbox also lets mail through to the mailbox simulator's test inboxes
# (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator).
MAILBOX_SIMULATOR_DOMAIN = "simulator.amazonses.com"


@dataclass
class SendingRules:
    """What the local SES refuses besides an unverified sender."""

    sandbox: bool = False
    # What PutAccountDetails was told, for GetAccount's `Details`.
    account_details: dict[str, Any] = field(default_factory=dict)


RULES = SendingRules()


def enforce_sending_rules(*, sandbox: bool) -> None:
    """Refuse unverified senders from now on, and unverified recipients too when `sandbox`."""
    RULES.sandbox = sandbox
    if getattr(SESBackend.send_raw_email, "checks_verification", False):
        return
    SESBackend.send_email = _checked(SESBackend.send_email, _simple_addresses)  # type: ignore[method-assign]
    SESBackend.send_templated_email = _checked(  # type: ignore[method-assign]
        SESBackend.send_templated_email, _simple_addresses
    )
    SESBackend.send_raw_email = _checked(SESBackend.send_raw_email, _raw_addresses)  # type: ignore[method-assign]


def report_lines(rules: SendingRules = RULES) -> list[str]:
    """What the start-up report says about SES."""
    recipients = (
        "sandbox on: unverified recipients are refused too (--ses-sandbox)"
        if rules.sandbox
        else "sandbox off (production access): any recipient"
    )
    return [
        "SES        mail from an unverified sender is refused (MessageRejected); "
        f"{recipients}; verify more with `aws sesv2 create-email-identity` (verified at once)"
    ]


Addresses = tuple[list[str], list[str]]


def _simple_addresses(call: dict[str, Any]) -> Addresses:
    destinations: dict[str, list[str]] = call["destinations"]
    return [call["source"]], [address for group in destinations.values() for address in group]


def _raw_addresses(call: dict[str, Any]) -> Addresses:
    message = message_from_string(call["raw_data"])
    senders = [call["source"]] if call["source"] else []
    senders += _header_addresses(message, _SENDER_HEADERS)
    return senders, list(call["destinations"]) or _header_addresses(message, _RECIPIENT_HEADERS)


def _header_addresses(message: Message, headers: Iterable[str]) -> list[str]:
    values = [str(value) for header in headers for value in message.get_all(header, [])]
    return [address for _, address in getaddresses(values) if address]


def _checked(
    send: Callable[..., Any], addresses: Callable[[dict[str, Any]], Addresses]
) -> Callable[..., Any]:
    signature = inspect.signature(send)

    @functools.wraps(send)
    def checked_send(backend: SESBackend, *args: Any, **kwargs: Any) -> Any:
        senders, recipients = addresses(signature.bind(backend, *args, **kwargs).arguments)
        failed = [address for address in senders if not _is_verified(backend, address)]
        if RULES.sandbox:
            failed += [
                address
                for address in recipients
                if not _is_verified(backend, address) and not _is_simulator(address)
            ]
        if failed:
            backend.rejected_messages_count += 1
            raise MessageRejectedError(
                "Email address is not verified. The following identities failed the check in "
                f"region {backend.region_name.upper()}: {', '.join(dict.fromkeys(failed))}"
            )
        return send(backend, *args, **kwargs)

    checked_send.checks_verification = True  # type: ignore[attr-defined]
    return checked_send


def _is_simulator(address: str) -> bool:
    return address.rpartition("@")[2].lower() == MAILBOX_SIMULATOR_DOMAIN


def _is_verified(backend: SESBackend, address: str) -> bool:
    """An address is covered by its own identity (case as created) or by its domain's."""
    identities = backend.email_identities
    return address in identities or address.rpartition("@")[2].lower() in identities
