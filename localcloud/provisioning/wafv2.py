"""AWS WAF web ACLs, in moto: the web ACL exists (`aws wafv2 get-web-acl` shows it, its ARN is
what the distribution names); the served distribution enforces its rules
(`localcloud.cloudfront.waf`).

Ref is `name|id|scope` and GetAtt gives `Arn`, `Id`, `Capacity` and `LabelNamespace`, as
CloudFormation returns them.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wafv2-webacl.html
"""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.base import ProvisionContext, Provisioned, pick, provisions
from localcloud.template import Resource


@provisions("AWS::WAFv2::WebACL")
def web_acl(context: ProvisionContext, resource: Resource, props: dict[str, Any]) -> Provisioned:
    name = str(props.get("Name") or context.name(resource.logical_id, 128))
    scope = str(props["Scope"])
    created = context.aws("wafv2").create_web_acl(
        Name=name,
        Scope=scope,
        **pick(
            props,
            "DefaultAction",
            "VisibilityConfig",
            "Rules",
            "Description",
            "CustomResponseBodies",
        ),
    )["Summary"]
    acl = context.aws("wafv2").get_web_acl(Name=name, Scope=scope, Id=created["Id"])["WebACL"]
    attributes = {
        "Arn": created["ARN"],
        "Id": created["Id"],
        "Capacity": acl.get("Capacity", 0),
        "LabelNamespace": acl.get("LabelNamespace", ""),
    }
    return Provisioned(f"{name}|{created['Id']}|{scope}", attributes, "moto", "stored")
