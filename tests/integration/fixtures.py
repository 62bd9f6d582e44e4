"""Fixtures of the integration tests, on top of the local cloud's own (conftest.py).

Test modules load them with `pytest_plugins = ["tests.integration.fixtures"]`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.helpers import Owner, Partner, Stack, make_owner


@pytest.fixture(scope="session")
def stack_name(local_cloud: Any) -> str:
    return str(local_cloud.stack_name)


@pytest.fixture(scope="session")
def template(local_cloud: Any) -> dict[str, Any]:
    """The synthesized template the local cloud runs: its one source of truth."""
    return dict(local_cloud.template.body)


@pytest.fixture(scope="session")
def startup_report(local_cloud: Any) -> str:
    return "\n".join(local_cloud.report_lines)


@pytest.fixture(scope="session")
def stack(stack_name: str, aws_client: Callable[[str], Any]) -> Stack:
    return Stack.described(stack_name, aws_client)


@pytest.fixture
def new_owner(api_url: str, aws_endpoint: str) -> Callable[..., Owner]:
    def make(prefix: str = "owner") -> Owner:
        return make_owner(api_url, aws_endpoint, prefix)

    return make


@pytest.fixture
def owner(new_owner: Callable[..., Owner]) -> Owner:
    return new_owner()


@pytest.fixture
def partner() -> Iterator[Partner]:
    receiver = Partner()
    yield receiver
    receiver.stop()


@pytest.fixture
def quick_redelivery(stack: Stack) -> Iterator[Callable[[str], str]]:
    """Make a queue hand a failed message back after one second instead of its visibility
    timeout (six times the consumer's timeout, minutes), so that the maxReceiveCount receives
    the stack declares, unchanged, fit in a test. Restored afterwards."""
    changed: dict[str, str] = {}

    def shorten(queue_hint: str) -> str:
        url = stack.queue_url(queue_hint)
        attributes = stack.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout"]
        )["Attributes"]
        changed.setdefault(url, attributes["VisibilityTimeout"])
        stack.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
        return url

    yield shorten
    for url, original in changed.items():
        stack.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": original})
