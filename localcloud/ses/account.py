"""The SES account's sandbox status through the API, as `aws sesv2 get-account` shows it on AWS.

moto has no GetAccount or PutAccountDetails. Here `ProductionAccessEnabled` is false while the
local cloud runs in sandbox mode, with the sandbox's quota (200 messages a day, 1 a second),
and `put-account-details --production-access-enabled` leaves the sandbox: on AWS that request
is reviewed (about a day), locally it is granted at once, like identity verification.
(https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html,
https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_PutAccountDetails.html,
https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html)
"""

from __future__ import annotations

import json
from typing import Any

from moto.sesv2 import urls as sesv2_urls
from moto.sesv2.responses import SESV2Response

from localcloud.ses.verification import RULES

# SES's quotas in the sandbox (documented); out of it, a typical first production quota.
SANDBOX_QUOTA = {"Max24HourSend": 200.0, "MaxSendRate": 1.0}
PRODUCTION_QUOTA = {"Max24HourSend": 50000.0, "MaxSendRate": 14.0}


def serve_account_details() -> None:
    """Answer GetAccount and PutAccountDetails in moto's SES v2 (before its server starts:
    moto reads the paths when it builds a service's routes)."""
    SESV2Response.get_account = _get_account  # type: ignore[attr-defined]
    SESV2Response.put_account_details = _put_account_details  # type: ignore[attr-defined]
    # moto's catch-all `/v2/.*` route is taken literally by its router: name the paths.
    for path in ("{0}/v2/email/account$", "{0}/v2/email/account/details$"):
        sesv2_urls.url_paths.setdefault(path, SESV2Response.dispatch)


def _get_account(response: SESV2Response) -> str:
    backend = response.sesv2_backend.core_backend
    quota = SANDBOX_QUOTA if RULES.sandbox else PRODUCTION_QUOTA
    account: dict[str, Any] = {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": not RULES.sandbox,
        "SendingEnabled": True,
        "SendQuota": {**quota, "SentLast24Hours": float(backend.sent_message_count)},
    }
    if RULES.account_details:
        account["Details"] = RULES.account_details
    return json.dumps(account)


def _put_account_details(response: SESV2Response) -> str:
    details = json.loads(response.body or "{}")
    if details.pop("ProductionAccessEnabled", False):
        RULES.sandbox = False
    RULES.account_details = {**details, "ReviewDetails": {"Status": "GRANTED", "CaseId": "local"}}
    return "{}"
