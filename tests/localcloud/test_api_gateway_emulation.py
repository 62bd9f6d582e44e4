"""API Gateway REST as the fixture stack declares it: routing, the proxy event, the Lambda
authorizer, and API Gateway's own answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from localcloud.apigateway.authorizers import evaluate, method_arn
from localcloud.apigateway.model import ApiResource, Method, RestApiModel

TIMEOUT = 30
API_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123"


@pytest.fixture
def api(mini_cloud: LocalCloud) -> str:
    # Each test sees the authorizer called afresh, as after its result cache expired.
    mini_cloud.clear_authorizer_caches()
    return mini_cloud.api_url


def echoed(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def authorizer_calls(cloud: LocalCloud) -> int:
    return len(cloud.invocation_reports("AuthorizerFunction"))


@pytest.mark.integration
def test_a_request_becomes_a_v1_proxy_event(api: str) -> None:
    response = requests.get(
        f"{api}/test/echo/item%201?tag=a&tag=b&single=1",
        headers={"Authorization": "allow", "X-Repeated": "first"},
        timeout=TIMEOUT,
    )

    body = echoed(response)
    event, context = body["event"], body["context"]
    assert event["resource"] == "/echo/{id}"
    assert event["path"] == "/echo/item 1"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "item 1"}
    assert event["queryStringParameters"] == {"tag": "b", "single": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "single": ["1"]}
    assert event["headers"]["X-Repeated"] == "first"
    assert event["multiValueHeaders"]["X-Repeated"] == ["first"]
    assert event["stageVariables"] == {"flavour": "vanilla"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    request_context = event["requestContext"]
    assert request_context["stage"] == "test"
    assert request_context["path"] == "/test/echo/item 1"
    assert request_context["resourcePath"] == "/echo/{id}"
    assert request_context["identity"]["sourceIp"] == "127.0.0.1"
    assert request_context["requestId"] == response.headers["x-amzn-RequestId"]
    assert request_context["accountId"] == "123456789012"
    # The authorizer's context, stringified as API Gateway does, with the principal.
    authorizer = request_context["authorizer"]
    assert {k: authorizer[k] for k in ("principalId", "owner", "quota", "admin")} == {
        "principalId": "alice",
        "owner": "alice",
        "quota": "7",
        "admin": "true",
    }
    assert context["memory_limit_in_mb"] == "256"
    assert 0 < context["remaining_ms"] <= 3000
    assert context["invoked_function_arn"].endswith(":function:" + context["function_name"])


@pytest.mark.integration
def test_the_proxy_response_maps_back_to_http(api: str) -> None:
    response = requests.get(f"{api}/echo/fixed?status=418", timeout=TIMEOUT)

    assert response.status_code == 418
    assert response.headers["X-Layer"] == "hello from the layer"  # the layer is importable
    assert response.raw.headers.getlist("X-Twice") == ["one", "two"]
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.integration
def test_a_binary_body_arrives_base64_encoded(api: str) -> None:
    payload = b"\x89PNG\r\n\x1a\n\x00\xff"

    response = requests.post(
        f"{api}/public/files/logo.png",
        data=payload,
        headers={"Content-Type": "image/png"},
        timeout=TIMEOUT,
    )

    event = echoed(response)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload
    assert event["resource"] == "/public/{proxy+}"
    assert event["pathParameters"] == {"proxy": "files/logo.png"}


@pytest.mark.integration
def test_a_text_body_arrives_as_is(api: str) -> None:
    response = requests.put(f"{api}/public/notes", json={"note": "é"}, timeout=TIMEOUT)

    event = echoed(response)["event"]
    assert json.loads(event["body"]) == {"note": "é"}
    assert event["isBase64Encoded"] is False
    assert event["httpMethod"] == "PUT"  # an ANY method takes every verb


@pytest.mark.integration
def test_a_literal_path_wins_over_a_path_parameter(api: str) -> None:
    event = echoed(requests.get(f"{api}/echo/fixed", timeout=TIMEOUT))["event"]

    assert event["resource"] == "/echo/fixed"
    assert event["pathParameters"] is None


@pytest.mark.integration
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("DELETE", "/echo/fixed"), ("GET", "/test/nowhere"), ("GET", "/")],
)
def test_an_unknown_route_is_api_gateways_missing_token(api: str, method: str, path: str) -> None:
    response = requests.request(method, f"{api}{path}", timeout=TIMEOUT)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


@pytest.mark.integration
def test_a_mock_integration_answers_without_a_function(api: str) -> None:
    response = requests.options(f"{api}/echo", timeout=TIMEOUT)

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.integration
def test_without_a_token_it_is_401_and_the_authorizer_is_not_called(
    api: str, mini_cloud: LocalCloud
) -> None:
    calls_before = authorizer_calls(mini_cloud)

    response = requests.get(f"{api}/echo", timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert authorizer_calls(mini_cloud) == calls_before


@pytest.mark.integration
def test_an_authorizer_raising_unauthorized_is_401(api: str) -> None:
    response = requests.get(
        f"{api}/echo", headers={"Authorization": "unauthorized"}, timeout=TIMEOUT
    )

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.integration
def test_an_explicit_deny_is_403(api: str) -> None:
    response = requests.get(f"{api}/echo", headers={"Authorization": "deny"}, timeout=TIMEOUT)

    assert response.status_code == 403
    assert response.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }


@pytest.mark.integration
def test_a_failing_authorizer_is_500(api: str) -> None:
    response = requests.get(f"{api}/echo", headers={"Authorization": "broken"}, timeout=TIMEOUT)

    assert response.status_code == 500
    assert response.json() == {"message": None}


@pytest.mark.integration
def test_a_cached_policy_is_evaluated_against_each_method(api: str, mini_cloud: LocalCloud) -> None:
    headers = {"Authorization": "get-only"}
    calls_before = authorizer_calls(mini_cloud)

    allowed = requests.get(f"{api}/echo", headers=headers, timeout=TIMEOUT)
    refused = requests.post(f"{api}/echo", headers=headers, timeout=TIMEOUT)

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert refused.json() == {"Message": "User is not authorized to access this resource"}
    assert authorizer_calls(mini_cloud) == calls_before + 1  # the second used the cache


@pytest.mark.integration
def test_a_request_authorizer_reads_its_identity_sources(api: str, mini_cloud: LocalCloud) -> None:
    calls_before = len(mini_cloud.invocation_reports("RequestAuthorizerFunction"))

    missing_query = requests.get(f"{api}/request", headers={"X-Key": "open"}, timeout=TIMEOUT)
    allowed = requests.get(f"{api}/request?tenant=acme", headers={"X-Key": "open"}, timeout=TIMEOUT)
    denied = requests.get(f"{api}/request?tenant=acme", headers={"X-Key": "no"}, timeout=TIMEOUT)

    assert missing_query.status_code == 401
    assert echoed(allowed)["event"]["requestContext"]["authorizer"]["tenant"] == "acme"
    assert denied.status_code == 403
    # No call without every identity source; no cache with a TTL of 0.
    assert len(mini_cloud.invocation_reports("RequestAuthorizerFunction")) == calls_before + 2


def test_policies_match_method_arns_with_wildcards() -> None:
    def allow(resource: Any) -> tuple[dict[str, Any], ...]:
        return ({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource},)

    arn = method_arn("abc123", "dev", "GET", "/links/xyz")

    assert arn == f"{API_ARN}/dev/GET/links/xyz"
    assert evaluate(allow(f"{API_ARN}/*"), arn) == "allow"
    assert evaluate(allow(f"{API_ARN}/dev/GET/links/*"), arn) == "allow"
    assert (
        evaluate(allow([f"{API_ARN}/dev/POST/*", f"{API_ARN}/dev/GET/links/???"]), arn) == "allow"
    )
    assert evaluate(allow(f"{API_ARN}/dev/POST/*"), arn) == "none"
    assert evaluate(allow(f"{API_ARN}/prod/*"), arn) == "none"
    deny = ({"Effect": "Deny", "Action": "execute-api:*", "Resource": "*"},)
    assert evaluate(allow("*") + deny, arn) == "deny"
    other_action = ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},)
    assert evaluate(other_action, arn) == "none"


def test_routes_prefer_literals_then_parameters_then_greedy_paths() -> None:
    root = ApiResource("root", "/", "")
    links = ApiResource("r1", "/links", "links", methods={"GET": Method("GET", "Fn")})
    code = ApiResource("r2", "/links/{code}", "{code}", methods={"GET": Method("GET", "Fn")})
    mine = ApiResource("r3", "/links/mine", "mine", methods={"GET": Method("GET", "Fn")})
    anything = ApiResource("r4", "/{proxy+}", "{proxy+}", methods={"ANY": Method("ANY", "Fn")})
    links.children += [code, mine]
    root.children += [links, anything]
    api = RestApiModel("Api", "abc123", "Api", root, "dev", {}, {}, {})

    def resource_and_params(path: str, verb: str = "GET") -> tuple[str, dict[str, str]] | None:
        route = api.match(path, verb)
        return (route.resource.path, dict(route.path_parameters)) if route else None

    assert resource_and_params("/links/mine") == ("/links/mine", {})
    assert resource_and_params("/links/abc") == ("/links/{code}", {"code": "abc"})
    assert resource_and_params("/links/abc/more") == ("/{proxy+}", {"proxy": "links/abc/more"})
    assert resource_and_params("/links/abc", "POST") == ("/{proxy+}", {"proxy": "links/abc"})
    assert resource_and_params("/links/") == ("/links", {})
    assert resource_and_params("/") is None
