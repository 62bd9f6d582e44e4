"""POST /links/bulk: every item created as by POST /links, each on its own, answered in order."""

from __future__ import annotations

from typing import Any

import pytest

from shortener.links import bulk
from tests.api_contract import LINK_FIELDS
from tests.unit.conftest import ApiCall, AwsResources, assert_problem


def item(n: int) -> dict[str, Any]:
    return {"url": f"https://example.com/{n}"}


def test_100_items_with_3_invalid_give_97_links_and_3_problems_in_order(
    api: ApiCall, aws: AwsResources
) -> None:
    items: list[Any] = [item(n) for n in range(100)]
    items[10] = {"url": "javascript:alert(1)"}
    items[50] = {"url": "https://example.com/50", "max_clicks": 0}
    items[99] = "not an object"

    answer = api("POST", "/links/bulk", body={"items": items})

    assert answer.status == 200, answer.text
    results = answer.json()["items"]
    assert len(results) == 100
    assert [n for n, result in enumerate(results) if result["status"] != 201] == [10, 50, 99]
    for n in (10, 50, 99):
        assert results[n]["status"] == 422
        problem = results[n]["problem"]
        assert {"type", "title", "status", "detail"} <= set(problem)
        assert "link" not in results[n] or results[n]["link"] is None
    assert results[50]["problem"]["errors"][0]["pointer"] == "#/max_clicks"
    created = [result["link"] for result in results if result["status"] == 201]
    assert all(set(link) == LINK_FIELDS for link in created)
    # In request order: each link is the item at its place.
    assert [link["url"] for link in created] == [
        f"https://example.com/{n}" for n in range(100) if n not in (10, 50, 99)
    ]
    assert len({link["code"] for link in created}) == 97
    assert len(aws.link_items()) == 97


def test_bulk_items_with_tags_are_listed_by_tag(
    api: ApiCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One write at a time here: moto's in-process transactions deep-copy the table they write,
    # which a concurrent put may change under them (the local cloud's moto server does not).
    monkeypatch.setattr(bulk, "WRITE_CONCURRENCY", 1)
    items = [{**item(n), "tags": ["bulk"]} for n in range(3)]

    results = api("POST", "/links/bulk", body={"items": items}).json()["items"]

    listed = api("GET", "/links", query={"tag": "bulk"}).json()["items"]
    assert [link["code"] for link in listed] == [r["link"]["code"] for r in results][::-1]


def test_a_taken_alias_fails_only_its_own_item(api: ApiCall) -> None:
    api("POST", "/links", body={"url": "https://example.com/", "alias": "taken"})
    items = [item(0), {"url": "https://example.com/x", "alias": "taken"}, item(2)]

    results = api("POST", "/links/bulk", body={"items": items}).json()["items"]

    assert [result["status"] for result in results] == [201, 409, 201]


def test_the_same_alias_twice_in_one_request_is_created_once(api: ApiCall) -> None:
    items = [{"url": f"https://example.com/{n}", "alias": "twice"} for n in range(2)]

    results = api("POST", "/links/bulk", body={"items": items}).json()["items"]

    assert sorted(result["status"] for result in results) == [201, 409]


@pytest.mark.parametrize(
    "body",
    [{"items": []}, {"items": [item(n) for n in range(101)]}, {"items": item(0)}, {}],
)
def test_a_request_outside_1_to_100_objects_is_refused_whole(
    api: ApiCall, aws: AwsResources, body: dict[str, Any]
) -> None:
    assert_problem(api("POST", "/links/bulk", body=body), 422)
    assert aws.link_items() == []


def test_a_body_over_64_kib_is_a_413(api: ApiCall, aws: AwsResources) -> None:
    long_url = "https://example.com/" + "a" * 2000
    body = {"items": [{"url": long_url} for _ in range(40)]}

    assert_problem(api("POST", "/links/bulk", body=body), 413)
    assert aws.link_items() == []


def test_an_idempotency_key_covers_the_whole_request(api: ApiCall, aws: AwsResources) -> None:
    body = {"items": [item(n) for n in range(5)]}
    headers = {"Idempotency-Key": "bulk-1"}

    first = api("POST", "/links/bulk", body=body, headers=headers)
    again = api("POST", "/links/bulk", body=body, headers=headers)
    other = api("POST", "/links/bulk", body={"items": [item(9)]}, headers=headers)

    assert first.status == again.status == 200
    assert again.json() == first.json()
    assert len(aws.link_items()) == 5
    assert_problem(other, 422)
