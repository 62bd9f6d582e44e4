"""The distribution's web ACL (AWS WAF): per-client-address rate limits, one for the public
reads (redirects, QR images) and one for the API, then AWS's managed common and known-bad-inputs
rule groups. Every request falls under exactly one of the two rate limits: the API's scope is
the management paths, the public reads' scope everything else.

- Rate-based rules count the requests of each client address that match the rule's scope-down
  statement over its evaluation window, and apply the rule's action while the count is over
  the limit; the rule answers 429 with a problem body (WAF's custom response), not WAF's bare
  default 403.
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-request-limiting.html
  https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html
- A web ACL for CloudFront (scope CLOUDFRONT) exists in us-east-1 only, and so do its metrics
  (`AWS/WAFV2`, dimensions `WebACL` and `Rule`, `ALL` for the whole web ACL): the stack that
  holds it deploys to us-east-1 (a template rule refuses any other region before anything is
  created; docs/runbook.md, Deploy).
  https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
- Managed rule groups: `AWSManagedRulesCommonRuleSet` (its 8 KB body limit counts instead of
  blocking: `POST /links/bulk` bodies are larger, and the API refuses bodies over 64 KiB
  itself) and `AWSManagedRulesKnownBadInputsRuleSet`.
  https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import Aws, CfnRule, CfnRuleAssertion, Fn, Stack, Token
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.api import PROBLEM_TYPE_BASE
from infra.cdn import UNCACHED_PATHS
from infra.config import CLOUDFRONT_CONTROL_REGION, ContextError, StageConfig
from infra.metrics import PERIOD

Web = wafv2.CfnWebACL
WAF_NAMESPACE = "AWS/WAFV2"
RATE_LIMITED_BODY = "RateLimited"
RATE_LIMITED_STATUS = 429
# The managed groups, each with the rules of it that only count here, and why.
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)


def _path_statement(pattern: str) -> Web.StatementProperty:
    """A CloudFront path pattern (`/links`, `/links/*`) as a match on the request's path."""
    if "*" in pattern.rstrip("*") or "?" in pattern:
        raise ValueError(f"path pattern {pattern!r}: only a trailing * has a WAF equivalent")
    prefix = pattern.endswith("*")
    return Web.StatementProperty(
        byte_match_statement=Web.ByteMatchStatementProperty(
            field_to_match=Web.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH" if prefix else "EXACTLY",
            search_string=pattern.rstrip("*"),
            text_transformations=[Web.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def api_paths_statement(patterns: Sequence[str] = UNCACHED_PATHS) -> Web.StatementProperty:
    """Requests for the management API and its documentation: the distribution's uncached
    behaviours."""
    return Web.StatementProperty(
        or_statement=Web.OrStatementProperty(
            statements=[_path_statement(pattern) for pattern in patterns]
        )
    )


class EdgeFirewall(Construct):
    """The web ACL, to hand to the distribution (`arn`), and its metrics."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        settings = config.waf
        self.name = f"{config.resource_prefix}-edge"
        self._window_seconds = settings.evaluation_window_seconds
        self._require_control_region()
        api_paths = api_paths_statement()
        public_reads = Web.StatementProperty(
            not_statement=Web.NotStatementProperty(statement=api_paths)
        )
        rules = [
            self._rate_limit("RedirectRateLimit", 0, settings.redirect_rate_limit, public_reads),
            self._rate_limit("ApiRateLimit", 1, settings.api_rate_limit, api_paths),
        ]
        for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS, start=len(rules)):
            rules.append(self._managed_group(group, priority, counted))
        self.rule_names = [rule.name for rule in rules]
        problem = {
            "type": f"{PROBLEM_TYPE_BASE}too-many-requests",
            "title": "Too Many Requests",
            "status": RATE_LIMITED_STATUS,
            "detail": "Too many requests from your address: slow down, then retry after "
            "Retry-After seconds.",
        }
        self.web_acl = Web(
            self,
            "WebAcl",
            name=self.name,
            scope="CLOUDFRONT",
            description=f"Shortener {config.stage} - rate limits per client address, AWS "
            "managed rule groups",
            default_action=Web.DefaultActionProperty(allow={}),
            visibility_config=self._visibility(self.name),
            custom_response_bodies={
                RATE_LIMITED_BODY: Web.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=json.dumps(problem)
                )
            },
            rules=rules,
        )
        self.web_acl.override_logical_id("EdgeWebAcl")

    @property
    def arn(self) -> str:
        """What CloudFront's `WebACLId` takes for a WAFv2 web ACL: its ARN."""
        return self.web_acl.attr_arn

    def metric(self, metric_name: str, rule: str = "ALL", label: str | None = None) -> cw.Metric:
        """`BlockedRequests`, `AllowedRequests` ... of the whole web ACL or of one rule."""
        return cw.Metric(
            namespace=WAF_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"WebACL": self.name, "Rule": rule},
            statistic=cw.Stats.SUM,
            period=PERIOD,
            label=label,
        )

    def _require_control_region(self) -> None:
        region = Stack.of(self).region
        message = (
            f"the web ACL of a CloudFront distribution exists only in "
            f"{CLOUDFRONT_CONTROL_REGION}: deploy this stack there, or set waf=false "
            "(docs/runbook.md, Deploy)"
        )
        if not Token.is_unresolved(region) and region != CLOUDFRONT_CONTROL_REGION:
            raise ContextError(f"stack region {region}: {message}")
        # The stack is environment-agnostic: the deploying credentials choose its region.
        CfnRule(
            self,
            "WebAclRegion",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_equals(Aws.REGION, CLOUDFRONT_CONTROL_REGION),
                    assert_description=message[0].upper() + message[1:],
                )
            ],
        ).override_logical_id("WebAclRegionIsUsEast1")

    def _visibility(self, metric_name: str) -> Web.VisibilityConfigProperty:
        return Web.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True,
            metric_name=metric_name,
            sampled_requests_enabled=True,
        )

    def _rate_limit(
        self, name: str, priority: int, limit: int, scope_down: Web.StatementProperty
    ) -> Web.RuleProperty:
        return Web.RuleProperty(
            name=name,
            priority=priority,
            statement=Web.StatementProperty(
                rate_based_statement=Web.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=limit,
                    evaluation_window_sec=self._window_seconds,
                    scope_down_statement=scope_down,
                )
            ),
            action=Web.RuleActionProperty(
                block=Web.BlockActionProperty(
                    custom_response=Web.CustomResponseProperty(
                        response_code=RATE_LIMITED_STATUS,
                        custom_response_body_key=RATE_LIMITED_BODY,
                        # A block's response headers go out as named (only headers inserted
                        # into allowed requests get the x-amzn-waf- prefix). Blocked requests
                        # still count, so a client that waits one whole window is under the
                        # limit again.
                        # https://docs.aws.amazon.com/waf/latest/APIReference/API_CustomHTTPHeader.html
                        response_headers=[
                            Web.CustomHTTPHeaderProperty(
                                name="Retry-After", value=str(self._window_seconds)
                            )
                        ],
                    )
                )
            ),
            visibility_config=self._visibility(name),
        )

    def _managed_group(self, group: str, priority: int, counted: Sequence[str]) -> Web.RuleProperty:
        overrides = [
            Web.RuleActionOverrideProperty(
                name=rule, action_to_use=Web.RuleActionProperty(count={})
            )
            for rule in counted
        ]
        return Web.RuleProperty(
            name=group,
            priority=priority,
            statement=Web.StatementProperty(
                managed_rule_group_statement=Web.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group, rule_action_overrides=overrides or None
                )
            ),
            override_action=Web.OverrideActionProperty(none={}),
            visibility_config=self._visibility(group),
        )
