"""SES as AWS behaves for a sender: mail only from verified identities, and in the sandbox only
to verified ones.

moto counts every identity it holds as verified, and it does refuse a sender it holds no
identity for, but in its own words; it never refuses a recipient. This package refuses what SES
refuses, worded as SES words it:

- "Before you can send an email using Amazon SES, you must create and verify each identity that
  you're going to use as a From, Source, Sender, or Return-Path address"
  (https://docs.aws.amazon.com/ses/latest/dg/verify-addresses-and-domains.html); an address is
  covered by its own identity or by its domain's.
- In the sandbox "you can only send mail to verified email addresses and domains, or to the
  Amazon SES mailbox simulator"; out of it, to any recipient
  (https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html).
- The refusal is `MessageRejected`, HTTP 400: "Email address is not verified. The following
  identities failed the check in region US-EAST-1: ..."
  (https://repost.aws/knowledge-center/ses-554-400-message-rejected-error).

`aws sesv2 get-account` answers whether the sandbox is on (`ProductionAccessEnabled`), and
`put-account-details --production-access-enabled` leaves it (`account.py`).

Verification itself is local: the identities a template declares are created verified (as once
their link is followed or their DKIM records are published), and so is any identity created
through the API (`aws sesv2 create-email-identity`), since no mail or DNS reaches a laptop.
"""

from localcloud.ses.account import serve_account_details
from localcloud.ses.verification import SendingRules, enforce_sending_rules, report_lines

__all__ = ["SendingRules", "emulate_ses", "enforce_sending_rules", "report_lines"]


def emulate_ses(*, sandbox: bool) -> None:
    """SES's sending checks and its account API in moto, with the sandbox on or off."""
    enforce_sending_rules(sandbox=sandbox)
    serve_account_details()
