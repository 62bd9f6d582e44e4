"""The SES identity the confirmation email is sent from, and the grant to send as it.

SES sends only from a verified identity, an address or a whole domain
(https://docs.aws.amazon.com/ses/latest/dg/verify-addresses-and-domains.html): an address
identity is verified by the link SES mails to it, a domain identity by the Easy DKIM CNAME
records published in its DNS
(https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html). An identity is a name per
account and Region, and `AWS::SES::EmailIdentity`'s physical id is that name
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ses-emailidentity.html):
two stacks declaring the same identity collide. So a stage declares only the identity its own
settings name, and stages that share one (`email_identity=external`) only reference it.
"""

from __future__ import annotations

from aws_cdk import Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.config import EmailSettings
from infra.logical_ids import pin_logical_id

SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]


class SenderIdentity(Construct):
    """The stage's sender: its identity declared here, or verified outside the stack."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: EmailSettings) -> None:
        super().__init__(scope, construct_id)
        self.sender = settings.sender
        self.identity: ses.EmailIdentity | None = None
        owned = settings.owned_identity
        self._owns_domain = owned is not None and owned != settings.sender
        if owned is None:
            # SES authorizes a send against the address identity or its domain's, whichever
            # is the verified one.
            stack = Stack.of(self)
            self._identity_arns = [
                stack.format_arn(service="ses", resource="identity", resource_name=name)
                for name in (settings.sender, settings.domain)
            ]
            return
        kind = ses.Identity.domain(owned) if self._owns_domain else ses.Identity.email(owned)
        self.identity = ses.EmailIdentity(self, "Identity", identity=kind)
        pin_logical_id(self.identity, "EmailSenderIdentity")
        self._identity_arns = [self.identity.email_identity_arn]

    def grant_send_email(self, grantee: iam.IGrantable) -> iam.Grant:
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=SEND_ACTIONS, resource_arns=self._identity_arns
        )

    @property
    def dkim_records(self) -> list[str]:
        """A domain identity's three CNAME records ("name CNAME value"), to publish in its DNS."""
        identity = self.identity
        if identity is None or not self._owns_domain:
            return []
        return [
            Fn.join(" ", [name, "CNAME", value])
            for name, value in (
                (identity.dkim_dns_token_name1, identity.dkim_dns_token_value1),
                (identity.dkim_dns_token_name2, identity.dkim_dns_token_value2),
                (identity.dkim_dns_token_name3, identity.dkim_dns_token_value3),
            )
        ]
