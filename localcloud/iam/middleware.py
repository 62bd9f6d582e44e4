"""IAM, checked where AWS checks it: at the service endpoint. A WSGI middleware in front of
moto's server finds the caller from the request's credential, maps the request to the
actions and resources IAM authorizes it as, and answers a denied one with the service's own
AccessDenied error before moto sees it. What it cannot map goes through and is logged once as
not checked.

https://docs.aws.amazon.com/IAM/latest/UserGuide/intro-structure.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from localcloud.iam.authority import IamAuthority
from localcloud.iam.eventbridge_targets import serving
from localcloud.iam.operations import ApiRequest, authorizations, operation_name
from localcloud.iam.operations.ses import IdentityExists
from localcloud.iam.principals import caller_credential
from localcloud.iam.refusals import denial_message, refusal, respond
from localcloud.names import ACCOUNT_ID, REGION

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class IamChecks:
    def __init__(
        self,
        app: WsgiApp,
        authority: IamAuthority,
        identity_exists: IdentityExists | None = None,
    ) -> None:
        self._app = app
        self._authority = authority
        self._identity_exists = identity_exists or ses_identity_known

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        # moto answers within the call (werkzeug builds the whole response), so EventBridge's
        # sends to queues that this request makes happen inside it, under this cloud's IAM.
        with serving(self._authority):
            return self._checked(environ, start_response)

    def _checked(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not self._authority.enabled:
            return self._app(environ, start_response)
        credential = caller_credential(environ)
        session = self._authority.session_of(credential[0]) if credential else None
        if credential is None or session is None:
            return self._app(environ, start_response)
        request = ApiRequest.from_environ(credential[1], environ)
        try:
            needed = authorizations(request, self._identity_exists)
        except (AttributeError, KeyError, TypeError, ValueError):
            needed = None  # a malformed call: moto answers it with the service's own error
        if needed is None:
            self._authority.note_unchecked(session, request.service, operation_name(request))
            return self._app(environ, start_response)
        denial = self._authority.denial(session, needed)
        if denial is None:
            return self._app(environ, start_response)
        message = denial_message(session.arn, denial.authorization, denial.decision)
        self._authority.log(f"AccessDenied: {message}")
        return respond(refusal(request, message), start_response)


def ses_identity_known(identity: str) -> bool:
    """Whether moto's SES holds this identity (an address or a domain, v1 and v2 alike)."""
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT_ID][REGION]
    return identity in backend.email_identities or identity.lower() in backend.email_identities
