"""keytally.auth.secrets: key format, checksum validation, hashing and public ids."""

from __future__ import annotations

import hashlib
import re
import string
import zlib

import pytest

from keytally.auth import secrets
from keytally.models import KeyKind

ALPHANUMERIC = string.digits + string.ascii_uppercase + string.ascii_lowercase
PREFIX_LENGTH = 7  # "kt_org_" / "kt_usr_"
BODY_LENGTH = 43
CHECKSUM_LENGTH = 6
KEY_LENGTH = PREFIX_LENGTH + BODY_LENGTH + CHECKSUM_LENGTH


def base62(number: int, width: int) -> str:
    """Independent re-statement of the documented checksum encoding: base62, most significant digit first."""
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = ALPHANUMERIC[digit] + digits
    return digits.rjust(width, "0")


def with_checksum(prefix: str, body: str) -> str:
    return prefix + body + base62(zlib.crc32((prefix + body).encode()), CHECKSUM_LENGTH)


def other_char(char: str) -> str:
    """A different alphanumeric character, so the key still matches the character pattern."""
    return ALPHANUMERIC[(ALPHANUMERIC.index(char) + 1) % len(ALPHANUMERIC)]


@pytest.mark.parametrize(("kind", "prefix"), [(KeyKind.ORGANIZATION, "kt_org_"), (KeyKind.USER, "kt_usr_")])
def test_generate_key_has_kind_prefix_length_and_alphanumeric_body(kind: KeyKind, prefix: str) -> None:
    key = secrets.generate_key(kind)

    assert kind.prefix == prefix
    assert key.startswith(prefix)
    assert len(key) == KEY_LENGTH
    assert re.fullmatch(r"[0-9A-Za-z]+", key[len(prefix) :])
    assert secrets.is_well_formed(key)


@pytest.mark.parametrize("kind", list(KeyKind))
def test_generate_key_checksum_is_base62_crc32_of_prefix_and_body(kind: KeyKind) -> None:
    key = secrets.generate_key(kind)
    prefix, body = key[:PREFIX_LENGTH], key[PREFIX_LENGTH : PREFIX_LENGTH + BODY_LENGTH]

    assert key == with_checksum(prefix, body)


def test_generate_key_is_random() -> None:
    keys = {secrets.generate_key(KeyKind.ORGANIZATION) for _ in range(200)}
    bodies = {key[PREFIX_LENGTH : PREFIX_LENGTH + BODY_LENGTH] for key in keys}

    assert len(keys) == 200
    assert len(bodies) == 200


def test_well_formed_accepts_a_hand_built_key() -> None:
    assert secrets.is_well_formed(with_checksum("kt_org_", "A" * BODY_LENGTH))
    assert secrets.is_well_formed(with_checksum("kt_usr_", "0123456789" * 4 + "xyz"))


def test_well_formed_rejects_wrong_checksum() -> None:
    key = secrets.generate_key(KeyKind.ORGANIZATION)
    body = key[PREFIX_LENGTH : PREFIX_LENGTH + BODY_LENGTH]
    other_body = other_char(body[0]) + body[1:]
    # the checksum of a different body, on this body
    wrong = key[:PREFIX_LENGTH] + body + with_checksum("kt_org_", other_body)[-CHECKSUM_LENGTH:]

    assert wrong != key
    assert not secrets.is_well_formed(wrong)


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda key: "kt_usr_" + key[PREFIX_LENGTH:], id="other-known-prefix-same-body"),
        pytest.param(lambda key: "kt_abc_" + key[PREFIX_LENGTH:], id="unknown-kt-prefix"),
        pytest.param(lambda key: "sk_live_" + key[PREFIX_LENGTH:], id="foreign-prefix"),
        pytest.param(lambda key: key[PREFIX_LENGTH:], id="no-prefix"),
        pytest.param(lambda key: "KT_ORG_" + key[PREFIX_LENGTH:], id="upper-case-prefix"),
    ],
)
def test_well_formed_rejects_wrong_prefix(make_bad) -> None:
    key = secrets.generate_key(KeyKind.ORGANIZATION)
    assert secrets.is_well_formed(key)

    assert not secrets.is_well_formed(make_bad(key))


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda key: key[:-1], id="one-short"),
        pytest.param(lambda key: key + "0", id="one-long"),
        pytest.param(lambda key: key[:PREFIX_LENGTH] + key[PREFIX_LENGTH + 1 :], id="body-char-dropped"),
        pytest.param(lambda key: key[:PREFIX_LENGTH], id="prefix-only"),
        pytest.param(lambda key: "", id="empty"),
    ],
)
def test_well_formed_rejects_wrong_length(make_bad) -> None:
    key = secrets.generate_key(KeyKind.USER)
    assert secrets.is_well_formed(key)

    assert not secrets.is_well_formed(make_bad(key))


def test_well_formed_rejects_a_correctly_checksummed_key_of_the_wrong_length() -> None:
    assert not secrets.is_well_formed(with_checksum("kt_org_", "A" * (BODY_LENGTH - 1)))
    assert not secrets.is_well_formed(with_checksum("kt_org_", "A" * (BODY_LENGTH + 1)))


@pytest.mark.parametrize("kind", list(KeyKind))
def test_well_formed_rejects_every_single_mistyped_character(kind: KeyKind) -> None:
    key = secrets.generate_key(kind)
    assert secrets.is_well_formed(key)

    for position in range(PREFIX_LENGTH, KEY_LENGTH):
        typo = key[:position] + other_char(key[position]) + key[position + 1 :]
        assert not secrets.is_well_formed(typo), f"typo at position {position} accepted: {typo}"


@pytest.mark.parametrize("junk", ["-", "_", " ", "=", "é"])
def test_well_formed_rejects_non_alphanumeric_character_in_body(junk: str) -> None:
    key = secrets.generate_key(KeyKind.ORGANIZATION)
    position = PREFIX_LENGTH + 5
    assert not secrets.is_well_formed(key[:position] + junk + key[position + 1 :])


def test_well_formed_rejects_trailing_newline() -> None:
    key = secrets.generate_key(KeyKind.ORGANIZATION)
    assert not secrets.is_well_formed(key + "\n")


def test_hash_key_is_sha256_hex() -> None:
    assert secrets.hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    key = secrets.generate_key(KeyKind.USER)
    digest = secrets.hash_key(key)
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


def test_hash_key_differs_for_different_keys() -> None:
    assert secrets.hash_key("kt_org_a") != secrets.hash_key("kt_org_b")


def test_key_start_is_first_ten_characters() -> None:
    key = secrets.generate_key(KeyKind.ORGANIZATION)

    assert secrets.key_start(key) == key[:10]
    assert len(secrets.key_start(key)) == 10
    assert secrets.key_start("kt_org_AbcDEFghij") == "kt_org_Abc"
    assert secrets.key_start("short") == "short"


@pytest.mark.parametrize("prefix", ["ak_", "pat_", "api_", ""])
def test_new_id_is_url_safe_with_prefix(prefix: str) -> None:
    identifier = secrets.new_id(prefix)

    assert identifier.startswith(prefix)
    assert re.fullmatch(r"^[A-Za-z0-9_-]+$", identifier)
    assert len(identifier) == len(prefix) + 22


def test_new_id_is_unique() -> None:
    assert len({secrets.new_id("ak_") for _ in range(500)}) == 500
