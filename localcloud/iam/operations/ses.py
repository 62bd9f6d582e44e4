"""SES sends as IAM authorizes them: ses:SendEmail (v2, any content) or ses:SendEmail /
ses:SendRawEmail (v1) on the identity ARN of the sender (its email address identity if SES has
one, else its domain's), and on the configuration set if the call names one.

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsimpleemailservicev2.html
https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html
https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest
from localcloud.names import arn

_SEND_PATH = "/v2/email/outbound-emails"

# Whether SES knows this identity (an address or a domain); set by the local cloud.
IdentityExists = Callable[[str], bool]


def authorizations(
    request: ApiRequest, identity_exists: IdentityExists
) -> list[Authorization] | None:
    if request.method == "POST" and request.path.rstrip("/") == _SEND_PATH:
        body = request.json
        action = "ses:SendEmail"
        sender = str(body.get("FromEmailAddress", ""))
        configuration_set = str(body.get("ConfigurationSetName", ""))
    elif request.param("Action") in ("SendEmail", "SendRawEmail"):
        action = f"ses:{request.param('Action')}"
        sender = request.param("Source")
        configuration_set = request.param("ConfigurationSetName")
    else:
        return None
    found = [Authorization(action, arn("ses", f"identity/{_identity(sender, identity_exists)}"))]
    if configuration_set:
        found.append(Authorization(action, arn("ses", f"configuration-set/{configuration_set}")))
    return found


def _identity(sender: str, identity_exists: IdentityExists) -> str:
    address = parseaddr(sender)[1] or sender
    domain = address.rpartition("@")[2]
    if identity_exists(address) or not domain:
        return address
    return domain if identity_exists(domain) else address
