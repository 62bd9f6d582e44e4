"""AWS WAF in front of the served CDN: a rate-based rule's limit per client address over its
evaluation window, its scope-down statement and its action (WAF's default 403, or a custom
response), on the CDN fixture with a web ACL added; managed rule groups reported as not
emulated. Time is the web ACL's injected clock, never a sleep."""

from __future__ import annotations

import http.client
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.cloudfront.messages import Request
from localcloud.cloudfront.waf import Blocked, WebAcl, web_acl

CDN_FIXTURE = Path(__file__).parent / "fixtures" / "cdn"
STACK_NAME = "CdnWithWaf"
LIMIT = 10  # the lowest limit AWS WAF accepts
WINDOW = 60
CLIENT, OTHER_CLIENT = "127.0.0.1", "127.0.0.2"
PROBLEM = {"type": "about:blank", "title": "Too Many Requests", "status": 429}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _path(constraint: str, value: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": constraint,
            "SearchString": value,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


MANAGE_PATHS = {"OrStatement": {"Statements": [_path("EXACTLY", "/manage"),
                                               _path("STARTS_WITH", "/manage/")]}}  # fmt: skip


def _rate_rule(
    name: str, priority: int, scope: dict[str, Any], action: dict[str, Any]
) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": {
            "RateBasedStatement": {
                "Limit": LIMIT,
                "EvaluationWindowSec": WINDOW,
                "AggregateKeyType": "IP",
                "ScopeDownStatement": scope,
            }
        },
        "Action": action,
        "VisibilityConfig": {
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
            "SampledRequestsEnabled": True,
        },
    }


# The stack's shape: one limit for the management paths (WAF's default block), one for the
# rest (a custom 429 problem), then a managed rule group.
WEB_ACL = {
    "Name": "fixture-edge",
    "Scope": "CLOUDFRONT",
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": {
        "CloudWatchMetricsEnabled": True,
        "MetricName": "fixture-edge",
        "SampledRequestsEnabled": True,
    },
    "CustomResponseBodies": {
        "RateLimited": {"ContentType": "APPLICATION_JSON", "Content": json.dumps(PROBLEM)}
    },
    "Rules": [
        _rate_rule("ManageRateLimit", 0, MANAGE_PATHS, {"Block": {}}),
        _rate_rule(
            "PublicRateLimit",
            1,
            {"NotStatement": {"Statement": MANAGE_PATHS}},
            {
                "Block": {
                    "CustomResponse": {
                        "ResponseCode": 429,
                        "CustomResponseBodyKey": "RateLimited",
                        "ResponseHeaders": [{"Name": "Retry-After", "Value": "60"}],
                    }
                }
            },
        ),
        {
            "Name": "AWSManagedRulesCommonRuleSet",
            "Priority": 2,
            "Statement": {
                "ManagedRuleGroupStatement": {
                    "VendorName": "AWS",
                    "Name": "AWSManagedRulesCommonRuleSet",
                }
            },
            "OverrideAction": {"None": {}},
            "VisibilityConfig": {
                "CloudWatchMetricsEnabled": True,
                "MetricName": "common",
                "SampledRequestsEnabled": True,
            },
        },
    ],
}


def _request(path: str, client: str = CLIENT) -> Request:
    return Request(method="GET", path=path, client_ip=client)


def _verdicts(acl: WebAcl, path: str, count: int, client: str = CLIENT) -> list[Blocked | None]:
    return [acl.inspect(_request(path, client)) for _ in range(count)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def acl(clock: FakeClock) -> WebAcl:
    return web_acl(WEB_ACL, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1", clock)


# -- the rules, on requests --------------------------------------------------------------------


def test_past_the_limit_a_client_is_blocked_with_waf_s_default_403(acl: WebAcl) -> None:
    assert _verdicts(acl, "/manage/links", LIMIT) == [None] * LIMIT
    blocked = acl.inspect(_request("/manage"))
    assert blocked == Blocked(rule="ManageRateLimit", status=403)


def test_another_client_address_has_its_own_count(acl: WebAcl) -> None:
    _verdicts(acl, "/manage", LIMIT + 1)
    assert _verdicts(acl, "/manage", LIMIT, client=OTHER_CLIENT) == [None] * LIMIT


def test_the_scope_down_statement_decides_which_limit_a_request_counts_against(
    acl: WebAcl,
) -> None:
    """`/managed` only starts like `/manage/`: it is a public read, with a count of its own."""
    _verdicts(acl, "/manage/x", LIMIT + 1)
    assert _verdicts(acl, "/managed", LIMIT) == [None] * LIMIT
    public = acl.inspect(_request("/abc1234"))
    assert public is not None
    assert public.rule == "PublicRateLimit"


def test_the_rule_s_custom_response_replaces_the_403(acl: WebAcl) -> None:
    *_, blocked = _verdicts(acl, "/abc1234", LIMIT + 1)
    assert blocked is not None
    assert blocked.status == 429
    assert dict(blocked.headers) == {"Content-Type": "application/json", "Retry-After": "60"}
    assert json.loads(blocked.body or b"") == PROBLEM


def test_once_the_window_passes_the_client_is_let_through_again(
    acl: WebAcl, clock: FakeClock
) -> None:
    _verdicts(acl, "/manage", LIMIT)
    clock.now += WINDOW - 1
    assert acl.inspect(_request("/manage")) is not None
    clock.now += 1  # the first ten leave the window; the blocked one is still in it
    assert _verdicts(acl, "/manage", LIMIT - 1) == [None] * (LIMIT - 1)
    assert acl.inspect(_request("/manage")) is not None


def test_requests_sent_while_blocked_count_too(acl: WebAcl, clock: FakeClock) -> None:
    """A client that keeps hammering stays blocked: its blocked requests fill the window."""
    _verdicts(acl, "/manage", LIMIT)
    clock.now += WINDOW / 2
    assert all(_verdicts(acl, "/manage", LIMIT))
    clock.now += WINDOW / 2 + 1  # the allowed ones left the window, the blocked ones did not
    assert acl.inspect(_request("/manage")) is not None


def test_managed_rule_groups_are_reported_not_emulated(acl: WebAcl) -> None:
    assert [rule.name for rule in acl.rules] == ["ManageRateLimit", "PublicRateLimit"]
    ((rule, reason),) = acl.not_emulated
    assert rule == "AWSManagedRulesCommonRuleSet"
    assert reason.startswith("managed rule groups: ")
    assert "does not publish" in reason
    assert f"not emulated: AWSManagedRulesCommonRuleSet ({reason})" in acl.note()


def test_forwarded_ip_aggregation_counts_the_first_address_of_the_header(clock: FakeClock) -> None:
    rule = _rate_rule("Forwarded", 0, MANAGE_PATHS, {"Block": {}})
    statement = rule["Statement"]["RateBasedStatement"]
    statement["AggregateKeyType"] = "FORWARDED_IP"
    statement["ForwardedIPConfig"] = {
        "HeaderName": "X-Forwarded-For",
        "FallbackBehavior": "NO_MATCH",
    }
    acl = web_acl({**WEB_ACL, "Rules": [rule]}, "arn", clock)

    def forwarded(address: str) -> Request:
        return Request("GET", "/manage", headers=[("X-Forwarded-For", f"{address}, 10.0.0.9")])

    assert [acl.inspect(forwarded("203.0.113.7")) for _ in range(LIMIT)] == [None] * LIMIT
    assert acl.inspect(forwarded("203.0.113.7")) is not None
    assert acl.inspect(forwarded("203.0.113.8")) is None
    # NO_MATCH: a request without a valid address is never counted nor limited.
    assert all(acl.inspect(Request("GET", "/manage")) is None for _ in range(LIMIT + 1))


# -- the served CDN --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdn_with_waf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The CDN fixture with the web ACL on its distribution, as a stack of another name (moto's
    backends outlive a local cloud: the same distribution twice would clash in them)."""
    assembly = tmp_path_factory.mktemp("cdn-waf") / "cdn"
    shutil.copytree(CDN_FIXTURE, assembly, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = json.loads((assembly / "manifest.json").read_text())
    artifact = manifest["artifacts"].pop("Cdn")
    artifact["properties"]["templateFile"] = f"{STACK_NAME}.template.json"
    artifact["displayName"] = STACK_NAME
    manifest["artifacts"][STACK_NAME] = artifact
    (assembly / "manifest.json").write_text(json.dumps(manifest))
    template_path = assembly / f"{STACK_NAME}.template.json"
    template = json.loads((assembly / "Cdn.template.json").read_text())
    template["Resources"]["EdgeWebAcl"] = {"Type": "AWS::WAFv2::WebACL", "Properties": WEB_ACL}
    distribution = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    distribution["WebACLId"] = {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}
    template_path.write_text(json.dumps(template))
    with LocalCloud(assembly, log_stream=io.StringIO(), echo_logs=False) as cloud:
        assert cloud.wait_warm(60)
        yield cloud


def _served_acl(cloud: LocalCloud) -> WebAcl:
    assert cloud.cdn is not None
    assert cloud.cdn.edge.web_acl is not None
    return cloud.cdn.edge.web_acl


def _get(cloud: LocalCloud, path: str, client: str = CLIENT) -> tuple[int, dict[str, str], bytes]:
    host, port = cloud.cdn_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(client, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_served_cdn_blocks_past_the_limit_cached_answers_included(
    cdn_with_waf: LocalCloud,
) -> None:
    clock = FakeClock()
    _served_acl(cdn_with_waf).clock = clock
    answers = [_get(cdn_with_waf, "/label") for _ in range(LIMIT)]
    assert [status for status, _, _ in answers] == [200] * LIMIT
    assert answers[-1][1]["X-Cache"] == "Hit from cloudfront"

    status, headers, body = _get(cdn_with_waf, "/label")
    assert status == 429
    assert headers["X-Cache"] == "Error from cloudfront"
    assert headers["Retry-After"] == "60"
    assert json.loads(body) == PROBLEM
    # Another address, and the management paths' own count, are unaffected.
    assert _get(cdn_with_waf, "/label", client=OTHER_CLIENT)[0] == 200
    assert _get(cdn_with_waf, "/manage/links")[0] == 200

    clock.now += WINDOW + 1
    assert _get(cdn_with_waf, "/label")[0] == 200


def test_the_served_cdn_answers_waf_s_block_with_cloudfront_s_403_page(
    cdn_with_waf: LocalCloud,
) -> None:
    _served_acl(cdn_with_waf).clock = FakeClock()
    for _ in range(LIMIT):
        _get(cdn_with_waf, "/manage/links", client=OTHER_CLIENT)
    status, headers, body = _get(cdn_with_waf, "/manage/links", client=OTHER_CLIENT)
    assert status == 403
    assert headers["Content-Type"] == "text/html"
    assert b"Request blocked." in body
    assert b"Generated by cloudfront (CloudFront)" in body


def test_the_start_up_report_says_what_of_the_web_acl_is_enforced(
    cdn_with_waf: LocalCloud,
) -> None:
    (line,) = [line for line in cdn_with_waf.report_lines if line.startswith("EdgeWebAcl")]
    assert "emulated (enforced by the CDN: ManageRateLimit (10 per 60 s per ip)" in line
    assert "not emulated: AWSManagedRulesCommonRuleSet (managed rule groups: " in line
    (cdn_line,) = [line for line in cdn_with_waf.report_lines if line.startswith("Distribution")]
    assert "web ACL fixture-edge in front" in cdn_line
    # The web ACL exists in moto as the distribution names it.
    assert cdn_with_waf.aws is not None
    acls = cdn_with_waf.aws("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    assert "fixture-edge" in [acl["Name"] for acl in acls]
