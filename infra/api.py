"""The REST API: the authorizer, the management API and the redirect (the synchronous path),
with the usage plans that meter each key (cdk.json `plans`) and the redirect's own throttle."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from infra.config import Plan, StageConfig
from infra.data import Tables
from infra.functions import FunctionFactory
from infra.logical_ids import pin_logical_id
from infra.nag import acknowledge
from infra.short_url import ShortBaseUrl

# Every management route and its methods: all served by the api function behind the authorizer.
MANAGEMENT_ROUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/links", ("GET", "POST")),
    ("/links/bulk", ("POST",)),
    ("/links/{code}", ("GET", "PATCH", "DELETE")),
    ("/links/{code}/qr", ("GET",)),
    ("/links/{code}/clicks", ("GET",)),
    ("/webhooks", ("GET", "POST")),
    ("/webhooks/{id}", ("PATCH", "DELETE")),
    ("/webhooks/{id}/rotate-secret", ("POST",)),
    ("/webhooks/{id}/test", ("POST",)),
    ("/webhooks/{id}/recover", ("POST",)),
    ("/webhooks/{id}/deliveries", ("GET",)),
    ("/webhooks/{id}/deliveries/{delivery_id}", ("GET",)),
    ("/webhooks/{id}/deliveries/{delivery_id}/resend", ("POST",)),
    ("/stats", ("GET",)),
)
OPENAPI_PATH = "/openapi.json"
# Swagger UI and the swagger-ui files it loads, all served by the api function
# (shortener.api.docs): documentation, public like the document itself.
DOCS_PATHS = ("/docs", "/docs/swagger-ui-bundle.min.js", "/docs/swagger-ui.min.css")
REDIRECT_PATH = "/{code}"
AUTHORIZER_CACHE_TTL = Duration.minutes(5)
# API Gateway's default and longest integration timeout; each function behind it times out
# sooner (infra/functions.py), so that a slow request fails in the function, which answers,
# rather than at the gateway, which answers 504 while the function may still commit.
INTEGRATION_TIMEOUT = Duration.seconds(29)

PROBLEM_TYPE_BASE = "https://shortener.dev/problems/"
# API Gateway's own message, as a JSON string.
GATEWAY_MESSAGE = "$context.error.messageString"
# Retry-After of a 429. A gateway response header is a static value or a request/context
# mapping (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html),
# never computed: over the rate, a token comes back within 1 s at every plan's rate; over the
# daily quota, which renews at 00:00 UTC, an hour between tries (docs/api.md, Plans).
RETRY_AFTER_THROTTLED = "1"
RETRY_AFTER_QUOTA_EXCEEDED = "3600"


class GatewayProblem(NamedTuple):
    """An error API Gateway answers itself, shaped like the functions' RFC 9457 problems."""

    response_type: apigw.ResponseType
    status: int | None  # None: keep API Gateway's status (the catch-all responses)
    title: str
    detail: str  # a JSON value in the response template
    headers: Mapping[str, str] = {}  # static header values, beside the Content-Type
    # The construct id when the title is shared (several 429s); else `{Title}Problem`.
    name: str | None = None

    @property
    def construct_id(self) -> str:
        return self.name or f"{self.title.replace(' ', '')}Problem"

    def template(self) -> str:
        # The slug follows shortener.problems.Problem: the title, lower case, hyphenated.
        slug = self.title.lower().replace(" ", "-")
        members = {"type": f'"{PROBLEM_TYPE_BASE}{slug}"', "title": f'"{self.title}"'}
        if self.status is not None:
            members["status"] = str(self.status)
        members["detail"] = self.detail
        return "{" + ", ".join(f'"{key}": {value}' for key, value in members.items()) + "}"


_RT = apigw.ResponseType
GATEWAY_PROBLEMS = (
    GatewayProblem(
        _RT.UNAUTHORIZED,
        401,
        "Unauthorized",
        '"missing, unknown or revoked API key"',
        {"WWW-Authenticate": "Bearer"},
    ),
    GatewayProblem(
        _RT.ACCESS_DENIED,
        403,
        "Forbidden",
        '"outside this API key\'s scopes (docs/api.md, Scopes)"',
    ),
    # A key without an enabled API Gateway API key on a usage plan of this stage.
    GatewayProblem(
        _RT.INVALID_API_KEY,
        403,
        "Forbidden",
        '"this API key has no usage plan: an operator sets one with ops keys set-plan"',
        name="NoUsagePlanProblem",
    ),
    # API Gateway answers an unknown route with 403 "Missing Authentication Token".
    GatewayProblem(_RT.MISSING_AUTHENTICATION_TOKEN, 404, "Not Found", '"no such route"'),
    GatewayProblem(
        _RT.THROTTLED,
        429,
        "Too Many Requests",
        '"over the rate of this API key\'s plan or of the route: retry after Retry-After seconds"',
        {"Retry-After": RETRY_AFTER_THROTTLED},
    ),
    GatewayProblem(
        _RT.QUOTA_EXCEEDED,
        429,
        "Too Many Requests",
        '"over the daily quota of this API key\'s plan: it renews at 00:00 UTC"',
        {"Retry-After": RETRY_AFTER_QUOTA_EXCEEDED},
        name="QuotaExceededProblem",
    ),
    GatewayProblem(_RT.REQUEST_TOO_LARGE, 413, "Content Too Large", GATEWAY_MESSAGE),
    GatewayProblem(_RT.INTEGRATION_FAILURE, 502, "Bad Gateway", GATEWAY_MESSAGE),
    GatewayProblem(_RT.INTEGRATION_TIMEOUT, 504, "Gateway Timeout", GATEWAY_MESSAGE),
    GatewayProblem(_RT.AUTHORIZER_FAILURE, 500, "Internal Server Error", GATEWAY_MESSAGE),
    GatewayProblem(_RT.DEFAULT_4_XX, None, "Client Error", GATEWAY_MESSAGE),
    GatewayProblem(_RT.DEFAULT_5_XX, None, "Server Error", GATEWAY_MESSAGE),
)


class ShortenerApi(Construct):
    """API Gateway REST API with explicit routes, a cached TOKEN authorizer and access logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: FunctionFactory,
        tables: Tables,
        short_base_url: ShortBaseUrl,
    ) -> None:
        super().__init__(scope, construct_id)

        self.authorizer_function = functions.create(
            self, "authorizer", {"KEYS_TABLE_NAME": tables.keys.table_name}
        )
        self.authorizer_function.grant_get_item(tables.keys)

        self.api_function = functions.create(
            self,
            "api",
            {
                "LINKS_TABLE_NAME": tables.links.table_name,
                "KEYS_TABLE_NAME": tables.keys.table_name,
                "WEBHOOKS_TABLE_NAME": tables.webhooks.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency.table_name,
                "CLICKS_TABLE_NAME": tables.clicks.table_name,
                "SHORT_BASE_URL_PARAMETER": short_base_url.parameter_name,
                "OWN_ORIGINS_PARAMETER": short_base_url.own_origins_parameter_name,
                "ALLOW_LOOPBACK_WEBHOOKS": config.allow_loopback_webhooks,
            },
        )
        self.api_function.grant_read_write_data(tables.links)
        self.api_function.grant_read_data(tables.keys)
        self.api_function.grant_read_write_data(tables.webhooks)
        self.api_function.grant_read_write_data(tables.idempotency)
        # GET /links/{code}/clicks and GET /stats read the click counters.
        self.api_function.grant_read_data(tables.clicks)
        short_base_url.grant_read(self.api_function)
        short_base_url.grant_read_own_origins(self.api_function)

        self.redirect_function = functions.create(
            self,
            "redirect",
            {
                "LINKS_TABLE_NAME": tables.links.table_name,
                # What the redirect tells CloudFront to cache, so a stage's TTL holds end to end.
                "REDIRECT_CACHE_TTL_SECONDS": str(config.redirect_cache_ttl_seconds),
            },
        )
        self.redirect_function.grant_get_item(tables.links)
        # Usage-limited links: each human click is counted with one conditional update, which
        # may name the count and the limit, and nothing else of the link.
        self.redirect_function.grant_update_item(
            tables.links, attributes=("clicks_used", "max_clicks")
        )

        self.access_logs = config.log_group(self, "AccessLogs")
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=config.resource_prefix,
            description=f"Shortener API ({config.stage})",
            # CloudFront is the edge; an edge-optimized API would put a second one behind it.
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Usage plans meter the API key the authorizer names (usageIdentifierKey), never
            # an x-api-key header: callers only ever send their Bearer key.
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
            # Execution logging needs the account-wide CloudWatch role; CDK keeps it on delete.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                throttling_rate_limit=config.throttle_rate_limit,
                throttling_burst_limit=config.throttle_burst_limit,
                # The redirect's own buckets: no key's burst on the management API takes its
                # tokens, and no flood of clicks takes theirs.
                method_options={
                    f"{REDIRECT_PATH}/{method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=config.redirect_throttle_rate_limit,
                        throttling_burst_limit=config.redirect_throttle_burst_limit,
                    )
                    for method in ("GET", "HEAD")
                },
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=_access_log_format(),
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                data_trace_enabled=False,
            ),
        )
        pin_logical_id(self.rest_api, "Api")
        # The stack exports the URL as `ApiUrl`; RestApi's own `Endpoint` output would repeat it.
        self.rest_api.node.try_remove_child("Endpoint")
        self.stage = self.rest_api.deployment_stage
        self._add_gateway_problems()

        self.authorizer = apigw.TokenAuthorizer(
            self,
            "TokenAuthorizer",
            handler=self.authorizer_function.function,
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )
        api_integration = apigw.LambdaIntegration(
            self.api_function.function, allow_test_invoke=False, timeout=INTEGRATION_TIMEOUT
        )
        for path, methods in MANAGEMENT_ROUTES:
            resource = self.rest_api.root.resource_for_path(path)
            for method in methods:
                resource.add_method(
                    method, api_integration, authorizer=self.authorizer, api_key_required=True
                )

        public_methods = [
            self.rest_api.root.resource_for_path(path).add_method("GET", api_integration)
            for path in (OPENAPI_PATH, *DOCS_PATHS)
        ]
        redirect_integration = apigw.LambdaIntegration(
            self.redirect_function.function, allow_test_invoke=False, timeout=INTEGRATION_TIMEOUT
        )
        public_methods.append(
            self.rest_api.root.resource_for_path(REDIRECT_PATH).add_method(
                "GET", redirect_integration
            )
        )
        public_methods += self._add_head_methods(api_integration, redirect_integration)
        self._acknowledge_design(public_methods)
        self.usage_plans = {plan.name: self._add_usage_plan(config, plan) for plan in config.plans}

    def _add_usage_plan(self, config: StageConfig, plan: Plan) -> apigw.UsagePlan:
        """One usage plan per plan: its rate, burst and daily quota for each key on it."""
        usage_plan = self.rest_api.add_usage_plan(
            plan.logical_id,
            name=f"{config.resource_prefix}-{plan.name}",
            description=f"Shortener plan {plan.name} ({config.stage}): {plan.rate:g}/s, "
            f"burst {plan.burst}, {plan.quota_per_day}/day",
            throttle=apigw.ThrottleSettings(rate_limit=plan.rate, burst_limit=plan.burst),
            quota=apigw.QuotaSettings(limit=plan.quota_per_day, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.stage)],
        )
        pin_logical_id(usage_plan, plan.logical_id)
        return usage_plan

    def _add_head_methods(
        self,
        api_integration: apigw.LambdaIntegration,
        redirect_integration: apigw.LambdaIntegration,
    ) -> list[apigw.Method]:
        """HEAD wherever GET is, with the same authorization (link checkers and monitors ask
        HEAD). A REST API routes HEAD as a method of its own, never to a GET; the functions
        answer it as GET without the body. Returns the public ones."""
        public = []
        for get in [method for method in self.rest_api.methods if method.http_method == "GET"]:
            is_redirect = get.resource.path == REDIRECT_PATH
            cfn_method = get.node.default_child
            assert isinstance(cfn_method, apigw.CfnMethod)
            authorized = cfn_method.authorization_type == apigw.AuthorizationType.CUSTOM.value
            head = get.resource.add_method(
                "HEAD",
                redirect_integration if is_redirect else api_integration,
                authorizer=self.authorizer if authorized else None,
                api_key_required=authorized,
            )
            if not authorized:
                public.append(head)
        return public

    def _add_gateway_problems(self) -> None:
        for problem in GATEWAY_PROBLEMS:
            headers = {"Content-Type": "application/problem+json", **problem.headers}
            self.rest_api.add_gateway_response(
                problem.construct_id,
                type=problem.response_type,
                status_code=None if problem.status is None else str(problem.status),
                response_headers={name: f"'{value}'" for name, value in headers.items()},
                templates={"application/json": problem.template()},
            )

    def _acknowledge_design(self, public_methods: list[apigw.Method]) -> None:
        for method in public_methods:
            acknowledge(
                method,
                "AwsSolutions-APIG4",
                "Public by contract (docs/api.md, Routes): GET /{code} is the redirect anyone may "
                "follow, GET /openapi.json documents the API and GET /docs (with its swagger-ui "
                "files) browses that document; every other route has the Lambda TOKEN "
                "authorizer.",
            )
        acknowledge(
            self.rest_api,
            "AwsSolutions-COG4",
            "Callers authenticate with API keys issued by `ops keys create` (docs/api.md, "
            "Authentication), checked by the Lambda TOKEN authorizer; there are no Cognito users.",
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "The api function validates every request (Powertools + pydantic) and answers RFC "
            "9457 problems; a gateway validator would answer in its own format instead.",
        )
        acknowledge(
            self.stage,
            "AwsSolutions-APIG3",
            "No WAF web ACL in the stack: the stage throttles per the stage config, CloudFront "
            "is the public entry point, and an ACL (rules, cost) is chosen per account.",
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-wide API Gateway logging role uses the AWS policy made for it: it must "
            "create and write the execution log groups of every API in the region.",
        )


def _access_log_format() -> apigw.AccessLogFormat:
    """One JSON line per request, with the caller's key id and the latencies operators need."""
    field = apigw.AccessLogField
    return apigw.AccessLogFormat.custom(
        json.dumps(
            {
                "requestId": field.context_request_id(),
                "extendedRequestId": field.context_extended_request_id(),
                "requestTime": field.context_request_time(),
                "ip": field.context_identity_source_ip(),
                "httpMethod": field.context_http_method(),
                "resourcePath": field.context_resource_path(),
                "path": field.context_path(),
                "status": field.context_status(),
                "protocol": field.context_protocol(),
                "responseLength": field.context_response_length(),
                "responseLatency": field.context_response_latency(),
                "integrationLatency": field.context_integration_latency(),
                "keyId": field.context_authorizer_principal_id(),
                "authorizerError": field.context_authorizer_error(),
                "errorMessage": field.context_error_message(),
                "xrayTraceId": field.context_xray_trace_id(),
            }
        )
    )
