"""What `describe-stacks` shows: the outputs the ops CLI, the local cloud and users read."""

from __future__ import annotations

import json

from stack_template import DEV_EMAIL_SENDER, StackTemplate

OUTPUTS = {
    "ApiUrl",
    "ShortBaseUrl",
    "DistributionId",
    "DistributionDomainName",
    "LinksTableName",
    "KeysTableName",
    "WebhooksTableName",
    "IdempotencyTableName",
    "ClicksTableName",
    "ClicksStreamName",
    "EventBusName",
    "EventArchiveName",
    "QrBucketName",
    "AlarmTopicArn",
    "DashboardName",
    "EmailSender",
    "UsagePlans",
}
DISTRIBUTION_URL = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": ["Distribution", "DomainName"]}]]}


def _outputs(synth: StackTemplate) -> dict:
    return {k: v["Value"] for k, v in synth.json["Outputs"].items()}


def test_stack_has_exactly_the_documented_outputs(dev: StackTemplate) -> None:
    assert set(_outputs(dev)) == OUTPUTS
    assert dev.stack.stack_name == "Shortener-dev"


def test_a_domain_identity_outputs_the_dkim_records_to_publish(
    dev: StackTemplate, prod: StackTemplate
) -> None:
    prod_outputs = _outputs(prod)
    dkim_records = {f"EmailDkimRecord{n}" for n in (1, 2, 3)}
    # prod has its web ACL too (WAF is on there): WebAclArn.
    assert set(prod_outputs) == OUTPUTS | dkim_records | {"WebAclArn"}
    assert prod_outputs["EmailDkimRecord1"] == {
        "Fn::Join": [
            " ",
            [
                {"Fn::GetAtt": ["EmailSenderIdentity", "DkimDNSTokenName1"]},
                "CNAME",
                {"Fn::GetAtt": ["EmailSenderIdentity", "DkimDNSTokenValue1"]},
            ],
        ]
    }
    assert _outputs(dev)["EmailSender"] == DEV_EMAIL_SENDER


def test_outputs_name_the_stack_resources(dev: StackTemplate) -> None:
    outputs = _outputs(dev)
    for table in ("Links", "Keys", "Webhooks", "Idempotency", "Clicks"):
        assert outputs[f"{table}TableName"] == {"Ref": f"{table}Table"}
    assert outputs["EventBusName"] == {"Ref": "EventBus"}
    assert outputs["EventArchiveName"] == {"Ref": "EventArchive"}
    assert outputs["QrBucketName"] == {"Ref": "QrBucket"}
    assert outputs["DistributionId"] == {"Ref": "Distribution"}
    assert outputs["AlarmTopicArn"] == {"Ref": "AlarmTopic"}
    assert outputs["DashboardName"] == {"Ref": "Dashboard"}


def test_short_links_default_to_the_distribution_domain(dev: StackTemplate) -> None:
    assert _outputs(dev)["ShortBaseUrl"] == DISTRIBUTION_URL
    parameter = dev.props("ShortBaseUrlParameter")
    assert parameter["Name"] == "/shortener/dev/short-base-url"
    assert parameter["Type"] == "String"
    assert parameter["Value"] == DISTRIBUTION_URL
    # Functions are told where to look, not the value (the domain depends on them).
    for name in ("api", "enrich"):
        variables = dev.function(name)["Environment"]["Variables"]
        assert variables["SHORT_BASE_URL_PARAMETER"] == "/shortener/dev/short-base-url"


def test_the_api_learns_the_distribution_domain_as_a_name_of_its_own(dev: StackTemplate) -> None:
    """A link to the distribution's domain would loop, custom short domain or not."""
    parameter = dev.props("OwnOriginsParameter")
    assert parameter["Name"] == "/shortener/dev/own-origins"
    assert parameter["Type"] == "StringList"
    assert "Distribution" in json.dumps(parameter["Value"])
    variables = dev.function("api")["Environment"]["Variables"]
    assert variables["OWN_ORIGINS_PARAMETER"] == "/shortener/dev/own-origins"
    reads = [s["Resource"] for s in dev.statements("api") if "ssm:GetParameter" in s["Action"]]
    assert "parameter/shortener/dev/own-origins" in json.dumps(reads)
