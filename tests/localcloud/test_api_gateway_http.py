"""The emulated API Gateway's HTTP side: any method, HEAD, and the requests http.server itself
refuses; none of them may come out as an HTML page or as no answer at all (headers too large
to parse: test_api_gateway_limits)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from localcloud.apigateway.gateway import ApiGateway
from localcloud.apigateway.model import ApiResource, Method, RestApiModel
from localcloud.apigateway.proxy import HttpRequest
from localcloud.lambda_._runtime import log_error
from localcloud.logs import LogSink

TIMEOUT = 30


def raw_exchange(api_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (requests would refuse to send them) and read the whole answer."""
    host, port = api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_problem_json(status: int, headers: dict[str, str], body: bytes, expected: int) -> None:
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected
    assert {"type", "title", "status", "detail"} <= set(problem)


@pytest.mark.integration
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_a_method_no_route_has_is_missing_authentication_token(
    mini_cloud: LocalCloud, method: str
) -> None:
    # API Gateway answers every method a resource lacks so; http.server would say 501 in HTML.
    response = requests.request(method, f"{mini_cloud.api_url}/echo/fixed", timeout=TIMEOUT)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET /echo/fixed HTTP/9.9\r\n\r\n", 505),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"POST /public/x HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400),
        (b"POST /public/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        (b"POST /public/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ],
    ids=["request-line", "version", "uri-size", "length", "negative", "chunk"],
)
def test_what_http_server_refuses_is_a_problem(
    mini_cloud: LocalCloud, request_bytes: bytes, status: int
) -> None:
    assert_problem_json(*raw_exchange(mini_cloud.api_url, request_bytes), status)


@pytest.mark.integration
def test_head_answers_gets_status_and_headers_without_a_body(mini_cloud: LocalCloud) -> None:
    get = requests.get(f"{mini_cloud.api_url}/public/page?status=418", timeout=TIMEOUT)
    status, headers, body = raw_exchange(
        mini_cloud.api_url,
        b"HEAD /public/page?status=418 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )

    assert get.text  # the function does send a body ...
    assert body == b""  # ... which HEAD never carries
    assert status == get.status_code == 418
    assert headers["x-layer"] == get.headers["X-Layer"]
    assert headers["content-type"] == get.headers["Content-Type"]


def test_the_gateway_drops_the_body_of_a_head_answer() -> None:
    def invoke(function: str, event: Any) -> Any:
        from localcloud.lambda_.workers import Invocation

        payload = {"statusCode": 200, "headers": {"X-Seen": event["httpMethod"]}, "body": "x"}
        return Invocation(report=None, payload=payload)  # type: ignore[arg-type]

    root = ApiResource(id="root", path="/", path_part="")
    root.methods["HEAD"] = Method("HEAD", function="Fn")
    api = RestApiModel("Api", "abc123", "api", root, "dev", {}, {}, {})

    response = ApiGateway(api, invoke, LogSink(echo=False)).handle(HttpRequest("HEAD", "/"))

    assert response.status == 200
    assert response.header("X-Seen") == "HEAD"
    assert response.body == b""


def test_a_function_error_is_one_log_record_as_lambda_writes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        raise Exception("Unauthorized")
    except Exception as error:
        from localcloud.lambda_._runtime import error_payload

        log_error(error_payload(error))

    logged = capsys.readouterr().err
    assert logged.count("\n") == 1, logged  # one line: its parts are joined by \r, as in Lambda
    first, *rest = logged.rstrip("\n").split("\r")
    assert first == "[ERROR] Exception: Unauthorized"
    assert rest[0] == "Traceback (most recent call last):"
