"""The optional link features on the management API: tags, utm, max_clicks, fallback_url and
targets are validated like `url`, stored, shown, changed with PATCH (null clears) and listed."""

from __future__ import annotations

from typing import Any

import pytest

from shortener.models import LINK_SK, TAG_SK_PREFIX, LinkModel
from tests.unit.conftest import LINKS_TABLE, ApiCall, AwsResources, assert_problem

TARGET = "https://example.com/landing"
FEATURES: dict[str, Any] = {
    "tags": ["spring", "sale_2026"],
    "utm": {"source": "newsletter", "campaign": "spring sale"},
    "max_clicks": 3,
    "fallback_url": "https://example.com/sold-out",
    "targets": {"ios": "https://apps.apple.com/app/id1", "android": "https://play.google.com/x"},
}


def create(api: ApiCall, owner: str = "alice", **fields: Any) -> dict[str, Any]:
    answer = api("POST", "/links", body={"url": TARGET, **fields}, owner=owner)
    assert answer.status == 201, answer.text
    return dict(answer.json())


def tag_items(aws: AwsResources) -> set[tuple[str, str]]:
    items = aws.dynamodb.scan(TableName=LINKS_TABLE)["Items"]
    return {
        (item["pk"]["S"], item["sk"]["S"].removeprefix(TAG_SK_PREFIX))
        for item in items
        if item["sk"]["S"].startswith(TAG_SK_PREFIX)
    }


# ------------------------------------------------------------------------------ create, show


def test_a_plain_link_shows_every_feature_unset(api: ApiCall) -> None:
    link = create(api)

    assert link["tags"] == []
    assert [link[name] for name in ("utm", "max_clicks", "fallback_url", "targets")] == [None] * 4
    assert api("GET", f"/links/{link['code']}").json()["clicks_remaining"] is None


def test_every_feature_is_stored_and_shown(api: ApiCall) -> None:
    link = create(api, **FEATURES)

    shown = api("GET", f"/links/{link['code']}").json()
    for name, value in FEATURES.items():
        expected = value
        if name == "utm":
            expected = {key: value.get(key) for key in ("source", "medium", "campaign", "term")}
            expected["content"] = None
        assert shown[name] == expected, name
        assert link[name] == expected, name
    assert shown["clicks_remaining"] == 3


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"tags": ["a"] * 2}, "#/tags"),
        ({"tags": ["ok", "ok"]}, "#/tags"),
        ({"tags": [f"t{n}" for n in range(11)]}, "#/tags"),
        ({"tags": [""]}, "#/tags/0"),
        ({"tags": ["x" * 33]}, "#/tags/0"),
        ({"tags": ["no spaces"]}, "#/tags/0"),
        ({"tags": "spring"}, "#/tags"),
        ({"utm": {"source": "x" * 101}}, "#/utm/source"),
        ({"utm": {"source": ""}}, "#/utm/source"),
        ({"utm": {"referrer": "x"}}, "#/utm/referrer"),
        ({"max_clicks": 0}, "#/max_clicks"),
        ({"max_clicks": 1_000_000_001}, "#/max_clicks"),
        ({"max_clicks": "3"}, "#/max_clicks"),
        ({"max_clicks": True}, "#/max_clicks"),
        ({"max_clicks": 2.5}, "#/max_clicks"),
        ({"fallback_url": "javascript:alert(1)"}, "#/fallback_url"),
        ({"fallback_url": "https://example.com/\r\nSet-Cookie: x=1"}, "#/fallback_url"),
        ({"targets": {"ios": "ftp://example.com/"}}, "#/targets/ios"),
        ({"targets": {"windows": "https://example.com/"}}, "#/targets/windows"),
    ],
)
def test_an_invalid_feature_is_a_422_naming_the_field_and_writes_nothing(
    api: ApiCall, aws: AwsResources, fields: dict[str, Any], pointer: str
) -> None:
    problem = assert_problem(api("POST", "/links", body={"url": TARGET, **fields}), 422)

    assert pointer in [error.get("pointer") for error in problem["errors"]], problem
    assert aws.link_items() == []
    assert tag_items(aws) == set()


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"fallback_url": "https://sho.rt/other"}, "#/fallback_url"),
        ({"targets": {"android": "https://sho.rt/other"}}, "#/targets/android"),
    ],
)
def test_no_feature_may_redirect_back_to_the_shortener(
    api: ApiCall, aws: AwsResources, fields: dict[str, Any], pointer: str
) -> None:
    problem = assert_problem(api("POST", "/links", body={"url": TARGET, **fields}), 422)

    assert problem["errors"][0]["pointer"] == pointer
    assert aws.link_items() == []


def test_a_taken_alias_with_tags_writes_no_tag_items(api: ApiCall, aws: AwsResources) -> None:
    create(api, alias="taken", tags=["first"])

    answer = api("POST", "/links", body={"url": TARGET, "alias": "taken", "tags": ["second"]})

    assert_problem(answer, 409)
    assert tag_items(aws) == {("taken", "first")}


def test_bulk_is_a_reserved_alias(api: ApiCall) -> None:
    assert_problem(api("POST", "/links", body={"url": TARGET, "alias": "bulk"}), 422)


# -------------------------------------------------------------------------------------- tags


def test_the_list_by_tag_holds_only_the_callers_links_with_it_newest_first(
    api: ApiCall,
) -> None:
    tagged = [create(api, tags=["spring", f"n{n}"])["code"] for n in range(3)]
    create(api, tags=["autumn"])
    create(api)
    create(api, owner="bob", tags=["spring"])

    page = api("GET", "/links", query={"tag": "spring"}).json()

    assert [item["code"] for item in page["items"]] == tagged[::-1]
    assert page["next_cursor"] is None


def test_the_list_by_tag_pages_with_limit_and_cursor(api: ApiCall) -> None:
    tagged = [create(api, tags=["spring"])["code"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"tag": "spring", "limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api("GET", "/links", query=query).json()
        assert len(page["items"]) <= 2
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == tagged[::-1]


def test_a_cursor_of_one_tag_or_of_the_whole_list_is_refused_for_another(api: ApiCall) -> None:
    for _ in range(2):
        create(api, tags=["spring", "sale"])
    spring = api("GET", "/links", query={"tag": "spring", "limit": "1"}).json()["next_cursor"]
    everything = api("GET", "/links", query={"limit": "1"}).json()["next_cursor"]

    assert_problem(api("GET", "/links", query={"tag": "sale", "cursor": spring}), 400)
    assert_problem(api("GET", "/links", query={"cursor": spring}), 400)
    assert_problem(api("GET", "/links", query={"tag": "sale", "cursor": everything}), 400)


def test_an_invalid_tag_filter_is_a_422(api: ApiCall) -> None:
    assert_problem(api("GET", "/links", query={"tag": "no spaces"}), 422)


def test_patching_tags_keeps_the_index_in_step(api: ApiCall, aws: AwsResources) -> None:
    code = create(api, tags=["spring", "sale"])["code"]

    changed = api("PATCH", f"/links/{code}", body={"tags": ["sale", "summer"]})

    assert changed.status == 200, changed.text
    assert changed.json()["tags"] == ["sale", "summer"]
    assert tag_items(aws) == {(code, "sale"), (code, "summer")}
    assert api("GET", "/links", query={"tag": "spring"}).json()["items"] == []
    assert [i["code"] for i in api("GET", "/links", query={"tag": "summer"}).json()["items"]] == [
        code
    ]


@pytest.mark.parametrize("cleared", [None, []])
def test_clearing_tags_removes_their_items(
    api: ApiCall, aws: AwsResources, cleared: list[str] | None
) -> None:
    code = create(api, tags=["spring"])["code"]

    assert api("PATCH", f"/links/{code}", body={"tags": cleared}).json()["tags"] == []
    assert tag_items(aws) == set()


def test_deleting_a_tagged_link_removes_its_tag_items(api: ApiCall, aws: AwsResources) -> None:
    code = create(api, tags=["spring", "sale"])["code"]

    assert api("DELETE", f"/links/{code}").status == 204

    assert tag_items(aws) == set()
    assert api("GET", "/links", query={"tag": "spring"}).json()["items"] == []


def test_a_stale_tag_item_never_shows_another_link_under_its_tag(
    api: ApiCall, aws: AwsResources
) -> None:
    code = create(api, alias="reborn", tags=["spring"])["code"]
    # As if the link went away between two writes, and its code came back without the tag.
    LinkModel(code, LINK_SK).delete()
    create(api, alias="reborn")

    assert api("GET", "/links", query={"tag": "spring"}).json()["items"] == []


# ------------------------------------------------------------------------------------ PATCH


@pytest.mark.parametrize("name", ["utm", "max_clicks", "fallback_url", "targets"])
def test_null_clears_a_feature(api: ApiCall, aws: AwsResources, name: str) -> None:
    code = create(api, **FEATURES)["code"]

    changed = api("PATCH", f"/links/{code}", body={name: None})

    assert changed.status == 200, changed.text
    assert changed.json()[name] is None
    [item] = aws.link_items()
    assert name not in item


def test_patch_sets_every_feature_on_a_plain_link(api: ApiCall) -> None:
    code = create(api)["code"]

    changed = api("PATCH", f"/links/{code}", body=FEATURES).json()

    assert changed["tags"] == FEATURES["tags"]
    assert changed["max_clicks"] == 3
    assert changed["utm"]["campaign"] == "spring sale"
    assert changed["targets"] == FEATURES["targets"]


def test_an_invalid_patch_changes_nothing(api: ApiCall) -> None:
    link = create(api, **FEATURES)

    answer = api("PATCH", f"/links/{link['code']}", body={"tags": ["ok"], "max_clicks": 0})

    assert_problem(answer, 422)
    assert api("GET", f"/links/{link['code']}").json()["tags"] == FEATURES["tags"]


def test_clicks_remaining_counts_down_and_a_new_limit_keeps_the_clicks_used(
    api: ApiCall,
) -> None:
    code = create(api, max_clicks=3)["code"]
    LinkModel(code, LINK_SK).update(actions=[LinkModel.clicks_used.add(2)])

    assert api("GET", f"/links/{code}").json()["clicks_remaining"] == 1
    api("PATCH", f"/links/{code}", body={"max_clicks": 5})
    assert api("GET", f"/links/{code}").json()["clicks_remaining"] == 3
    api("PATCH", f"/links/{code}", body={"max_clicks": 1})
    assert api("GET", f"/links/{code}").json()["clicks_remaining"] == 0
