"""What the operator CLI says when its AWS endpoint is wrong, down or answers garbage (issue 13):
one line naming the endpoint actually configured, never a traceback, with the documented exit
code (ops/errors.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from ops.errors import translate
from tests.unit.ops_support import (
    IGNORE_SKIPPED_PIPE,
    World,
    dead_lettered_delivery,
    run_ops,
)

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


@pytest.fixture
def local_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "SHORTENER_STACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.usefixtures("local_credentials")
@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"])
def test_an_endpoint_without_a_scheme_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv(variable, "127.0.0.1:4566")

    ran = run_ops("dlq", "list")

    assert ran.code == 2
    line = _one_error_line(ran.stderr)
    assert f"{variable}='127.0.0.1:4566' is not a URL" in line
    assert f"{variable}=http://127.0.0.1:4566" in line  # what to write instead


@pytest.mark.usefixtures("local_credentials")
def test_cannot_reach_names_the_configured_endpoint_and_how_to_serve_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _free_port()  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")

    ran = run_ops("dlq", "list")

    assert ran.code == 3
    line = _one_error_line(ran.stderr)
    assert f"http://127.0.0.1:{port}" in line
    assert f"make run AWS_PORT={port}" in line
    assert "4566" not in line


class _AnswersPlain500(BaseHTTPRequestHandler):
    """An endpoint that is up but is not AWS: every request gets `500 ok` in plain text."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def plain_500_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AnswersPlain500)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.usefixtures("local_credentials")
def test_an_endpoint_answering_500_in_plain_text_gets_one_line(
    monkeypatch: pytest.MonkeyPatch, plain_500_endpoint: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", plain_500_endpoint)

    ran = run_ops("dlq", "peek", "qr-dlq")

    assert ran.code == 1
    line = _one_error_line(ran.stderr)
    assert plain_500_endpoint in line
    assert "not an AWS response" in line


def test_an_http_status_without_an_aws_error_code_is_said_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What botocore makes of a JSON-protocol service (SQS, DynamoDB) answering `500 ok`."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    error = ClientError(
        {"Error": {"Code": "500", "Message": "ok"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
        "ReceiveMessage",
    )

    failure = translate(error)

    assert failure is not None
    assert int(failure.exit_code) == 1
    assert str(failure) == "ReceiveMessage failed: http://127.0.0.1:4599 answered HTTP 500: ok"


def _dead_delivery(world: World, status: int, last_error: str | None) -> None:
    dead_lettered_delivery(world, "hook500", "msg_500", status=status, last_error=last_error)


@pytest.mark.parametrize(
    ("last_error", "shown"),
    [
        # What the delivery worker records when a partner answers 500 with the body "ok".
        ("HTTP 500: ok", "HTTP 500: ok"),
        (None, "HTTP 500"),
        ("HTTP 500: line one\n  line two", "HTTP 500: line one line two"),
        ("partner answered late", "HTTP 500: partner answered late"),
    ],
)
def test_peek_names_a_deliverys_http_status_once_on_one_line(
    world: World, monkeypatch: pytest.MonkeyPatch, last_error: str | None, shown: str
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a wide table: the cell is not folded
    _dead_delivery(world, 500, last_error)

    ran = run_ops("dlq", "peek", "delivery-dlq")

    assert ran.code == 0, ran
    (row,) = [line for line in ran.stdout.splitlines() if "hook500" in line]
    assert f"endpoint ep_0123456789abcdef; {shown} " in row + " "
    assert row.count("HTTP 500") == 1
