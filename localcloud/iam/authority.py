"""The local cloud's IAM: which access key is which role session, what each role's policies
allow, and whether checks are on. The WSGI middleware, the pipes and EventBridge's deliveries
ask it; the start-up report reads what it checks and what it cannot evaluate.

Requests signed with any key that is not a role session's (the test credentials of tests,
`ops` and the local cloud's own provisioning) are the account's administrator: not checked.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.iam.conditions import unknown_keys, unknown_operators
from localcloud.iam.evaluation import (
    Authorization,
    Caller,
    Decision,
    identity_decision,
    request_context,
    statements,
)
from localcloud.iam.matching import is_unknown_action
from localcloud.iam.policies import RolePolicies
from localcloud.iam.principals import RoleSession
from localcloud.iam.refusals import denial_message

Log = Callable[[str], None]


@dataclass(frozen=True)
class Denial:
    session: RoleSession
    authorization: Authorization
    decision: Decision


class AccessDeniedError(Exception):
    """A call made inside the local cloud (a pipe invoking its enrichment) that the caller's
    role does not allow; the message is IAM's."""


class IamAuthority:
    def __init__(self) -> None:
        self.enabled = False
        self._roles: dict[str, RolePolicies] = {}
        self._sessions: dict[str, RoleSession] = {}
        self._unchecked: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._log: Log = lambda _message: None

    def load(self, roles: Mapping[str, RolePolicies], *, enabled: bool, log: Log) -> None:
        self._roles = dict(roles)
        self.enabled = enabled
        self._log = log

    def session(self, role_arn: str, session_name: str) -> RoleSession:
        """A role session with access keys of its own, known from now on."""
        session = RoleSession(role_arn, session_name)
        with self._lock:
            self._sessions[session.access_key_id] = session
        return session

    def session_of(self, access_key_id: str) -> RoleSession | None:
        return self._sessions.get(access_key_id)

    def denial(self, session: RoleSession, needed: Iterable[Authorization]) -> Denial | None:
        """The first of the needed authorizations the session's role does not have."""
        if not self.enabled:
            return None
        role = self._roles.get(session.role_arn)
        if role is None:  # a role from outside the template: its policies are unknown here
            self.note_unchecked(session, "iam", f"role {session.role_arn} is not in the template")
            return None
        documents = [document for _name, document in role.documents]
        context = request_context(Caller(arn=session.arn))
        for authorization in needed:
            decision = identity_decision(documents, authorization, context)
            if not decision.allowed:
                return Denial(session, authorization, decision)
        return None

    def require(self, session: RoleSession, needed: Iterable[Authorization]) -> None:
        """Raise AccessDeniedError unless the session's role allows every one."""
        denial = self.denial(session, needed)
        if denial is not None:
            message = denial_message(session.arn, denial.authorization, denial.decision)
            self._log(f"AccessDenied: {message}")
            raise AccessDeniedError(message)

    def note_unchecked(self, session: RoleSession, service: str, operation: str) -> None:
        """An unmapped call goes through, and says so once per role and operation."""
        key = (session.role_name, service, operation)
        with self._lock:
            if key in self._unchecked:
                return
            self._unchecked.add(key)
        self._log(f"IAM not checked: {service} {operation} by {session.arn}")

    def log(self, message: str) -> None:
        self._log(message)

    # --- what the start-up report says ----------------------------------------------------

    def unevaluated_conditions(self, extra_documents: Iterable[Any] = ()) -> dict[str, set[str]]:
        """Condition keys and operators the local cloud cannot evaluate, by policy name."""
        found: dict[str, set[str]] = {}
        named = [(name, doc) for role in self._roles.values() for name, doc in role.documents]
        for name, document in [*named, *extra_documents]:
            for statement in statements(document):
                condition = statement.get("Condition", {})
                missing = unknown_keys(condition) | unknown_operators(condition)
                if missing:
                    found.setdefault(name, set()).update(missing)
        return found

    def unknown_actions(self) -> dict[str, set[str]]:
        """Actions a policy names that AWS does not define (they grant nothing), by role."""
        found: dict[str, set[str]] = {}
        for role in self._roles.values():
            for _name, document in role.documents:
                for statement in statements(document):
                    for key in ("Action", "NotAction"):
                        patterns = statement.get(key, [])
                        for pattern in [patterns] if isinstance(patterns, str) else patterns:
                            if is_unknown_action(str(pattern)):
                                found.setdefault(role.role_name, set()).add(str(pattern))
        return found

    def unknown_managed_policies(self) -> dict[str, list[str]]:
        return {r.role_name: r.unknown_managed for r in self._roles.values() if r.unknown_managed}
