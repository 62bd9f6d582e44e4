"""A REST API as the template declares it: resources (paths), methods, their Lambda proxy
integrations and authorizers, the stage (with its method throttles), where API keys come from,
and the gateway responses; and the route matching."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.provisioning import ProvisionedResource

ANY_METHOD = "ANY"
# API Gateway's integration timeout unless a method sets TimeoutInMillis ("Integration timeout",
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
_FUNCTION_IN_URI = re.compile(r"/functions/(arn:[^/]+)/invocations")


@dataclass(frozen=True)
class MockIntegration:
    status_code: int
    headers: Mapping[str, str]
    body: str


@dataclass(frozen=True)
class Method:
    http_method: str
    function: str | None = None
    authorizer: str | None = None
    mock: MockIntegration | None = None
    # The integration's TimeoutInMillis, 29 s unless the method sets its own.
    timeout_seconds: float = DEFAULT_INTEGRATION_TIMEOUT_MS / 1000
    # A usage plan must meter the caller's API key (ApiKeyRequired).
    api_key_required: bool = False


@dataclass
class ApiResource:
    id: str
    path: str
    path_part: str
    children: list[ApiResource] = field(default_factory=list)
    methods: dict[str, Method] = field(default_factory=dict)

    def method_for(self, http_method: str) -> Method | None:
        return self.methods.get(http_method) or self.methods.get(ANY_METHOD)


@dataclass(frozen=True)
class Authorizer:
    logical_id: str
    id: str
    type: str
    function: str
    identity_sources: tuple[str, ...]
    ttl_seconds: int
    validation_expression: str | None = None


@dataclass(frozen=True)
class GatewayResponseOverride:
    status_code: int | None
    headers: Mapping[str, str]
    templates: Mapping[str, str]


@dataclass(frozen=True)
class MethodThrottle:
    """A stage's MethodSettings throttle for `resource_path` and `http_method` (`/*`, `*`: the
    stage's default for each method)."""

    resource_path: str
    http_method: str
    rate_limit: float
    burst_limit: int


@dataclass(frozen=True)
class Route:
    resource: ApiResource
    method: Method
    path_parameters: Mapping[str, str]


@dataclass
class RestApiModel:
    logical_id: str
    api_id: str
    name: str
    root: ApiResource
    stage_name: str | None
    stage_variables: Mapping[str, str]
    authorizers: Mapping[str, Authorizer]
    gateway_responses: Mapping[str, GatewayResponseOverride]
    binary_media_types: tuple[str, ...] = ()
    # HEADER (the x-api-key header) or AUTHORIZER (the authorizer's usageIdentifierKey).
    api_key_source: str = "HEADER"
    method_throttles: tuple[MethodThrottle, ...] = ()

    def resources(self) -> list[ApiResource]:
        found, pending = [], [self.root]
        while pending:
            resource = pending.pop()
            found.append(resource)
            pending.extend(resource.children)
        return sorted(found, key=lambda r: r.path)

    def match(self, path: str, http_method: str) -> Route | None:
        """The route API Gateway would pick: literal segments before {param} before {proxy+}."""
        segments = [segment for segment in path.split("/") if segment]
        return _match(self.root, segments, http_method, {})


def _match(
    resource: ApiResource, segments: list[str], http_method: str, params: dict[str, str]
) -> Route | None:
    if not segments:
        method = resource.method_for(http_method)
        return Route(resource, method, params) if method else None
    head, rest = segments[0], segments[1:]
    literal = [c for c in resource.children if not c.path_part.startswith("{")]
    variable = [c for c in resource.children if _is_variable(c.path_part)]
    greedy = [c for c in resource.children if _is_greedy(c.path_part)]
    for child in literal:
        if child.path_part == head and (route := _match(child, rest, http_method, params)):
            return route
    for child in variable:
        bound = {**params, child.path_part[1:-1]: head}
        if route := _match(child, rest, http_method, bound):
            return route
    for child in greedy:
        method = child.method_for(http_method)
        if method:
            return Route(child, method, {**params, child.path_part[1:-2]: "/".join(segments)})
    return None


def _is_variable(path_part: str) -> bool:
    return path_part.startswith("{") and not path_part.endswith("+}")


def _is_greedy(path_part: str) -> bool:
    return path_part.startswith("{") and path_part.endswith("+}")


def function_logical_id(uri: str, functions_by_arn: Mapping[str, str]) -> str | None:
    """The function an integration (or authorizer) URI invokes, by its logical id."""
    match = _FUNCTION_IN_URI.search(uri)
    if not match:
        return None
    function_arn = ":".join(match.group(1).split(":")[:7])  # without a version or alias
    return functions_by_arn.get(function_arn)


def rest_api_models(
    provisioned: Mapping[str, ProvisionedResource], functions_by_arn: Mapping[str, str]
) -> list[RestApiModel]:
    """One model per REST API the local cloud emulates."""
    return [
        _model(api, provisioned, functions_by_arn)
        for api in provisioned.values()
        if api.type == "AWS::ApiGateway::RestApi" and api.outcome.served_by == "emulated"
    ]


def _model(
    api: ProvisionedResource,
    provisioned: Mapping[str, ProvisionedResource],
    functions_by_arn: Mapping[str, str],
) -> RestApiModel:
    api_id = api.physical_id

    def parts(resource_type: str) -> list[ProvisionedResource]:
        return [
            item
            for item in provisioned.values()
            if item.type == resource_type
            and item.outcome.served_by == "emulated"
            and item.properties.get("RestApiId") == api_id
        ]

    root = ApiResource(id=api.outcome.attributes["RootResourceId"], path="/", path_part="")
    by_id = {root.id: root}
    pending = {item.physical_id: item.properties for item in parts("AWS::ApiGateway::Resource")}
    while pending:
        ready = {rid: props for rid, props in pending.items() if props["ParentId"] in by_id}
        if not ready:
            break  # orphans: their parent is not part of this API
        for resource_id, props in ready.items():
            parent = by_id[props["ParentId"]]
            path = f"{parent.path.rstrip('/')}/{props['PathPart']}"
            child = ApiResource(id=resource_id, path=path, path_part=props["PathPart"])
            parent.children.append(child)
            by_id[resource_id] = child
            del pending[resource_id]

    authorizers = {}
    for item in parts("AWS::ApiGateway::Authorizer"):
        props = item.properties
        function = function_logical_id(props.get("AuthorizerUri", ""), functions_by_arn)
        if function is None:
            continue
        sources = props.get("IdentitySource", "method.request.header.Authorization")
        authorizers[item.physical_id] = Authorizer(
            logical_id=item.logical_id,
            id=item.physical_id,
            type=props["Type"],
            function=function,
            identity_sources=tuple(s.strip() for s in str(sources).split(",") if s.strip()),
            ttl_seconds=int(props.get("AuthorizerResultTtlInSeconds", 300)),
            validation_expression=props.get("IdentityValidationExpression"),
        )

    for item in parts("AWS::ApiGateway::Method"):
        props = item.properties
        resource = by_id.get(props["ResourceId"])
        if resource is None:
            continue
        method = _method(props, functions_by_arn)
        if method is not None:
            resource.methods[method.http_method] = method

    stages = parts("AWS::ApiGateway::Stage")
    stage_name, stage_variables = _stage(stages, parts)
    responses = {
        item.properties["ResponseType"]: _gateway_response(item.properties)
        for item in parts("AWS::ApiGateway::GatewayResponse")
    }
    return RestApiModel(
        logical_id=api.logical_id,
        api_id=api_id,
        name=str(api.properties.get("Name", api.logical_id)),
        root=root,
        stage_name=stage_name,
        stage_variables=stage_variables,
        authorizers=authorizers,
        gateway_responses=responses,
        binary_media_types=tuple(api.properties.get("BinaryMediaTypes", [])),
        api_key_source=str(api.properties.get("ApiKeySourceType", "HEADER")),
        method_throttles=method_throttles_of(stages[0].properties if stages else {}),
    )


def _method(props: Mapping[str, Any], functions_by_arn: Mapping[str, str]) -> Method | None:
    http_method = str(props["HttpMethod"]).upper()
    integration = props.get("Integration", {})
    authorizer = props.get("AuthorizerId") if props.get("AuthorizationType") == "CUSTOM" else None
    if integration.get("Type") == "MOCK":
        return Method(http_method, authorizer=authorizer, mock=_mock(integration))
    function = function_logical_id(str(integration.get("Uri", "")), functions_by_arn)
    if function is None:
        return None
    timeout_ms = int(integration.get("TimeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS))
    return Method(
        http_method,
        function=function,
        authorizer=authorizer,
        timeout_seconds=timeout_ms / 1000,
        api_key_required=str(props.get("ApiKeyRequired", False)).lower() == "true",
    )


def method_throttles_of(stage: Mapping[str, Any]) -> tuple[MethodThrottle, ...]:
    """The stage's throttles. A resource path in MethodSettings is a slash, then the path with
    its own slashes as `~1`: `/~1links~1{code}` is `/links/{code}`
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-stage-methodsetting.html)."""
    throttles = []
    for setting in stage.get("MethodSettings", []):
        if "ThrottlingRateLimit" not in setting and "ThrottlingBurstLimit" not in setting:
            continue
        path = str(setting.get("ResourcePath", "/*"))
        if path != "/*":
            path = path[1:].replace("~1", "/")
        throttles.append(
            MethodThrottle(
                resource_path=path,
                http_method=str(setting.get("HttpMethod", "*")).upper(),
                rate_limit=float(setting.get("ThrottlingRateLimit", -1)),
                burst_limit=int(setting.get("ThrottlingBurstLimit", -1)),
            )
        )
    return tuple(throttles)


def _mock(integration: Mapping[str, Any]) -> MockIntegration:
    """What a MOCK integration (CORS preflight, typically) answers: its first response."""
    responses = integration.get("IntegrationResponses") or [{"StatusCode": "200"}]
    first = responses[0]
    headers = {
        name.removeprefix("method.response.header."): _literal(value)
        for name, value in first.get("ResponseParameters", {}).items()
        if name.startswith("method.response.header.") and _is_literal(value)
    }
    body = next(iter(first.get("ResponseTemplates", {}).values()), "")
    return MockIntegration(int(first.get("StatusCode", 200)), headers, body)


def _stage(stages: list[ProvisionedResource], parts: Any) -> tuple[str | None, Mapping[str, str]]:
    if stages:
        props = stages[0].properties
        return props["StageName"], dict(props.get("Variables", {}))
    for deployment in parts("AWS::ApiGateway::Deployment"):
        if deployment.properties.get("StageName"):
            return deployment.properties["StageName"], {}
    return None, {}


def _gateway_response(props: Mapping[str, Any]) -> GatewayResponseOverride:
    headers = {
        name.removeprefix("gatewayresponse.header."): _literal(value)
        for name, value in props.get("ResponseParameters", {}).items()
        if name.startswith("gatewayresponse.header.") and _is_literal(value)
    }
    status = props.get("StatusCode")
    return GatewayResponseOverride(
        status_code=int(status) if status else None,
        headers=headers,
        templates=dict(props.get("ResponseTemplates", {})),
    )


def _is_literal(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'"


def _literal(value: str) -> str:
    return value[1:-1]
