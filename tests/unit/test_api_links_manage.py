"""Reading, listing, changing and deleting links: each owner sees and touches only their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shortener.clock import now_iso, to_iso, utcnow
from shortener.links.cursor import encode_cursor
from shortener.models import EFFECT_NAMES, EffectStatusModel
from tests.unit.conftest import ApiCall, AwsResources, assert_problem

TARGET = "https://example.com/landing"


def create(api: ApiCall, owner: str = "alice", **fields: object) -> dict:
    answer = api("POST", "/links", body={"url": TARGET, **fields}, owner=owner)
    assert answer.status == 201, answer.text
    return answer.json()


# ------------------------------------------------------------------------------------- read


def test_get_answers_the_link_with_every_side_effect_pending(api: ApiCall) -> None:
    link = create(api)

    answer = api("GET", f"/links/{link['code']}")

    assert answer.status == 200
    shown = answer.json()
    assert {name: shown[name] for name in link} == link
    assert set(shown["effects"]) == set(EFFECT_NAMES)
    assert all(effect["state"] == "pending" for effect in shown["effects"].values())


def _record_qr_done(code: str, version: str) -> None:
    EffectStatusModel(
        code,
        EffectStatusModel.sort_key("qr"),
        effect="qr",
        state="done",
        attempts=1,
        updated_at=now_iso(),
        version=version,
        # What the QR consumer records while both images exist.
        detail={"png_key": f"qr/{code}.png", "svg_key": f"qr/{code}.svg"},
    ).save()


def test_the_qr_is_ready_once_its_effect_is_done(api: ApiCall) -> None:
    link = create(api)
    _record_qr_done(link["code"], version=link["updated_at"])

    shown = api("GET", f"/links/{link['code']}").json()
    listed = api("GET", "/links").json()["items"]

    assert shown["qr"]["status"] == "ready"
    assert shown["effects"]["qr"]["state"] == "done"
    assert listed[0]["qr"]["status"] == "ready"


def test_a_qr_made_for_an_earlier_link_with_the_same_code_does_not_count(api: ApiCall) -> None:
    first = create(api, alias="reused")
    _record_qr_done("reused", version=first["updated_at"] + "#deleted")
    api("DELETE", "/links/reused")

    again = create(api, alias="reused")

    assert again["qr"]["status"] == "pending"
    assert api("GET", "/links/reused").json()["qr"]["status"] == "pending"


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_owners_link_is_answered_exactly_as_a_missing_one(
    api: ApiCall, method: str
) -> None:
    code = create(api, owner="alice")["code"]
    body = {"url": "https://evil.example/"} if method == "PATCH" else None

    theirs = api(method, f"/links/{code}", body=body, owner="mallory")
    missing = api(method, "/links/Nope123", body=body, owner="mallory")

    assert_problem(theirs, 404)
    assert theirs.json() == missing.json()
    assert api("GET", f"/links/{code}", owner="alice").json()["url"] == TARGET


@pytest.mark.parametrize("code", ["no", "x" * 3000, "bad code!"])
def test_a_code_that_cannot_exist_is_404(api: ApiCall, code: str) -> None:
    assert_problem(api("GET", f"/links/{code}"), 404)


# ------------------------------------------------------------------------------------- list


def test_the_list_pages_through_the_callers_links_newest_first(api: ApiCall) -> None:
    created = [create(api, owner="alice")["code"] for _ in range(5)]
    create(api, owner="bob")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api("GET", "/links", query=query, owner="alice").json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10, "the cursor never ran out"

    assert seen == list(reversed(created))


def test_the_list_defaults_to_twenty(api: ApiCall) -> None:
    for _ in range(21):
        create(api)

    page = api("GET", "/links").json()

    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


def test_an_owner_without_links_gets_an_empty_page(api: ApiCall) -> None:
    create(api, owner="alice")

    assert api("GET", "/links", owner="carol").json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
def test_a_limit_outside_1_to_100_is_422(api: ApiCall, limit: str) -> None:
    problem = assert_problem(api("GET", "/links", query={"limit": limit}), 422)

    assert problem["errors"][0]["parameter"] == "limit"


@pytest.mark.parametrize("cursor", ["garbage", "e30", "W10", "%%%"])
def test_a_cursor_the_api_did_not_give_is_400(api: ApiCall, cursor: str) -> None:
    assert_problem(api("GET", "/links", query={"cursor": cursor}), 400)


def test_a_cursor_with_an_empty_key_value_is_400(api: ApiCall) -> None:
    # DynamoDB itself refuses an empty key attribute: left to it, this would be a 500.
    key = {"pk": {"S": ""}, "sk": {"S": "link"}, "owner": {"S": "alice"}, "created_at": {"S": ""}}

    assert_problem(api("GET", "/links", query={"cursor": encode_cursor(key)}), 400)


def test_a_cursor_of_another_owners_list_is_400(api: ApiCall) -> None:
    key = {
        "pk": {"S": "abc1234"},
        "sk": {"S": "link"},
        "owner": {"S": "bob"},
        "created_at": {"S": now_iso()},
    }

    answer = api("GET", "/links", query={"cursor": encode_cursor(key)}, owner="alice")

    assert_problem(answer, 400)


# ------------------------------------------------------------------------------------ patch


def test_patch_changes_where_the_link_redirects(api: ApiCall, aws: AwsResources) -> None:
    link = create(api)

    answer = api("PATCH", f"/links/{link['code']}", body={"url": "https://example.org/new"})

    assert answer.status == 200
    changed = answer.json()
    assert changed["url"] == "https://example.org/new"
    assert changed["updated_at"] > link["updated_at"]
    assert changed["created_at"] == link["created_at"]
    [item] = aws.link_items()
    assert item["url"]["S"] == "https://example.org/new"


def test_patch_sets_and_removes_the_expiry_and_the_redirect_type(api: ApiCall) -> None:
    code = create(api)["code"]
    expires = utcnow() + timedelta(hours=1)

    set_ = api(
        "PATCH",
        f"/links/{code}",
        body={"expires_at": expires.isoformat(), "redirect_type": 307},
    ).json()
    removed = api("PATCH", f"/links/{code}", body={"expires_at": None}).json()

    assert (set_["expires_at"], set_["redirect_type"]) == (to_iso(expires), 307)
    assert (removed["expires_at"], removed["redirect_type"]) == (None, 307)


@pytest.mark.parametrize("body", [{}, {"url": TARGET}, {"redirect_type": 302, "expires_at": None}])
def test_a_patch_that_changes_nothing_writes_nothing(
    api: ApiCall, aws: AwsResources, body: dict
) -> None:
    link = create(api)
    [before] = aws.link_items()

    answer = api("PATCH", f"/links/{link['code']}", body=body)

    assert answer.status == 200
    assert answer.json() == link
    assert aws.link_items() == [before]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": "javascript:alert(1)"}, "#/url"),
        ({"url": None}, "#/url"),
        ({"url": "https://sho.rt/loop"}, "#/url"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "#/expires_at"),
        ({"redirect_type": 200}, "#/redirect_type"),
        ({"redirect_type": None}, "#/redirect_type"),
        ({"alias": "renamed"}, "#/alias"),
        ({"owner": "mallory"}, "#/owner"),
    ],
)
def test_an_invalid_patch_is_422_and_changes_nothing(
    api: ApiCall, aws: AwsResources, body: dict, pointer: str
) -> None:
    code = create(api)["code"]
    [before] = aws.link_items()

    problem = assert_problem(api("PATCH", f"/links/{code}", body=body), 422)

    assert pointer in [error.get("pointer") for error in problem["errors"]]
    assert aws.link_items() == [before]


def test_a_malformed_patch_body_is_400(api: ApiCall) -> None:
    code = create(api)["code"]

    assert_problem(api("PATCH", f"/links/{code}", body="{url:"), 400)


# ----------------------------------------------------------------------------------- delete


def test_delete_answers_204_and_the_link_is_gone(api: ApiCall, aws: AwsResources) -> None:
    code = create(api)["code"]

    answer = api("DELETE", f"/links/{code}")

    assert (answer.status, answer.text) == (204, "")
    assert aws.link_items() == []
    assert_problem(api("GET", f"/links/{code}"), 404)
    assert_problem(api("DELETE", f"/links/{code}"), 404)
