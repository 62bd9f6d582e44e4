"""The edge: the short domain (alias, TLS policy, HTTPS, Route 53 records, the short base URL)
and the distribution's web ACL (rate limits, managed rule groups, metrics, the blocked-requests
alarm), with the context settings that choose them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from cfnlint.api import ManualArgs, lint_file
from stack_template import (
    SHORT_DOMAIN,
    SHORT_DOMAIN_CERTIFICATE,
    SHORT_DOMAIN_ZONE,
    StackTemplate,
)
from test_template_compliance import CFN_LINT_IGNORED

from infra.cdn import UNCACHED_PATHS
from infra.config import ContextError, CustomDomain, StageConfig, WafSettings, load_cdk_context
from infra.custom_domain import short_base_url
from infra.edge_firewall import EdgeFirewall
from infra.nag import unacknowledged_findings

# Route 53's fixed hosted zone id for every CloudFront alias target.
CLOUDFRONT_ALIAS_ZONE = "Z2FDTNDATAQYW2"
SENDER = "no-reply@example.com"


def _distribution(synth: StackTemplate) -> dict[str, Any]:
    return synth.props("Distribution")["DistributionConfig"]


def _config(**overrides: object) -> StageConfig:
    return StageConfig.from_node(App(context=load_cdk_context(overrides)).node)


def _rules(synth: StackTemplate) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in synth.props("EdgeWebAcl")["Rules"]}


# -- the short domain ------------------------------------------------------------------------


def test_a_short_domain_is_the_distributions_alias_with_tls_1_2_at_least(
    prod_short_domain: StackTemplate,
) -> None:
    config = _distribution(prod_short_domain)
    assert config["Aliases"] == [SHORT_DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": SHORT_DOMAIN_CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


def test_without_a_short_domain_the_distribution_keeps_its_cloudfront_name(
    dev: StackTemplate,
) -> None:
    config = _distribution(dev)
    assert "Aliases" not in config
    assert config.get("ViewerCertificate", {"CloudFrontDefaultCertificate": True}) == {
        "CloudFrontDefaultCertificate": True
    }
    assert dev.of_type("AWS::Route53::RecordSet") == {}


@pytest.mark.parametrize("synth_name", ["dev", "prod_short_domain"])
def test_no_behaviour_answers_over_plain_http(
    request: pytest.FixtureRequest, synth_name: str
) -> None:
    """Viewers who follow links are sent to HTTPS; the API refuses plain HTTP outright, as a
    redirect would turn a POST into a GET."""
    config = _distribution(request.getfixturevalue(synth_name))
    policies = {b["PathPattern"]: b["ViewerProtocolPolicy"] for b in config["CacheBehaviors"]}
    policies["*"] = config["DefaultCacheBehavior"]["ViewerProtocolPolicy"]
    assert policies == {
        **dict.fromkeys(UNCACHED_PATHS, "https-only"),
        "/qr/*": "redirect-to-https",
        "*": "redirect-to-https",
    }


def test_the_hosted_zone_gets_ipv4_and_ipv6_alias_records_to_the_distribution(
    prod_short_domain: StackTemplate,
) -> None:
    records = prod_short_domain.of_type("AWS::Route53::RecordSet")
    assert set(records) == {"ShortDomainRecordIpv4", "ShortDomainRecordIpv6"}
    assert {record["Properties"]["Type"] for record in records.values()} == {"A", "AAAA"}
    for record in records.values():
        props = record["Properties"]
        assert props["Name"] == f"{SHORT_DOMAIN}."
        assert props["HostedZoneId"] == SHORT_DOMAIN_ZONE
        _, by_partition, key = props["AliasTarget"]["HostedZoneId"]["Fn::FindInMap"]
        zones = prod_short_domain.json["Mappings"]["AWSCloudFrontPartitionHostedZoneIdMap"]
        assert zones["aws"][key] == CLOUDFRONT_ALIAS_ZONE
        assert by_partition == {"Ref": "AWS::Partition"}
        assert props["AliasTarget"]["DNSName"] == {"Fn::GetAtt": ["Distribution", "DomainName"]}


def test_short_links_start_at_the_short_domain_and_the_cloudfront_name_stays_our_own(
    prod_short_domain: StackTemplate,
) -> None:
    short_url = f"https://{SHORT_DOMAIN}"
    outputs = {k: v["Value"] for k, v in prod_short_domain.json["Outputs"].items()}
    assert outputs["ShortBaseUrl"] == short_url
    assert prod_short_domain.props("ShortBaseUrlParameter")["Value"] == short_url
    # No link may point at either name: both lead back to the shortener.
    own = json.dumps(prod_short_domain.props("OwnOriginsParameter")["Value"])
    assert short_url in own
    assert "Distribution" in own


def test_an_explicit_short_base_url_wins_over_the_short_domain() -> None:
    cloudfront = "https://d111111abcdef8.cloudfront.net"
    domain = {"domain_name": SHORT_DOMAIN, "certificate_arn": SHORT_DOMAIN_CERTIFICATE}
    given = _config(email_sender=SENDER, short_base_url="https://sho.rt/", **domain)
    assert short_base_url(given, cloudfront) == "https://sho.rt"
    assert short_base_url(_config(email_sender=SENDER, **domain), cloudfront) == (
        f"https://{SHORT_DOMAIN}"
    )
    assert short_base_url(_config(email_sender=SENDER), cloudfront) == cloudfront


def test_the_short_domain_stack_passes_cdk_nag_and_cfn_lint(
    prod_short_domain: StackTemplate,
) -> None:
    assert unacknowledged_findings(prod_short_domain.stack) == []
    matches = lint_file(prod_short_domain.path, config=ManualArgs(ignore_checks=CFN_LINT_IGNORED))
    assert [str(match) for match in matches] == []


# -- the web ACL -----------------------------------------------------------------------------


def test_prod_puts_a_cloudfront_web_acl_on_the_distribution(prod: StackTemplate) -> None:
    acl = prod.props("EdgeWebAcl")
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert _distribution(prod)["WebACLId"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}
    assert prod.json["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}


def test_dev_has_no_web_acl_unless_asked(dev: StackTemplate) -> None:
    assert dev.of_type("AWS::WAFv2::WebACL") == {}
    assert "WebACLId" not in _distribution(dev)
    assert "WebAclRegionIsUsEast1" not in dev.json.get("Rules", {})


def test_a_rate_limit_per_client_address_for_the_api_and_another_for_the_rest(
    prod: StackTemplate,
) -> None:
    rules = _rules(prod)
    redirect = rules["RedirectRateLimit"]["Statement"]["RateBasedStatement"]
    api = rules["ApiRateLimit"]["Statement"]["RateBasedStatement"]
    assert (redirect["Limit"], api["Limit"]) == (3000, 36000)
    for statement in (redirect, api):
        assert statement["AggregateKeyType"] == "IP"
        assert statement["EvaluationWindowSec"] == 300
    # The API's scope is its paths exactly as the distribution routes them; the public reads'
    # scope is everything else, so every request counts against one limit.
    matches = [
        (s["ByteMatchStatement"]["PositionalConstraint"], s["ByteMatchStatement"]["SearchString"])
        for s in api["ScopeDownStatement"]["OrStatement"]["Statements"]
    ]
    assert matches == [
        ("STARTS_WITH", p[:-1]) if p.endswith("*") else ("EXACTLY", p) for p in UNCACHED_PATHS
    ]
    assert redirect["ScopeDownStatement"] == {
        "NotStatement": {"Statement": api["ScopeDownStatement"]}
    }


def test_rate_limited_requests_get_a_429_problem(prod: StackTemplate) -> None:
    acl = prod.props("EdgeWebAcl")
    for name in ("RedirectRateLimit", "ApiRateLimit"):
        response = _rules(prod)[name]["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        # A client told when to come back: a whole evaluation window (prod: 300 s).
        assert response["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}]
        body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        assert body["ContentType"] == "APPLICATION_JSON"
        problem = json.loads(body["Content"])
        assert problem["status"] == 429
        assert problem["type"] == "https://shortener.dev/problems/too-many-requests"
        assert {"title", "detail"} <= set(problem)


def test_aws_managed_common_and_known_bad_inputs_rule_groups_apply(prod: StackTemplate) -> None:
    rules = _rules(prod)
    common = rules["AWSManagedRulesCommonRuleSet"]
    bad_inputs = rules["AWSManagedRulesKnownBadInputsRuleSet"]
    for rule, name in ((common, "AWSManagedRulesCommonRuleSet"),
                       (bad_inputs, "AWSManagedRulesKnownBadInputsRuleSet")):  # fmt: skip
        group = rule["Statement"]["ManagedRuleGroupStatement"]
        assert (group["VendorName"], group["Name"]) == ("AWS", name)
        assert rule["OverrideAction"] == {"None": {}}
    # Bulk creation bodies pass the group's 8 KB body limit; the API caps bodies at 64 KiB.
    overrides = common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    # The rate limits come first: a flood is refused before any rule inspects its content.
    assert [rule["Priority"] for rule in rules.values()] == [0, 1, 2, 3]


def test_the_web_acl_and_each_rule_publish_metrics_and_samples(prod: StackTemplate) -> None:
    acl = prod.props("EdgeWebAcl")
    configs = [acl["VisibilityConfig"], *(rule["VisibilityConfig"] for rule in acl["Rules"])]
    for config in configs:
        assert config["CloudWatchMetricsEnabled"] is True
        assert config["SampledRequestsEnabled"] is True
    assert acl["VisibilityConfig"]["MetricName"] == acl["Name"] == "shortener-prod-edge"
    assert [c["MetricName"] for c in configs[1:]] == [r["Name"] for r in acl["Rules"]]


def test_an_alarm_fires_on_blocked_requests_and_the_dashboard_shows_them(
    prod: StackTemplate,
) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in prod.of_type("AWS::CloudWatch::Alarm").values()
    }
    alarm = alarms["Shortener-prod-WafBlockedRequests"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/WAFV2", "BlockedRequests")
    assert alarm["Dimensions"] == [
        {"Name": "Rule", "Value": "ALL"},
        {"Name": "WebACL", "Value": "shortener-prod-edge"},
    ]
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 100
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    dashboard = json.dumps(prod.props("Dashboard")["DashboardBody"])
    assert "AWS/WAFV2" in dashboard
    assert "RedirectRateLimit" in dashboard


def test_a_stack_with_the_web_acl_deploys_only_in_us_east_1(prod: StackTemplate) -> None:
    (assertion,) = prod.json["Rules"]["WebAclRegionIsUsEast1"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    assert "waf=false" in assertion["AssertDescription"]


def test_a_stack_pinned_outside_us_east_1_cannot_hold_the_web_acl() -> None:
    app = App()
    stack = Stack(app, "Elsewhere", env=Environment(account="123456789012", region="eu-west-1"))
    config = _config(stage="prod", email_sender=SENDER)
    with pytest.raises(ContextError, match="us-east-1"):
        EdgeFirewall(stack, "Firewall", config=config)


# -- settings --------------------------------------------------------------------------------


def test_the_short_domain_comes_from_context() -> None:
    config = _config(
        email_sender=SENDER,
        domain_name="Go.Example.com.",
        certificate_arn=SHORT_DOMAIN_CERTIFICATE,
        hosted_zone_id=SHORT_DOMAIN_ZONE,
    )
    assert config.custom_domain == CustomDomain(
        name="go.example.com",
        certificate_arn=SHORT_DOMAIN_CERTIFICATE,
        hosted_zone_id=SHORT_DOMAIN_ZONE,
    )
    assert config.custom_domain.base_url == "https://go.example.com"
    assert _config(email_sender=SENDER).custom_domain is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"certificate_arn": SHORT_DOMAIN_CERTIFICATE}, "without domain_name"),
        ({"hosted_zone_id": SHORT_DOMAIN_ZONE}, "without domain_name"),
        ({"domain_name": SHORT_DOMAIN}, "needs certificate_arn"),
        (
            {
                "domain_name": SHORT_DOMAIN,
                "certificate_arn": SHORT_DOMAIN_CERTIFICATE.replace("us-east-1", "eu-west-1"),
            },
            "CloudFront only uses ACM certificates in us-east-1",
        ),
        (
            {"domain_name": SHORT_DOMAIN, "certificate_arn": "arn:aws:iam::1:server-certificate/x"},
            "not an ACM certificate ARN",
        ),
        (
            {"domain_name": f"https://{SHORT_DOMAIN}", "certificate_arn": SHORT_DOMAIN_CERTIFICATE},
            "not a host name",
        ),
        (
            {
                "domain_name": SHORT_DOMAIN,
                "certificate_arn": SHORT_DOMAIN_CERTIFICATE,
                "hosted_zone_id": "example.com",
            },
            "not a Route 53 zone id",
        ),
    ],
)
def test_a_half_given_or_wrong_short_domain_fails_with_the_key_to_fix(
    settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ContextError, match=message):
        _config(email_sender=SENDER, **settings)


def test_waf_is_on_in_prod_off_in_dev_and_for_local_stacks_unless_asked() -> None:
    assert _config(stage="prod", email_sender=SENDER).waf.enabled is True
    assert _config(email_sender=SENDER).waf.enabled is False
    assert _config(email_sender=SENDER, waf="true").waf.enabled is True
    assert _config(stage="prod", local="true").waf.enabled is False
    assert _config(local="true", waf="true").waf == WafSettings(enabled=True)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"waf_redirect_rate_limit": "9"}, "takes 10 to"),
        ({"waf_api_rate_limit": "many"}, "whole number"),
        ({"waf_evaluation_window_seconds": "90"}, r"offers \(60, 120, 300, 600\)"),
    ],
)
def test_waf_limits_are_ones_aws_waf_accepts(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ContextError, match=message):
        _config(email_sender=SENDER, waf="true", **settings)
