"""A DynamoDB that never answers (issue 14): every write gives up after its bounded attempts, so
the function fails the request itself instead of writing after API Gateway answered 504."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pynamodb.exceptions import PutError

from shortener import aws_clients
from shortener.aws_clients import TOTAL_MAX_ATTEMPTS, bounded_config
from shortener.models import LinkModel


@dataclass
class SilentEndpoint:
    """Accepts connections, reads each request and never answers it."""

    listener: socket.socket
    requests: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def serve(self) -> None:
        held = []
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            held.append(connection)  # kept open, unanswered
            self.requests.append(connection.recv(65536))


@pytest.fixture
def silent_dynamodb() -> Iterator[SilentEndpoint]:
    listener = socket.create_server(("127.0.0.1", 0))
    endpoint = SilentEndpoint(listener)
    threading.Thread(target=endpoint.serve, daemon=True).start()
    yield endpoint
    listener.close()


def _link() -> LinkModel:
    stamp = "2026-12-01T12:00:00Z"
    return LinkModel(
        "abc1234",
        code="abc1234",
        owner="alice",
        url="https://example.com/",
        created_at=stamp,
        updated_at=stamp,
    )


def test_a_link_write_gives_up_after_its_bounded_attempts(
    silent_dynamodb: SilentEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LinkModel.Meta, "host", silent_dynamodb.url)
    monkeypatch.setattr(LinkModel, "_connection", None)

    with pytest.raises(PutError):
        _link().save()

    assert len(silent_dynamodb.requests) == TOTAL_MAX_ATTEMPTS
    monkeypatch.setattr(LinkModel, "_connection", None)  # not this endpoint's, after the test


def test_every_shared_client_gives_up_after_its_bounded_attempts(
    silent_dynamodb: SilentEndpoint,
) -> None:
    dynamodb = aws_clients._session().create_client(
        "dynamodb", endpoint_url=silent_dynamodb.url, config=bounded_config()
    )

    with pytest.raises(Exception, match="Read timeout"):
        dynamodb.get_item(TableName="Links", Key={"pk": {"S": "abc1234"}})

    assert len(silent_dynamodb.requests) == TOTAL_MAX_ATTEMPTS
