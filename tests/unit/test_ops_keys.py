"""`python -m ops keys create | list | set-plan | revoke` against the stack's key table and its
API Gateway usage plans (moto)."""

from __future__ import annotations

import pytest

from shortener.keys import KEY_PREFIX, hash_api_key
from shortener.models import ApiKeyModel
from shortener.scopes import ALL_SCOPES
from tests.unit.conftest import issue_api_key
from tests.unit.ops_support import IGNORE_SKIPPED_PIPE, World, run_ops

pytest_plugins = ["tests.unit.ops_fixtures"]
pytestmark = IGNORE_SKIPPED_PIPE


def test_create_prints_the_key_once_and_stores_only_its_hash(world: World) -> None:
    created = run_ops(
        "keys", "create", "--owner", "alice", "--email", "alice@example.com", "--json"
    ).json()

    assert created["owner"] == "alice"
    assert created["key"].startswith(KEY_PREFIX)
    stored = ApiKeyModel.get(hash_api_key(created["key"]))
    assert stored.owner == "alice"
    assert stored.email == "alice@example.com"
    assert stored.key_id == created["key_id"]
    assert stored.revoked_at is None
    items = [item.attribute_values for item in ApiKeyModel.scan()]
    assert created["key"] not in str(items)  # only the hash is kept


def test_create_reads_as_text_with_the_key(world: World) -> None:
    ran = run_ops("keys", "create", "--owner", "bob")

    assert ran.code == 0
    (stored,) = ApiKeyModel.scan()
    assert stored.key_id in ran.stdout
    assert KEY_PREFIX in ran.stdout


def test_each_create_makes_a_different_key(world: World) -> None:
    first = run_ops("keys", "create", "--owner", "alice", "--json").json()
    second = run_ops("keys", "create", "--owner", "alice", "--json").json()

    assert first["key"] != second["key"]
    assert first["key_id"] != second["key_id"]


def test_list_shows_keys_without_secrets_and_filters_by_owner(world: World) -> None:
    alice = run_ops("keys", "create", "--owner", "alice", "--json").json()
    run_ops("keys", "create", "--owner", "bob", "--json").json()

    everyone = run_ops("keys", "list", "--json").json()
    only_alice = run_ops("keys", "list", "--owner", "alice", "--json").json()

    assert {key["owner"] for key in everyone} == {"alice", "bob"}
    assert [key["key_id"] for key in only_alice] == [alice["key_id"]]
    assert set(only_alice[0]) == {
        "key_id", "owner", "email", "plan", "scopes", "created_at", "revoked_at"
    }  # fmt: skip
    listed_text = run_ops("keys", "list").stdout
    assert alice["key"] not in listed_text
    assert hash_api_key(alice["key"]) not in listed_text
    assert alice["key_id"] in listed_text


def test_revoke_sets_revoked_at(world: World) -> None:
    created = run_ops("keys", "create", "--owner", "alice", "--json").json()

    revoked = run_ops("keys", "revoke", created["key_id"], "--json").json()

    assert revoked["key_id"] == created["key_id"]
    assert revoked["revoked_at"]
    assert ApiKeyModel.get(hash_api_key(created["key"])).revoked_at == revoked["revoked_at"]
    listed = run_ops("keys", "list", "--json").json()
    assert listed[0]["revoked_at"] == revoked["revoked_at"]


def test_revoking_twice_keeps_the_first_time(world: World) -> None:
    created = run_ops("keys", "create", "--owner", "alice", "--json").json()
    first = run_ops("keys", "revoke", created["key_id"], "--json").json()

    second = run_ops("keys", "revoke", created["key_id"], "--json").json()

    assert second["revoked_at"] == first["revoked_at"]
    assert second["already_revoked"] is True


def test_revoking_an_unknown_key_id_exits_2(world: World) -> None:
    ran = run_ops("keys", "revoke", "key_000000000000")

    assert ran.code == 2
    assert "key_000000000000" in ran.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--owner", ""],
        ["--owner", "has space"],
        ["--owner", "alice", "--email", "not-an-address"],
        ["--owner", "alice", "--plan", "platinum"],
        ["--owner", "alice", "--scopes", "links:read,links:admin"],
    ],
)
def test_bad_input_exits_2_and_stores_nothing(world: World, argv: list[str]) -> None:
    ran = run_ops("keys", "create", *argv)

    assert ran.code == 2
    assert list(ApiKeyModel.scan()) == []
    assert world.apigateway.get_api_keys()["items"] == []


def _gateway_key(world: World, key: str) -> dict:
    record = ApiKeyModel.get(hash_api_key(key))
    return world.apigateway.get_api_key(apiKey=record.gateway_key_id, includeValue=True)


def _plan_of(world: World, gateway_key_id: str) -> list[str]:
    return [
        name
        for name, plan_id in world.usage_plans.items()
        for plan_key in world.apigateway.get_usage_plan_keys(usagePlanId=plan_id)["items"]
        if plan_key["id"] == gateway_key_id
    ]


def test_create_puts_an_enabled_api_gateway_key_on_the_free_plan_with_all_scopes(
    world: World,
) -> None:
    created = run_ops("keys", "create", "--owner", "alice", "--json").json()

    assert created["plan"] == "free"
    assert created["scopes"] == list(ALL_SCOPES)
    gateway_key = _gateway_key(world, created["key"])
    assert gateway_key["enabled"] is True
    assert gateway_key["name"] == created["key_id"]
    assert len(gateway_key["value"]) >= 20
    assert gateway_key["value"].isalnum()  # API Gateway's rule for a key value
    assert gateway_key["value"] != created["key"]  # the caller only ever holds the Bearer key
    assert ApiKeyModel.get(hash_api_key(created["key"])).gateway_key_value == gateway_key["value"]
    assert _plan_of(world, gateway_key["id"]) == ["free"]
    assert gateway_key["value"] not in run_ops("keys", "list").stdout


def test_create_takes_a_plan_and_scopes(world: World) -> None:
    created = run_ops(
        "keys", "create", "--owner", "bob", "--plan", "pro",
        "--scopes", "stats:read,links:read", "--json",
    ).json()  # fmt: skip

    assert created["plan"] == "pro"
    assert created["scopes"] == ["links:read", "stats:read"]  # in documented order
    assert _plan_of(world, _gateway_key(world, created["key"])["id"]) == ["pro"]
    listed = run_ops("keys", "list").stdout
    assert "links:read,stats:read" in listed
    assert "pro" in listed


def test_set_plan_moves_the_key_between_usage_plans(world: World) -> None:
    created = run_ops("keys", "create", "--owner", "alice", "--json").json()

    moved = run_ops("keys", "set-plan", created["key_id"], "pro", "--json").json()

    assert (moved["previous_plan"], moved["plan"]) == ("free", "pro")
    assert _plan_of(world, _gateway_key(world, created["key"])["id"]) == ["pro"]
    assert run_ops("keys", "list", "--json").json()[0]["plan"] == "pro"


def test_set_plan_gives_a_key_made_before_plans_its_api_gateway_key(world: World) -> None:
    key = issue_api_key("carol")  # a record without plan or API Gateway key
    key_id = ApiKeyModel.get(hash_api_key(key)).key_id

    run_ops("keys", "set-plan", key_id, "free", "--json").json()

    assert _plan_of(world, _gateway_key(world, key)["id"]) == ["free"]


@pytest.mark.parametrize(("plan", "message"), [("platinum", "unknown plan"), ("pro", "revoked")])
def test_set_plan_refuses_an_unknown_plan_or_a_revoked_key(
    world: World, plan: str, message: str
) -> None:
    created = run_ops("keys", "create", "--owner", "alice", "--json").json()
    if message == "revoked":
        run_ops("keys", "revoke", created["key_id"])

    ran = run_ops("keys", "set-plan", created["key_id"], plan)

    assert ran.code == 2
    assert message in ran.stderr
    assert _plan_of(world, _gateway_key(world, created["key"])["id"]) == ["free"]


def test_revoke_disables_the_api_gateway_key(world: World) -> None:
    created = run_ops("keys", "create", "--owner", "alice", "--json").json()

    run_ops("keys", "revoke", created["key_id"], "--json").json()

    assert _gateway_key(world, created["key"])["enabled"] is False
