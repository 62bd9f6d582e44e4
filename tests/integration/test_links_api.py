"""The links API over HTTP on the local cloud: every status code of docs/api.md that the
issue "Links API" promises, checked the way a new user would (issue 2, "Done when")."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shortener.clock import to_iso
from tests.api_contract import LINK_FIELDS
from tests.integration.helpers import (
    ApiClient,
    Owner,
    describe,
    make_owner,
    run_ops,
    run_ops_json,
    unique,
    wait_until,
)

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

TARGET = "https://example.com/a/long/path?with=query"
GENERATED_CODE = re.compile(r"^[A-Za-z0-9]{7}$")


@pytest.fixture(scope="module")
def holder(api_url: str, aws_endpoint: str) -> Owner:
    """The owner of the tests that look only at the links they create themselves (a key costs
    a `python -m ops` run); tests that look at an owner's whole list get an owner of their own."""
    return make_owner(api_url, aws_endpoint, "holder")


@pytest.fixture(scope="module")
def validator(api_url: str, aws_endpoint: str) -> Owner:
    """The owner every bad request is made as: one link, which must stay the only one."""
    owner = make_owner(api_url, aws_endpoint, "validator")
    owner.api.create_link(TARGET)
    return owner


def redirect(api_url: str, code: str) -> requests.Response:
    """What a browser gets for a short link: no key, redirects not followed."""
    return requests.get(f"{api_url}/{code}", allow_redirects=False, timeout=30)


def assert_problem(response: requests.Response, *statuses: int) -> dict[str, Any]:
    """An RFC 9457 problem with one of the expected statuses."""
    assert response.status_code in statuses, describe(response)
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("application/problem+json"), describe(response)
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= set(problem), problem
    assert problem["status"] == response.status_code
    return dict(problem)


def listed_codes(api: ApiClient) -> list[str]:
    response = api.get("/links", params={"limit": 100})
    assert response.status_code == 200, describe(response)
    return [item["code"] for item in response.json()["items"]]


def test_a_request_without_a_key_or_with_an_unknown_key_is_401(api_url: str) -> None:
    anonymous = ApiClient(api_url)
    stranger = ApiClient(api_url, "shk_" + "x" * 43)

    assert anonymous.get("/links").status_code == 401
    assert anonymous.post("/links", json={"url": TARGET}).status_code == 401
    assert stranger.get("/links").status_code == 401
    assert stranger.post("/links", json={"url": TARGET}).status_code == 401


def test_a_revoked_key_is_401(api_url: str, aws_endpoint: str) -> None:
    """Revoked before its first use: the authorizer's cached answers cannot keep it alive."""
    created = run_ops_json(aws_endpoint, "keys", "create", "--owner", unique("revoked"))
    run_ops(aws_endpoint, "keys", "revoke", created["key_id"])

    response = ApiClient(api_url, created["key"]).get("/links")

    assert response.status_code == 401, describe(response)


def test_create_answers_201_with_a_location_and_the_contract_fields(holder: Owner) -> None:
    response = holder.api.post("/links", json={"url": TARGET})

    assert response.status_code == 201, describe(response)
    link = response.json()
    assert set(link) >= LINK_FIELDS, link
    assert GENERATED_CODE.match(link["code"]), link["code"]
    # Absolute, under the short base URL, whatever URL the request came through.
    short_base = link["short_url"].removesuffix(f"/{link['code']}")
    assert response.headers["Location"] == f"{short_base}/links/{link['code']}"
    assert short_base.startswith("http")
    assert link["url"] == TARGET
    assert link["short_url"].endswith(f"/{link['code']}")
    assert link["redirect_type"] == 302
    assert link["expires_at"] is None
    assert {"status", "href"} <= set(link["qr"])


def test_the_short_link_redirects_with_302(holder: Owner, api_url: str) -> None:
    link = holder.api.create_link(TARGET)

    response = redirect(api_url, link["code"])

    assert response.status_code == 302, describe(response)
    assert response.headers["Location"] == TARGET


@pytest.mark.parametrize("redirect_type", [301, 307, 308])
def test_the_short_link_redirects_with_the_links_redirect_type(
    holder: Owner, api_url: str, redirect_type: int
) -> None:
    link = holder.api.create_link(TARGET, redirect_type=redirect_type)

    response = redirect(api_url, link["code"])

    assert response.status_code == redirect_type, describe(response)
    assert response.headers["Location"] == TARGET


def test_an_alias_becomes_the_code_and_a_taken_alias_is_409(
    new_owner: Callable[..., Owner], api_url: str
) -> None:
    first, second = new_owner("alias-a"), new_owner("alias-b")
    alias = unique("my_alias")

    link = first.api.create_link(TARGET, alias=alias)
    taken_by_self = first.api.post("/links", json={"url": TARGET, "alias": alias})
    taken_by_other = second.api.post("/links", json={"url": TARGET, "alias": alias})

    assert link["code"] == alias
    assert redirect(api_url, alias).headers["Location"] == TARGET
    assert_problem(taken_by_self, 409)
    assert_problem(taken_by_other, 409)
    assert listed_codes(second.api) == []


def _in_the_past() -> str:
    return to_iso(datetime.now(UTC) - timedelta(hours=1))


BAD_BODIES: dict[str, Callable[[str], dict[str, Any]]] = {
    "javascript-url": lambda _: {"url": "javascript:alert(1)"},
    "ftp-url": lambda _: {"url": "ftp://example.com/file.txt"},
    "relative-url": lambda _: {"url": "/just/a/path"},
    "url-without-host": lambda _: {"url": "https://"},
    "missing-url": lambda _: {"alias": unique("nourl")},
    "url-over-2048-characters": lambda _: {"url": "https://example.com/" + "a" * 2029},
    "url-of-the-shortener-itself": lambda api_url: {"url": f"{api_url}/abcdefg"},
    "reserved-alias-links": lambda _: {"url": TARGET, "alias": "links"},
    "reserved-alias-webhooks": lambda _: {"url": TARGET, "alias": "webhooks"},
    "reserved-alias-stats": lambda _: {"url": TARGET, "alias": "stats"},
    "alias-too-short": lambda _: {"url": TARGET, "alias": "ab"},
    "alias-with-bad-characters": lambda _: {"url": TARGET, "alias": "not ok!"},
    "alias-too-long": lambda _: {"url": TARGET, "alias": "a" * 65},
    "expiry-in-the-past": lambda _: {"url": TARGET, "expires_at": _in_the_past()},
    "redirect-type-303": lambda _: {"url": TARGET, "redirect_type": 303},
    "redirect-type-text": lambda _: {"url": TARGET, "redirect_type": "permanent"},
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_input_is_a_problem_and_writes_nothing(
    validator: Owner, api_url: str, case: str
) -> None:
    before = listed_codes(validator.api)

    response = validator.api.post("/links", json=BAD_BODIES[case](api_url))

    assert_problem(response, 400, 422)
    assert listed_codes(validator.api) == before
    assert len(before) == 1


def test_malformed_json_is_a_problem_and_writes_nothing(validator: Owner) -> None:
    before = listed_codes(validator.api)

    response = validator.api.post(
        "/links", data='{"url": "https://example.com/', headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, 422)
    assert listed_codes(validator.api) == before


def test_a_body_over_64_kib_is_413(validator: Owner) -> None:
    before = listed_codes(validator.api)
    body = json.dumps({"url": TARGET, "padding": "x" * 70_000})

    response = validator.api.post("/links", data=body, headers={"Content-Type": "application/json"})

    assert_problem(response, 413)
    assert listed_codes(validator.api) == before


def test_bad_input_on_patch_is_a_problem_and_changes_nothing(holder: Owner, api_url: str) -> None:
    link = holder.api.create_link(TARGET)

    response = holder.api.patch(f"/links/{link['code']}", json={"url": "javascript:alert(1)"})

    assert_problem(response, 400, 422)
    assert holder.api.link(link["code"])["url"] == TARGET
    assert redirect(api_url, link["code"]).headers["Location"] == TARGET


def test_the_same_idempotency_key_gives_the_same_link(owner: Owner) -> None:
    headers = {"Idempotency-Key": unique("retry")}

    first = owner.api.post("/links", json={"url": TARGET}, headers=headers)
    retry = owner.api.post("/links", json={"url": TARGET}, headers=headers)

    assert first.status_code == 201, describe(first)
    assert retry.status_code == 201, describe(retry)
    assert retry.json()["code"] == first.json()["code"]
    assert retry.headers["Location"] == first.headers["Location"]
    assert listed_codes(owner.api) == [first.json()["code"]]


def test_patch_changes_where_the_code_redirects(holder: Owner, api_url: str) -> None:
    link = holder.api.create_link(TARGET, redirect_type=302)
    new_target = "https://example.org/somewhere/else"

    response = holder.api.patch(
        f"/links/{link['code']}", json={"url": new_target, "redirect_type": 307}
    )

    assert response.status_code == 200, describe(response)
    assert response.json()["url"] == new_target
    assert response.json()["redirect_type"] == 307
    moved = redirect(api_url, link["code"])
    assert moved.status_code == 307
    assert moved.headers["Location"] == new_target


def test_another_owner_gets_404_when_reading_or_deleting(
    holder: Owner, new_owner: Callable[..., Owner], api_url: str
) -> None:
    other = new_owner("other")
    link = holder.api.create_link(TARGET)
    path = f"/links/{link['code']}"

    read = other.api.get(path)
    deleted = other.api.delete(path)
    patched = other.api.patch(path, json={"url": "https://example.org/hijack"})

    assert_problem(read, 404)
    assert_problem(deleted, 404)
    assert_problem(patched, 404)
    assert redirect(api_url, link["code"]).headers["Location"] == TARGET
    assert holder.api.link(link["code"])["url"] == TARGET


def test_delete_answers_204_and_the_code_stops_redirecting(holder: Owner, api_url: str) -> None:
    link = holder.api.create_link(TARGET)

    response = holder.api.delete(f"/links/{link['code']}")

    assert response.status_code == 204, describe(response)
    assert redirect(api_url, link["code"]).status_code == 404
    assert_problem(holder.api.get(f"/links/{link['code']}"), 404)
    assert link["code"] not in listed_codes(holder.api)


def test_an_unknown_code_is_404(api_url: str) -> None:
    assert redirect(api_url, "zz" + unique("x")[-5:]).status_code == 404


def test_the_list_pages_with_limit_and_cursor_and_holds_only_the_callers_links(
    new_owner: Callable[..., Owner],
) -> None:
    lister, neighbour = new_owner("lister"), new_owner("neighbour")
    created = [lister.api.create_link(f"{TARGET}&n={n}")["code"] for n in range(5)]
    neighbour.api.create_link(TARGET)

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = lister.api.get("/links", params=params)
        assert response.status_code == 200, describe(response)
        body = response.json()
        pages.append([item["code"] for item in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            break
        assert len(pages) <= 5, f"the cursor never ends: {pages}"

    assert [len(page) for page in pages[:3]] == [2, 2, 1]
    assert [code for page in pages for code in page] == list(reversed(created))


@pytest.mark.parametrize("limit", [0, 101, "many"])
def test_a_limit_outside_1_to_100_is_a_problem(validator: Owner, limit: object) -> None:
    assert_problem(validator.api.get("/links", params={"limit": limit}), 400, 422)


def test_the_openapi_document_is_served(holder: Owner) -> None:
    response = holder.api.get("/openapi.json")

    assert response.status_code == 200, describe(response)
    document = response.json()
    assert str(document["openapi"]).startswith("3.")
    assert {"/links", "/links/{code}"} <= set(document["paths"])


def test_an_expired_link_answers_410(holder: Owner, api_url: str) -> None:
    expires_at = datetime.now(UTC) + timedelta(seconds=2)
    link = holder.api.create_link(TARGET, expires_at=to_iso(expires_at))

    wait_until(
        lambda: redirect(api_url, link["code"]).status_code == 410,
        timeout=15,
        interval=0.5,
        what="the link to expire",
    )


# --- HEAD, as link checkers send it ------------------------------------------------------------

MIRRORED_HEADERS = ("Location", "Cache-Control", "Content-Type")


@pytest.mark.parametrize("redirect_type", [301, 302, 307, 308])
def test_head_of_a_short_url_mirrors_its_get(
    holder: Owner, api_url: str, redirect_type: int
) -> None:
    code = holder.api.create_link(TARGET, redirect_type=redirect_type)["code"]
    got = requests.get(f"{api_url}/{code}", allow_redirects=False, timeout=30)
    head = requests.head(f"{api_url}/{code}", allow_redirects=False, timeout=30)
    assert got.status_code == head.status_code == redirect_type, describe(head)
    for name in MIRRORED_HEADERS:
        assert head.headers.get(name) == got.headers.get(name), name
    assert head.content == b""


def test_head_of_an_unknown_code_and_of_a_link_mirror_their_get(
    holder: Owner, api_url: str
) -> None:
    missing = f"/{unique('nolink')}"
    assert requests.get(api_url + missing, timeout=30).status_code == 404
    head = requests.head(api_url + missing, timeout=30)
    assert head.status_code == 404
    assert head.headers["Content-Type"].startswith("application/problem+json")
    assert head.content == b""

    code = holder.api.create_link(TARGET)["code"]
    got, head = holder.api.get(f"/links/{code}"), holder.api.request("HEAD", f"/links/{code}")
    assert got.status_code == head.status_code == 200, describe(head)
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert head.content == b""
