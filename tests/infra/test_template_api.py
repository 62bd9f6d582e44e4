"""The REST API: every route of docs/api.md, who may call it, and how it is served."""

from __future__ import annotations

import json

import pytest
from stack_template import StackTemplate

from shortener.api import docs

MANAGEMENT_ROUTES = [
    ("GET", "/links"),
    ("POST", "/links"),
    ("POST", "/links/bulk"),
    ("GET", "/links/{code}"),
    ("PATCH", "/links/{code}"),
    ("DELETE", "/links/{code}"),
    ("GET", "/links/{code}/qr"),
    ("GET", "/links/{code}/clicks"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("PATCH", "/webhooks/{id}"),
    ("DELETE", "/webhooks/{id}"),
    ("POST", "/webhooks/{id}/rotate-secret"),
    ("POST", "/webhooks/{id}/test"),
    ("POST", "/webhooks/{id}/recover"),
    ("GET", "/webhooks/{id}/deliveries"),
    ("GET", "/webhooks/{id}/deliveries/{delivery_id}"),
    ("POST", "/webhooks/{id}/deliveries/{delivery_id}/resend"),
    ("GET", "/stats"),
]
PUBLIC_ROUTES = {
    ("GET", "/{code}"): "RedirectFunction",
    ("GET", "/openapi.json"): "ApiFunction",
    **{("GET", path): "ApiFunction" for path in (docs.PAGE_PATH, *docs.ASSET_PATHS)},
}


# HEAD wherever GET is, authorized alike: a REST API routes HEAD only to a HEAD method.
MANAGEMENT_ROUTES += [("HEAD", path) for method, path in MANAGEMENT_ROUTES if method == "GET"]
PUBLIC_ROUTES |= {
    ("HEAD", path): fn for (method, path), fn in PUBLIC_ROUTES.items() if method == "GET"
}


def _integrated_function(method: dict) -> str:
    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    (function,) = (
        part["Fn::GetAtt"][0]
        for part in integration["Uri"]["Fn::Join"][1]
        if isinstance(part, dict) and "Fn::GetAtt" in part
    )
    return function


def test_the_api_has_exactly_the_contract_routes(dev: StackTemplate) -> None:
    assert set(dev.routes()) == {*MANAGEMENT_ROUTES, *PUBLIC_ROUTES}


@pytest.mark.parametrize(("method", "path"), MANAGEMENT_ROUTES)
def test_management_routes_need_a_key_and_reach_the_api_function(
    dev: StackTemplate, method: str, path: str
) -> None:
    (authorizer_id,) = dev.of_type("AWS::ApiGateway::Authorizer")
    route = dev.routes()[(method, path)]
    assert route["AuthorizationType"] == "CUSTOM"
    assert route["AuthorizerId"] == {"Ref": authorizer_id}
    assert _integrated_function(route) == "ApiFunction"


@pytest.mark.parametrize(("route", "function"), PUBLIC_ROUTES.items())
def test_redirect_and_openapi_are_public(
    dev: StackTemplate, route: tuple[str, str], function: str
) -> None:
    props = dev.routes()[route]
    assert props["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in props
    assert _integrated_function(props) == function


def test_the_authorizer_reads_the_bearer_header_and_caches_five_minutes(
    dev: StackTemplate,
) -> None:
    ((_, authorizer),) = dev.of_type("AWS::ApiGateway::Authorizer").items()
    props = authorizer["Properties"]
    assert props["Type"] == "TOKEN"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["AuthorizerResultTtlInSeconds"] == 300
    assert "AuthorizerFunction" in json.dumps(props["AuthorizerUri"])


def test_stage_throttles_traces_and_logs_per_stage_config(
    dev: StackTemplate, prod: StackTemplate
) -> None:
    for synth, stage, rate, burst in ((dev, "dev", 50, 100), (prod, "prod", 500, 1000)):
        ((_, resource),) = synth.of_type("AWS::ApiGateway::Stage").items()
        props = resource["Properties"]
        assert props["StageName"] == stage
        assert props["TracingEnabled"] is True
        # The stage's default for each method; the redirect's own come after it.
        settings = props["MethodSettings"][0]
        assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
        assert settings["ThrottlingRateLimit"] == rate
        assert settings["ThrottlingBurstLimit"] == burst
        assert settings["LoggingLevel"] == "ERROR"
        assert settings["MetricsEnabled"] is True
        assert settings["DataTraceEnabled"] is False
        access_log = props["AccessLogSetting"]
        assert "ApiAccessLogs" in json.dumps(access_log["DestinationArn"])
        fields = json.loads(access_log["Format"])
        assert fields["requestId"] == "$context.requestId"
        assert fields["status"] == "$context.status"


def test_api_gateway_own_errors_are_problem_details(dev: StackTemplate) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in dev.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    assert unauthorized["ResponseParameters"] == {
        "gatewayresponse.header.Content-Type": "'application/problem+json'",
        "gatewayresponse.header.WWW-Authenticate": "'Bearer'",
    }
    body = json.loads(unauthorized["ResponseTemplates"]["application/json"])
    assert body == {
        "type": "https://shortener.dev/problems/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "missing, unknown or revoked API key",
    }
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"} <= set(responses)


def test_api_is_regional_behind_cloudfront(dev: StackTemplate) -> None:
    assert dev.props("Api")["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_every_function_behind_the_api_times_out_before_the_gateway(dev: StackTemplate) -> None:
    """A function that outlives its integration gets a 504 sent for it while it may still
    commit (issue 14): it must give up first, and answer itself."""
    for (method, path), route in dev.routes().items():
        integration = route["Integration"]
        if integration["Type"] != "AWS_PROXY":
            continue
        function_timeout = dev.props(_integrated_function(route))["Timeout"]
        gateway_timeout = integration.get("TimeoutInMillis", 29_000) / 1000
        assert function_timeout < gateway_timeout, (method, path)
