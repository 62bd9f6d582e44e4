"""What every unit test shares: AWS in-process (moto), the stack's data resources, API keys, and
the events API Gateway hands the functions.

The environment is set when this file is imported, before any test module imports `shortener`:
the pynamodb models read their table names at import time, as they do on Lambda. Credentials
are always fake and `AWS_ENDPOINT_URL` is dropped, so nothing here can reach a real account.

- `aws`: moto with the tables of docs/architecture.md (Links with its stream and by_owner index,
  ApiKeys, Webhooks, Idempotency), the QR bucket and the short-base-URL parameter.
- `api_key`: issue a key the way operators do (only its hash is stored) and get the key back.
- `api_event(...)` / `token_event(...)`: realistic API Gateway v1 proxy / TOKEN authorizer events.
- `api`: call the api function's handler like API Gateway does, as an owner the authorizer let in.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
API_ID = "a1b2c3d4e5"
STAGE = "dev"
API_DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
SHORT_BASE_URL = "https://sho.rt"
LINKS_TABLE = "Links"
KEYS_TABLE = "ApiKeys"
WEBHOOKS_TABLE = "Webhooks"
IDEMPOTENCY_TABLE = "Idempotency"
CLICKS_TABLE = "Clicks"
QR_BUCKET = "shortener-qr-codes-test"
SHORT_BASE_URL_PARAMETER = "/shortener/test/short-base-url"

TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "LINKS_TABLE_NAME": LINKS_TABLE,
    "KEYS_TABLE_NAME": KEYS_TABLE,
    "WEBHOOKS_TABLE_NAME": WEBHOOKS_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "CLICKS_TABLE_NAME": CLICKS_TABLE,
    "QR_BUCKET_NAME": QR_BUCKET,
    "SHORT_BASE_URL_PARAMETER": SHORT_BASE_URL_PARAMETER,
    "EMAIL_SENDER": "no-reply@example.com",
    "ALLOW_LOOPBACK_WEBHOOKS": "false",
    "WEBHOOK_RETRY_DELAYS": "[30, 120, 600]",
    "POWERTOOLS_SERVICE_NAME": "shortener",
    "POWERTOOLS_METRICS_NAMESPACE": "Shortener",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "LOG_LEVEL": "WARNING",
    "STAGE": STAGE,
}
os.environ.update(TEST_ENVIRONMENT)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# Imported after the environment is set, on purpose.
import boto3  # noqa: E402
import pytest  # noqa: E402
from aws_lambda_powertools.utilities import parameters  # noqa: E402
from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402
from moto import mock_aws  # noqa: E402

from shortener import models  # noqa: E402
from shortener.clock import now_iso  # noqa: E402
from shortener.keys import hash_api_key, key_id_for, new_api_key  # noqa: E402

# ------------------------------------------------------------------------------------- AWS


def _string_attributes(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def _key_schema(hash_key: str, range_key: str | None = None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _index(
    name: str, hash_key: str, range_key: str | None = None, *, projection: str = "ALL"
) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": _key_schema(hash_key, range_key),
        "Projection": {"ProjectionType": projection},
    }


def create_tables(dynamodb: Any) -> None:
    """The four tables of docs/architecture.md, with their keys, indexes, stream and TTL."""
    on_demand = {"BillingMode": "PAY_PER_REQUEST"}
    dynamodb.create_table(
        TableName=LINKS_TABLE,
        KeySchema=_key_schema("pk", "sk"),
        AttributeDefinitions=_string_attributes("pk", "sk", "owner", "created_at", "tag_key"),
        GlobalSecondaryIndexes=[
            _index("by_owner", "owner", "created_at"),
            _index("by_tag", "tag_key", "created_at", projection="KEYS_ONLY"),
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **on_demand,
    )
    dynamodb.create_table(
        TableName=KEYS_TABLE,
        KeySchema=_key_schema("key_hash"),
        AttributeDefinitions=_string_attributes("key_hash", "key_id", "owner", "created_at"),
        GlobalSecondaryIndexes=[
            _index("by_key_id", "key_id"),
            _index("by_owner", "owner", "created_at"),
        ],
        **on_demand,
    )
    dynamodb.create_table(
        TableName=WEBHOOKS_TABLE,
        KeySchema=_key_schema("pk", "sk"),
        AttributeDefinitions=_string_attributes("pk", "sk", "created_at"),
        GlobalSecondaryIndexes=[_index("by_time", "pk", "created_at")],
        **on_demand,
    )
    dynamodb.update_time_to_live(
        TableName=WEBHOOKS_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    dynamodb.create_table(
        TableName=IDEMPOTENCY_TABLE,
        KeySchema=_key_schema("id"),
        AttributeDefinitions=_string_attributes("id"),
        **on_demand,
    )
    dynamodb.update_time_to_live(
        TableName=IDEMPOTENCY_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    dynamodb.create_table(
        TableName=CLICKS_TABLE,
        KeySchema=_key_schema("pk", "sk"),
        AttributeDefinitions=_string_attributes("pk", "sk"),
        **on_demand,
    )


@dataclass
class AwsResources:
    """Clients of the mocked account, for tests to look at what the code wrote."""

    dynamodb: Any
    s3: Any
    ssm: Any

    def link_items(self) -> list[dict[str, Any]]:
        """Every link item of the Links table (not effect statuses or counters)."""
        items = self.dynamodb.scan(TableName=LINKS_TABLE)["Items"]
        return [item for item in items if item["sk"]["S"] == models.LINK_SK]


@cache
def _clients() -> AwsResources:
    # moto intercepts every botocore client while a mock is active, whenever it was made, so
    # the clients (slow to build) are made once for all tests.
    return AwsResources(
        dynamodb=boto3.client("dynamodb", region_name=REGION),
        s3=boto3.client("s3", region_name=REGION),
        ssm=boto3.client("ssm", region_name=REGION),
    )


@pytest.fixture
def aws() -> Iterator[AwsResources]:
    """A fresh mocked AWS account holding the stack's data resources."""
    with mock_aws():
        resources = _clients()
        create_tables(resources.dynamodb)
        resources.s3.create_bucket(Bucket=QR_BUCKET)
        resources.ssm.put_parameter(
            Name=SHORT_BASE_URL_PARAMETER, Value=SHORT_BASE_URL, Type="String"
        )
        models.bind_table_names(links=LINKS_TABLE, keys=KEYS_TABLE, webhooks=WEBHOOKS_TABLE)
        parameters.clear_caches()  # a value cached by an earlier test's account is not this one's
        yield resources
        parameters.clear_caches()


# ------------------------------------------------------------------------------------ keys


def issue_api_key(
    owner: str,
    *,
    email: str | None = None,
    revoked: bool = False,
    scopes: list[str] | None = None,
    gateway_key_value: str | None = None,
) -> str:
    """Store a key as operators do (its hash only) and return the key itself."""
    key = new_api_key()
    key_hash = hash_api_key(key)
    models.ApiKeyModel(
        key_hash,
        key_id=key_id_for(key_hash),
        owner=owner,
        email=email,
        created_at=now_iso(),
        revoked_at=now_iso() if revoked else None,
        scopes=scopes,
        gateway_key_value=gateway_key_value,
    ).save()
    return key


@pytest.fixture
def api_key(aws: AwsResources) -> Callable[..., str]:
    """api_key("alice") -> a live key of alice's; api_key("bob", revoked=True) -> a dead one."""
    return issue_api_key


# ----------------------------------------------------------------------- API Gateway events


@dataclass
class FakeLambdaContext:
    function_name: str = "shortener-test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:shortener-test"
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/shortener-test"
    log_stream_name: str = "2026/11/26/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def new_lambda_context() -> LambdaContext:
    """What Lambda passes a handler as `context`, with the fields Powertools reads."""
    return cast(LambdaContext, FakeLambdaContext())


@pytest.fixture
def lambda_context() -> LambdaContext:
    return new_lambda_context()


# The REST API's resources (infra), most specific first: the event carries the matched one.
API_RESOURCES = (
    "/links/bulk",
    "/links/{code}/qr",
    "/links/{code}/clicks",
    "/links/{code}",
    "/links",
    "/webhooks/{id}/deliveries/{delivery_id}/resend",
    "/webhooks/{id}/deliveries/{delivery_id}",
    "/webhooks/{id}/deliveries",
    "/webhooks/{id}/rotate-secret",
    "/webhooks/{id}/recover",
    "/webhooks/{id}/test",
    "/webhooks/{id}",
    "/webhooks",
    "/stats",
    "/openapi.json",
    "/docs/swagger-ui-bundle.min.js",
    "/docs/swagger-ui.min.css",
    "/docs",
    "/{code}",
)


def _match_resource(path: str) -> tuple[str, dict[str, str] | None]:
    segments = path.strip("/").split("/")
    for resource in API_RESOURCES:
        template = resource.strip("/").split("/")
        if len(template) != len(segments):
            continue
        parameters_found: dict[str, str] = {}
        for expected, actual in zip(template, segments, strict=True):
            if expected.startswith("{"):
                parameters_found[expected.strip("{}")] = actual
            elif expected != actual:
                break
        else:
            return resource, parameters_found or None
    return path, None


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    owner: str | None = "alice",
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as it reaches a function behind the authorizer.

    `body` is sent as JSON unless it is already text; `owner=None` is a route without auth.
    """
    resource, path_parameters = _match_resource(path)
    text = body if body is None or isinstance(body, str) else json.dumps(body)
    all_headers = {
        "Accept": "application/json",
        "Host": API_DOMAIN,
        "User-Agent": "pytest",
        "Via": "2.0 0123456789abcdef.cloudfront.net (CloudFront)",
        "X-Amzn-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
        "X-Forwarded-For": "203.0.113.7, 130.176.0.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if text is not None:
        all_headers["Content-Type"] = "application/json"
    if owner is not None:
        all_headers["Authorization"] = "Bearer shk_seen-by-the-authorizer-only"
    all_headers.update(headers or {})
    authorizer = None
    if owner is not None:
        key_id = "key_" + hash_api_key(owner)[:12]
        authorizer = {"principalId": key_id, "owner": owner, "key_id": key_id}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "c3VwZXJzZWNyZXQ=",
            "requestTime": "26/Nov/2026:10:00:00 +0000",
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": API_ID,
            "requestTimeEpoch": 1795687200000,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
            "domainName": API_DOMAIN,
            "apiId": API_ID,
            "authorizer": authorizer,
        },
        "body": text,
        "isBase64Encoded": False,
    }


def token_event(authorization: str | None, *, method: str = "GET", path: str = "/links") -> dict:
    """What API Gateway sends a TOKEN authorizer (it sends none without the header)."""
    event = {
        "type": "TOKEN",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/{method}{path}",
    }
    if authorization is not None:
        event["authorizationToken"] = authorization
    return event


@dataclass
class ApiAnswer:
    status: int
    headers: dict[str, str]  # names in lower case
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def answer_from(response: dict[str, Any]) -> ApiAnswer:
    """A proxy integration response as a client sees it."""
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(values)
    return ApiAnswer(int(response["statusCode"]), headers, response.get("body") or "")


def assert_problem(answer: ApiAnswer, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem of this status, with no stack trace; returns its body."""
    assert answer.status == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == status
    assert "Traceback" not in answer.text
    return dict(problem)


ApiCall = Callable[..., ApiAnswer]


@pytest.fixture
def api(aws: AwsResources, lambda_context: LambdaContext) -> ApiCall:
    """Call the api function: api("POST", "/links", body={...}, owner="alice", headers={...})."""
    from functions.api.handler import handler

    def call(method: str, path: str, **event_fields: Any) -> ApiAnswer:
        return answer_from(handler(api_event(method, path, **event_fields), lambda_context))

    return call
