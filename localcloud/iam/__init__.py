"""IAM for the local cloud: every AWS call a function or a pipe makes is allowed or refused by
its role's policies as the template declares them, and EventBridge's sends to queues by the
queues' policies. `resource_policy_decision` evaluates any resource-based policy (a bucket
policy for CloudFront's OAC reads, for instance)."""

from localcloud.iam.authority import AccessDeniedError, IamAuthority
from localcloud.iam.evaluation import Authorization, Decision, resource_policy_decision
from localcloud.iam.eventbridge_targets import guard_sqs_targets
from localcloud.iam.middleware import IamChecks
from localcloud.iam.policies import RolePolicies, role_policies
from localcloud.iam.principals import RoleSession
from localcloud.iam.queue_policies import keep_queue_policies

__all__ = [
    "AccessDeniedError",
    "Authorization",
    "Decision",
    "IamAuthority",
    "IamChecks",
    "RolePolicies",
    "RoleSession",
    "guard_sqs_targets",
    "keep_queue_policies",
    "resource_policy_decision",
    "role_policies",
]
