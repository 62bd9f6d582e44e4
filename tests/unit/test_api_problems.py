"""Every error of the API is an RFC 9457 problem; none shows a stack trace."""

from __future__ import annotations

import logging

import pytest

from tests.unit.conftest import LINKS_TABLE, ApiCall, AwsResources, assert_problem


def test_an_unknown_route_is_a_404_problem(api: ApiCall) -> None:
    problem = assert_problem(api("GET", "/nothing/here"), 404)

    assert problem["type"].startswith("https://")
    assert problem["title"] == "Not Found"


def test_a_request_the_authorizer_did_not_vouch_for_is_401(api: ApiCall) -> None:
    # API Gateway never lets one through; this guards a route left without the authorizer.
    assert_problem(api("GET", "/links", owner=None), 401)


def test_an_unexpected_error_is_a_500_problem_that_is_logged_but_not_shown(
    api: ApiCall, aws: AwsResources, caplog: pytest.LogCaptureFixture
) -> None:
    aws.dynamodb.delete_table(TableName=LINKS_TABLE)

    answer = api("GET", "/links")

    assert_problem(answer, 500)
    assert "ResourceNotFound" not in answer.text
    assert "pynamodb" not in answer.text
    [error] = [record for record in caplog.records if record.msg == "unexpected error"]
    assert error.levelno == logging.ERROR
    assert error.exc_info is not None
    assert "ResourceNotFound" in str(error.exc_info[1])
