"""The emulated API Gateway's limits, as API Gateway's REST quotas state them: a burst of
connections is served (never reset), header values past 10,240 bytes are REQUEST_TOO_LARGE,
and an integration past its timeout is 504 "Endpoint request timed out"."""

from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from localcloud import LocalCloud
from tests.localcloud.test_api_gateway_http import raw_exchange

pytestmark = pytest.mark.integration
TIMEOUT = 30
BURST = 200
HEADERS_TOO_LARGE = {"message": "Request headers are larger than 10240 bytes"}


def burst_of_connections(url: str, count: int) -> list[BaseException | int]:
    """`count` clients that connect at the same moment, each sending one request: the status
    each got, or the error its connection met."""
    host, port = url.removeprefix("http://").split(":")
    ready = threading.Barrier(count)
    request = f"GET /echo/fixed HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

    def client(_: int) -> BaseException | int:
        try:
            ready.wait(TIMEOUT)
            with socket.create_connection((host, int(port)), timeout=TIMEOUT) as connection:
                connection.sendall(request)
                received = b""
                while chunk := connection.recv(65536):
                    received += chunk
            return int(received.split(b" ", 2)[1])
        except (OSError, IndexError, ValueError) as error:
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(client, range(count)))


def test_a_burst_of_200_concurrent_connections_is_served_without_a_reset(
    mini_cloud: LocalCloud,
) -> None:
    outcomes = burst_of_connections(mini_cloud.api_url, BURST)

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == []
    assert outcomes == [200] * BURST


def test_an_integration_past_its_timeout_is_504_while_the_function_runs_on(
    mini_cloud: LocalCloud,
) -> None:
    # The method's TimeoutInMillis is 300; the function sleeps 5 s (its own timeout is 1 s).
    response = requests.get(f"{mini_cloud.api_url}/impatient", timeout=TIMEOUT)

    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_an_integration_within_its_timeout_answers(mini_cloud: LocalCloud) -> None:
    response = requests.get(f"{mini_cloud.api_url}/impatient?fast=1", timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.text == "fast"


def test_header_values_up_to_10240_bytes_pass(mini_cloud: LocalCloud) -> None:
    # requests adds User-Agent, Accept-Encoding, Accept and Connection (about 60 bytes).
    headers = {"X-Big": "a" * 10_000}

    response = requests.get(f"{mini_cloud.api_url}/echo/fixed", headers=headers, timeout=TIMEOUT)

    assert response.status_code == 200


@pytest.mark.parametrize("size", [10_241, 64 * 1024, 70_000])
def test_header_values_past_10240_bytes_are_request_too_large(
    mini_cloud: LocalCloud, size: int
) -> None:
    # 70,000 bytes on one line is past what http.server even parses: the same answer.
    request = (
        f"GET /echo/fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: {'a' * size}\r\n\r\n"
    )

    status, headers, body = raw_exchange(mini_cloud.api_url, request.encode())

    assert status == 413
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == HEADERS_TOO_LARGE


def test_a_non_ascii_header_from_a_function_is_sent_not_dropped(mini_cloud: LocalCloud) -> None:
    request = (
        "GET /echo/fixed?location=https://b%C3%BCcher.example/ HTTP/1.1\r\n"
        "Host: x\r\nConnection: close\r\n\r\n"
    )

    status, headers, _ = raw_exchange(mini_cloud.api_url, request.encode())

    assert status == 200
    # raw_exchange reads header bytes as Latin-1: these are the UTF-8 bytes of "ü".
    assert headers["location"].encode("latin-1").decode() == "https://b\u00fccher.example/"
