"""Key strings: generation, format and checksum checks, hashing. Pure functions, no storage."""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

from keytally.models import KeyKind

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_BYTES = 32  # 256 bits of entropy
_BODY_LENGTH = 43  # base62 digits needed for 256 bits
_CHECKSUM_LENGTH = 6  # base62 digits of a CRC32
_KIND_OF_PREFIX = {kind.prefix: kind for kind in KeyKind}
# %-formatting: an f-string would have to double every brace of the regex's quantifiers
_KEY_PATTERN = re.compile(
    r"^(?P<prefix>%s)(?P<body>[0-9A-Za-z]{%d})(?P<checksum>[0-9A-Za-z]{%d})$"  # noqa: UP031
    % ("|".join(_KIND_OF_PREFIX), _BODY_LENGTH, _CHECKSUM_LENGTH)
)


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(prefix_and_body: str) -> str:
    return _base62(zlib.crc32(prefix_and_body.encode()), _CHECKSUM_LENGTH)


def generate_key(kind: KeyKind) -> str:
    body = _base62(int.from_bytes(secrets.token_bytes(_RANDOM_BYTES), "big"), _BODY_LENGTH)
    return f"{kind.prefix}{body}{_checksum(kind.prefix + body)}"


def kind_of(key: str) -> KeyKind | None:
    """The key's kind when it has a known prefix, the right length and a matching checksum; else None."""
    match = _KEY_PATTERN.fullmatch(key)
    if match is None or _checksum(match["prefix"] + match["body"]) != match["checksum"]:
        return None
    return _KIND_OF_PREFIX[match["prefix"]]


def is_well_formed(key: str) -> bool:
    return kind_of(key) is not None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_start(key: str) -> str:
    return key[:10]


def new_id(prefix: str) -> str:
    """A public identifier such as `ak_3xQ...`: 128 random bits, URL-safe."""
    return prefix + _base62(int.from_bytes(secrets.token_bytes(16), "big"), 22)
