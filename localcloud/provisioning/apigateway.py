"""API Gateway usage plans, API keys and usage plan keys, as data in moto.

moto's CloudFormation does not create these (they are no CloudFormation models there) and
moto's API Gateway only stores them; the local API Gateway reads them from moto on every
request and enforces them (localcloud.apigateway.usage_plans), so that the keys an operator
adds later with CreateApiKey and CreateUsagePlanKey count at once, as on AWS.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-usageplan.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-usageplankey.html
"""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.base import ProvisionContext, Provisioned, provisions, tags_as_dict
from localcloud.template import Resource

ENFORCED = "enforced by the local API Gateway"


@provisions("AWS::ApiGateway::UsagePlan")
def usage_plan(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    request: dict[str, Any] = {
        "name": props.get("UsagePlanName") or context.name(resource.logical_id),
        "apiStages": [
            {"apiId": stage["ApiId"], "stage": stage["Stage"]}
            for stage in props.get("ApiStages", [])
        ],
    }
    if props.get("Description"):
        request["description"] = props["Description"]
    if throttle := props.get("Throttle"):
        request["throttle"] = {
            "rateLimit": float(throttle.get("RateLimit", 0)),
            "burstLimit": int(throttle.get("BurstLimit", 0)),
        }
    if quota := props.get("Quota"):
        request["quota"] = {
            "limit": int(quota["Limit"]),
            "period": quota["Period"],
            "offset": int(quota.get("Offset", 0)),
        }
    if props.get("Tags"):
        request["tags"] = tags_as_dict(props["Tags"])
    plan = context.aws("apigateway").create_usage_plan(**request)
    return Provisioned(plan["id"], {"Id": plan["id"]}, "moto", ENFORCED)


@provisions("AWS::ApiGateway::ApiKey")
def api_key(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    request: dict[str, Any] = {
        "name": props.get("Name") or context.name(resource.logical_id),
        "enabled": str(props.get("Enabled", False)).lower() == "true",
    }
    for prop, parameter in (("Value", "value"), ("Description", "description")):
        if props.get(prop):
            request[parameter] = props[prop]
    key = context.aws("apigateway").create_api_key(**request)
    return Provisioned(key["id"], {"APIKeyId": key["id"]}, "moto", ENFORCED)


@provisions("AWS::ApiGateway::UsagePlanKey")
def usage_plan_key(
    context: ProvisionContext, resource: Resource, props: dict[str, Any]
) -> Provisioned:
    context.aws("apigateway").create_usage_plan_key(
        usagePlanId=props["UsagePlanId"], keyId=props["KeyId"], keyType=props["KeyType"]
    )
    physical_id = f"{props['KeyId']}:{props['UsagePlanId']}"
    return Provisioned(physical_id, {"Id": physical_id}, "moto", ENFORCED)
