"""`python -m ops keys create | list | revoke` against the stack's key table (moto)."""

from __future__ import annotations

import pytest

from shortener.keys import KEY_PREFIX, hash_api_key
from shortener.models import ApiKeyModel
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
    assert set(only_alice[0]) == {"key_id", "owner", "email", "created_at", "revoked_at"}
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
    ],
)
def test_bad_input_exits_2_and_stores_nothing(world: World, argv: list[str]) -> None:
    assert run_ops("keys", "create", *argv).code == 2
    assert list(ApiKeyModel.scan()) == []
