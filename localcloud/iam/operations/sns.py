"""SNS publishes as IAM authorizes them: Publish and PublishBatch are sns:Publish on the topic
(a pipe's dead-letter target may be a topic).

https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
"""

from __future__ import annotations

from localcloud.iam.evaluation import Authorization
from localcloud.iam.operations.request import ApiRequest

_PUBLISH = {"Publish", "PublishBatch"}


def authorizations(request: ApiRequest) -> list[Authorization] | None:
    operation = request.target or request.param("Action")
    if operation not in _PUBLISH:
        return None
    topic = str(request.json.get("TopicArn", "")) if request.target else request.param("TopicArn")
    return [Authorization("sns:Publish", topic)] if topic else None
