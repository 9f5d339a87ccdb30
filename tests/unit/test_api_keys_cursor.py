"""keytally.api_keys.cursor: opaque list cursors that can only point into the caller's own key owners."""

from __future__ import annotations

import base64
import json
import re

import pytest

from keytally.api_keys import cursor
from keytally.errors import BadRequest
from keytally.storage.api_keys import EVERY_KEY, KeyOwner

SOURCES = [KeyOwner(org_slug="acme"), KeyOwner(user_id="u_alice")]


def org_start(partition: str = "ORG#acme") -> dict[str, str]:
    return {
        "pk": "KEY#" + "a" * 64,
        "sk": "KEY",
        "gsi1pk": partition,
        "gsi1sk": "KEY#2024-01-01T00:00:00+00:00#ak_1",
    }


def all_keys_start(gsi3pk: str = "KEYS") -> dict[str, str]:
    return {
        "pk": "KEY#" + "b" * 64,
        "sk": "KEY",
        "gsi3pk": gsi3pk,
        "gsi3sk": "2024-01-01T00:00:00+00:00#ak_2",
    }


def raw_cursor(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def json_cursor(state) -> str:
    return raw_cursor(json.dumps(state).encode())


@pytest.mark.parametrize(
    ("index", "start"),
    [
        (0, None),
        (1, None),
        (0, org_start("ORG#acme")),
        (1, org_start("USER#u_alice")),
    ],
)
def test_round_trip(index: int, start) -> None:
    token = cursor.encode(index, start)

    assert cursor.decode(token, SOURCES) == (index, start)


def test_cursor_is_url_safe_without_padding() -> None:
    for index, start in [(0, None), (1, org_start("USER#u_alice")), (0, {"gsi1pk": "ORG#acme", "x": "??>>~~"})]:
        token = cursor.encode(index, start)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token
        assert "=" not in token


def test_round_trip_all_keys_source() -> None:
    start = all_keys_start()
    token = cursor.encode(0, start)

    assert cursor.decode(token, [EVERY_KEY]) == (0, start)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("!!!!", id="not-base64"),
        pytest.param("a", id="impossible-base64-length"),
        pytest.param(raw_cursor(b"hello world"), id="not-json"),
        pytest.param(raw_cursor(b"\xff\xfe\xfd\xfc"), id="not-utf8"),
        pytest.param(json_cursor([0, None]), id="json-list"),
        pytest.param(json_cursor("s"), id="json-string"),
        pytest.param(json_cursor(7), id="json-number"),
        pytest.param(json_cursor({"s": 0}), id="missing-k"),
        pytest.param(json_cursor({"k": None}), id="missing-s"),
        pytest.param(json_cursor({"s": 0, "k": ["ORG#acme"]}), id="start-is-a-list"),
        pytest.param(json_cursor({"s": 0, "k": "ORG#acme"}), id="start-is-a-string"),
        pytest.param(json_cursor({"s": 0, "k": {"gsi1pk": "ORG#acme", "n": 1}}), id="non-string-value"),
        pytest.param(json_cursor({"s": 0, "k": {"gsi1pk": {"nested": "ORG#acme"}}}), id="nested-value"),
    ],
)
def test_malformed_cursor_is_bad_request(token: str) -> None:
    with pytest.raises(BadRequest) as caught:
        cursor.decode(token, SOURCES)
    assert caught.value.status == 400


def test_tampered_real_cursor_is_bad_request() -> None:
    token = cursor.encode(1, org_start("USER#u_alice"))
    assert cursor.decode(token, SOURCES)[0] == 1

    with pytest.raises(BadRequest):
        cursor.decode(token[:-6], SOURCES)  # truncated: the JSON is cut short
    with pytest.raises(BadRequest):
        cursor.decode("x" + token, SOURCES)  # shifted: the bytes are no longer JSON


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(2, id="one-past-end"),
        pytest.param(99, id="far-past-end"),
        pytest.param(-1, id="negative"),
    ],
)
def test_index_out_of_range_is_bad_request(index: int) -> None:
    with pytest.raises(BadRequest):
        cursor.decode(cursor.encode(index, None), SOURCES)


@pytest.mark.parametrize("index", ["0", 0.0, None, [0]], ids=["string", "float", "null", "list"])
def test_index_of_wrong_type_is_bad_request(index) -> None:
    with pytest.raises(BadRequest):
        cursor.decode(json_cursor({"s": index, "k": None}), SOURCES)


def test_index_into_a_single_source_listing() -> None:
    token = cursor.encode(1, None)

    assert cursor.decode(token, SOURCES) == (1, None)
    with pytest.raises(BadRequest):
        cursor.decode(token, [KeyOwner(org_slug="acme")])


@pytest.mark.parametrize(
    ("index", "partition"),
    [
        pytest.param(0, "ORG#globex", id="another-org"),
        pytest.param(0, "USER#u_alice", id="own-user-partition-under-org-index"),
        pytest.param(1, "ORG#acme", id="own-org-partition-under-user-index"),
        pytest.param(1, "USER#u_mallory", id="another-user"),
        pytest.param(0, "ORG#acme ", id="near-miss"),
    ],
)
def test_start_key_in_another_partition_is_bad_request(index: int, partition: str) -> None:
    with pytest.raises(BadRequest):
        cursor.decode(cursor.encode(index, org_start(partition)), SOURCES)


def test_start_key_without_partition_attribute_is_bad_request() -> None:
    start = org_start()
    del start["gsi1pk"]
    with pytest.raises(BadRequest):
        cursor.decode(cursor.encode(0, start), SOURCES)


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(all_keys_start("OTHER"), id="wrong-gsi3pk"),
        pytest.param(org_start("ORG#acme"), id="owner-partition-key"),
        pytest.param({"pk": "KEY#x", "sk": "KEY"}, id="no-gsi3pk"),
    ],
)
def test_all_keys_source_requires_gsi3pk_keys(start: dict[str, str]) -> None:
    with pytest.raises(BadRequest):
        cursor.decode(cursor.encode(0, start), [EVERY_KEY])


def test_all_keys_start_key_is_not_valid_for_an_owner_listing() -> None:
    with pytest.raises(BadRequest):
        cursor.decode(cursor.encode(0, all_keys_start()), SOURCES)


def test_mixed_sources_check_the_partition_of_the_index() -> None:
    sources = [KeyOwner(org_slug="acme"), EVERY_KEY]

    assert cursor.decode(cursor.encode(1, all_keys_start()), sources) == (1, all_keys_start())
    assert cursor.decode(cursor.encode(0, org_start()), sources) == (0, org_start())
    with pytest.raises(BadRequest):
        cursor.decode(cursor.encode(0, all_keys_start()), sources)
