"""Generated codes: seven characters of the 62-letter alphabet, never a reserved path."""

from __future__ import annotations

import pytest

from shortener.links import codes


def test_generated_codes_are_seven_characters_of_the_62_letter_alphabet() -> None:
    generated = [codes.new_code() for _ in range(500)]

    assert all(len(code) == 7 for code in generated)
    assert set("".join(generated)) <= set(codes.ALPHABET)
    assert len(codes.ALPHABET) == 62
    # 500 draws from 62^7 codes: a repeat would mean the generator is not random at all.
    assert len(set(generated)) == len(generated)


def test_a_generated_code_never_shadows_a_reserved_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # No reserved path is seven letters long today; one may be tomorrow.
    monkeypatch.setattr(codes, "RESERVED_PATHS", frozenset({"console"}))
    letters = iter("console" + "Zq3xY7a")
    monkeypatch.setattr(codes.secrets, "choice", lambda alphabet: next(letters))

    assert codes.new_code() == "Zq3xY7a"


@pytest.mark.parametrize("alias", ["abc", "spring-sale_2026", "A" * 64, "x-1"])
def test_well_formed_aliases(alias: str) -> None:
    assert codes.is_valid_alias(alias)


@pytest.mark.parametrize("alias", ["ab", "A" * 65, "with space", "dots.not.allowed", "ünï", ""])
def test_malformed_aliases(alias: str) -> None:
    assert not codes.is_valid_alias(alias)


@pytest.mark.parametrize(
    "path", ["links", "LINKS", "Webhooks", "stats", "openapi.json", "docs", "qr", "QR"]
)
def test_reserved_paths_are_reserved_whatever_their_case(path: str) -> None:
    assert codes.is_reserved(path)


@pytest.mark.parametrize("alias", ["linkshare", "statsy", "docsy", "qrcode", "swagger", "api"])
def test_a_name_that_only_starts_like_a_reserved_path_is_free(alias: str) -> None:
    assert not codes.is_reserved(alias)
