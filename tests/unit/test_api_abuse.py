"""What a careless client or an attacker sends (issue 14): bodies that are not objects,
look-alike and non-ASCII hosts, and links back at the stack under another name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shortener import host_names
from shortener.links.validation import points_at
from tests.unit.conftest import API_ID, REGION, ApiCall, AwsResources, assert_problem

OWN_ORIGINS_PARAMETER = "/shortener/test/own-origins"
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
LOOPBACK_SPELLINGS = [
    "localhost",
    "LOCALHOST.",
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "127.255.255.254",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "2130706433",
    "0.0.0.0",  # noqa: S104 (a URL host, not a socket to bind)
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "app.localhost",
]


@pytest.fixture
def own_origins(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
    """The origins infra publishes after deploy: here the distribution's own domain."""
    aws.ssm.put_parameter(
        Name=OWN_ORIGINS_PARAMETER, Value=f"https://{DISTRIBUTION_DOMAIN}", Type="StringList"
    )
    monkeypatch.setenv("OWN_ORIGINS_PARAMETER", OWN_ORIGINS_PARAMETER)


def _created_code(api: ApiCall) -> str:
    return str(api("POST", "/links", body={"url": "https://example.com/a"}).json()["code"])


# --- bodies that are not JSON objects -----------------------------------------------------------

NOT_OBJECTS = [
    [{"url": "https://example.com/a"}, {"url": "javascript:alert(1)"}],
    [],
    "https://example.com/a",
    42,
    None,
    True,
]


@pytest.mark.parametrize("body", NOT_OBJECTS, ids=repr)
def test_a_create_body_that_is_not_an_object_is_422_and_writes_nothing(
    api: ApiCall, aws: AwsResources, body: Any
) -> None:
    problem = assert_problem(api("POST", "/links", body=json.dumps(body)), 422)

    assert problem["errors"][0]["pointer"] == "#"
    assert "object" in problem["errors"][0]["detail"]
    assert aws.link_items() == []


def test_a_patch_with_an_array_body_is_422_and_changes_nothing(
    api: ApiCall, aws: AwsResources
) -> None:
    code = _created_code(api)

    answer = api("PATCH", f"/links/{code}", body=[{"url": "https://evil.example/"}])

    assert_problem(answer, 422)
    [item] = aws.link_items()
    assert item["url"]["S"] == "https://example.com/a"


def test_a_webhook_subscription_with_an_array_body_is_422_and_subscribes_nothing(
    api: ApiCall,
) -> None:
    body = [{"url": "https://hooks.example/in", "events": ["link.created"]}]

    assert_problem(api("POST", "/webhooks", body=body), 422)
    assert api("GET", "/webhooks").json()["items"] == []


# --- hosts --------------------------------------------------------------------------------------


def test_a_latin_host_with_a_cyrillic_letter_is_refused_and_nothing_is_written(
    api: ApiCall, aws: AwsResources
) -> None:
    answer = api("POST", "/links", body={"url": "https://ex\u0430mple.com/"})

    problem = assert_problem(answer, 422)
    assert "mixes Cyrillic and Latin" in problem["errors"][0]["detail"]
    assert aws.link_items() == []


def test_its_punycode_spelling_is_refused_too(api: ApiCall) -> None:
    assert_problem(api("POST", "/links", body={"url": "https://xn--exmple-4nf.com/"}), 422)


@pytest.mark.parametrize(
    "url", ["https://xn--zz.com/", "https://exa\u2603mple.com/", "https://-bad.\u00fc.com/"]
)
def test_a_host_idna_refuses_is_refused(api: ApiCall, url: str) -> None:
    problem = assert_problem(api("POST", "/links", body={"url": url}), 422)

    assert "internationalized domain name" in problem["errors"][0]["detail"]


def test_an_international_host_is_stored_and_answered_in_ascii(
    api: ApiCall, aws: AwsResources
) -> None:
    url = "https://B\u00fccher.example/stra\u00dfe?q=\u00e9t\u00e9#caf\u00e9"

    link = api("POST", "/links", body={"url": url}).json()

    expected = "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A9t%C3%A9#caf%C3%A9"
    assert link["url"] == expected
    assert [item["url"]["S"] for item in aws.link_items()] == [expected]


def test_a_host_in_one_other_script_is_accepted_as_punycode(api: ApiCall) -> None:
    link = api(
        "POST", "/links", body={"url": "https://\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/"}
    )

    assert link.json()["url"] == "https://xn--e1afmkfd.xn--p1ai/"


def test_japanese_may_mix_its_scripts() -> None:
    assert host_names.ascii_host("\u4f8b\u3048.jp") == "xn--r8jz45g.jp"


def test_an_ascii_url_is_stored_as_given(api: ApiCall) -> None:
    url = "https://Example.COM/a%20b?x=1"

    assert api("POST", "/links", body={"url": url}).json()["url"] == url


# --- self-reference -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_loopback_spelling_of_a_local_port_is_the_stack(host: str) -> None:
    assert points_at(f"http://{host}:3000/x", "127.0.0.1:3000")
    assert not points_at(f"http://{host}:3001/x", "127.0.0.1:3000")


def test_a_local_stack_is_not_every_host() -> None:
    assert not points_at("http://10.0.0.1:3000/x", "127.0.0.1:3000")
    assert not points_at("https://example.com:3000/", "localhost:3000")


@pytest.mark.parametrize("host", ["localhost", "127.1", "[::1]", "0x7f000001", "0"])
def test_a_link_to_the_local_api_by_another_spelling_is_refused(
    api: ApiCall, aws: AwsResources, host: str
) -> None:
    answer = api(
        "POST", "/links", body={"url": f"http://{host}:3000/x"}, headers={"Host": "127.0.0.1:3000"}
    )

    assert assert_problem(answer, 422)["errors"][0]["detail"] == (
        "must not point at the shortener itself"
    )
    assert aws.link_items() == []


def test_a_link_to_the_distribution_domain_is_refused(
    api: ApiCall, aws: AwsResources, own_origins: None
) -> None:
    answer = api("POST", "/links", body={"url": f"https://{DISTRIBUTION_DOMAIN.upper()}./abc"})

    assert_problem(answer, 422)
    assert aws.link_items() == []


def test_a_link_to_the_execute_api_domain_is_refused_whatever_the_request_came_through(
    api: ApiCall, aws: AwsResources
) -> None:
    answer = api(
        "POST",
        "/links",
        body={"url": f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/dev/links"},
        headers={"Host": "api.custom.example"},
    )

    assert_problem(answer, 422)
    assert aws.link_items() == []


def test_a_patch_to_a_self_reference_is_refused_and_changes_nothing(
    api: ApiCall, aws: AwsResources, own_origins: None
) -> None:
    code = _created_code(api)

    answer = api("PATCH", f"/links/{code}", body={"url": f"https://{DISTRIBUTION_DOMAIN}/x"})

    assert_problem(answer, 422)
    assert [item["url"]["S"] for item in aws.link_items()] == ["https://example.com/a"]


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:3000\\@example.com/",  # a browser goes to localhost:3000
        "http://%6cocalhost:3000/x",  # a browser decodes the host first
        "https://example.com/" + "\u00e9" * 700,  # 2,048 characters only before encoding
    ],
)
def test_urls_a_browser_reads_differently_are_refused(
    api: ApiCall, aws: AwsResources, url: str
) -> None:
    answer = api("POST", "/links", body={"url": url}, headers={"Host": "127.0.0.1:3000"})

    assert_problem(answer, 422)
    assert aws.link_items() == []
