"""Functions run in warm worker processes with their timeout, and every invocation is
measured and logged like Lambda's REPORT line."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from localcloud import LocalCloud

pytestmark = pytest.mark.integration
TIMEOUT = 30


def test_a_function_over_its_timeout_is_killed_and_replaced(mini_cloud: LocalCloud) -> None:
    response = requests.get(f"{mini_cloud.api_url}/slow", timeout=TIMEOUT)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    report = mini_cloud.invocation_reports("SlowFunction")[-1]
    assert report.timed_out
    assert report.error_type == "Sandbox.Timedout"
    assert report.round_trip_ms < 3000  # killed after 1 s, not left to sleep for 5
    logs = mini_cloud.log_lines("SlowFunction")
    assert any(f"{report.request_id} Task timed out after 1.00 seconds" in line for line in logs)
    # A new worker takes the next invocation, with a cold start.
    again = requests.get(f"{mini_cloud.api_url}/slow?fast=1", timeout=TIMEOUT)
    assert again.status_code == 200
    assert mini_cloud.invocation_reports("SlowFunction")[-1].init_duration_ms is not None


def test_a_warm_worker_serves_the_next_invocation(mini_cloud: LocalCloud) -> None:
    first = mini_cloud.invoke("EchoFunction", {"queryStringParameters": None})
    pids = mini_cloud.process_ids()["EchoFunction"]
    second = mini_cloud.invoke("EchoFunction", {"queryStringParameters": None})

    assert first.ok
    assert second.ok
    assert second.report.init_duration_ms is None
    assert mini_cloud.process_ids()["EchoFunction"] == pids


def test_concurrent_invocations_scale_out_to_the_ceiling_and_spares_retire(
    mini_cloud: LocalCloud,
) -> None:
    pool = mini_cloud.pools["EchoFunction"]
    slow = {"queryStringParameters": {"sleep": "0.5"}}

    with ThreadPoolExecutor(3) as callers:
        invocations = list(callers.map(lambda _: mini_cloud.invoke("EchoFunction", slow), range(3)))

    assert all(invocation.ok for invocation in invocations)
    assert pool.max_workers == 2
    assert len(mini_cloud.process_ids()["EchoFunction"]) == 2  # the third waited its turn
    assert pool.retire_idle(idle_seconds=0) == 1
    assert len(mini_cloud.process_ids()["EchoFunction"]) == 1  # one stays warm


def test_every_invocation_is_logged_with_a_report_line(mini_cloud: LocalCloud) -> None:
    invocation = mini_cloud.invoke("EchoFunction", {"queryStringParameters": None})

    report_lines = [
        line
        for line in mini_cloud.log_lines("EchoFunction")
        if line.startswith(f"REPORT RequestId: {invocation.report.request_id}")
    ]
    assert len(report_lines) == 1
    assert re.search(
        r"Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\t"
        r"Max Memory Used: \d+ MB",
        report_lines[0],
    )
    assert 0 < invocation.report.max_memory_used_mb < 256


def test_a_handler_error_is_returned_as_lambdas_error_payload(mini_cloud: LocalCloud) -> None:
    invocation = mini_cloud.invoke("EnrichFunction", [{"not": "a stream record"}])

    assert not invocation.ok
    assert invocation.error is not None
    assert invocation.error["errorType"] == "KeyError"
    assert any("handler.py" in frame for frame in invocation.error["stackTrace"])
    assert invocation.report.error_type == "KeyError"
