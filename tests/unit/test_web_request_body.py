"""keytally.web.request_body: JSON bodies only, nested at most MAX_DEPTH levels."""

from __future__ import annotations

import json

import pytest

from keytally.web.request_body import MAX_DEPTH, NOT_JSON, parse_json, refusing_non_json


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_nesting_up_to_the_limit_parses_and_beyond_it_is_malformed():
    assert parse_json(nested(MAX_DEPTH)) is not None
    for levels in (MAX_DEPTH + 1, 100_000):  # the second would exhaust the parser's recursion
        with pytest.raises(json.JSONDecodeError, match="nested deeper"):
            parse_json(nested(levels))


def event(method: str, content_type: str | None, body: str | None) -> dict:
    headers = {"content-type": content_type} if content_type else {}
    return {"requestContext": {"http": {"method": method}}, "headers": headers, "body": body}


@pytest.mark.parametrize(
    ("method", "content_type", "body", "refused"),
    [
        ("POST", "application/json", "{}", False),
        ("POST", "Application/JSON; charset=utf-8", "{}", False),
        ("POST", None, None, False),  # no body at all: the model decides
        ("POST", None, "{}", True),  # a body of no declared type
        ("POST", "application/x-www-form-urlencoded", "", True),  # even an empty form
        ("PATCH", "text/plain", "{}", True),
        ("GET", "text/plain", "x", False),  # GET routes take no body
    ],
)
def test_a_body_not_declared_json_gets_a_type_validation_refuses(method, content_type, body, refused):
    seen = refusing_non_json(event(method, content_type, body))
    assert (seen["headers"].get("content-type") == NOT_JSON) is refused


def test_a_whole_number_written_with_a_fraction_or_exponent_reads_as_the_integer_json_schema_says_it_is():
    parsed = parse_json('{"whole": 250.0, "exponent": 1e3, "fraction": 2.5, "int": 7, "huge": 1e400}')
    assert parsed == {"whole": 250, "exponent": 1000, "fraction": 2.5, "int": 7, "huge": float("inf")}
    assert [type(parsed[name]) for name in ("whole", "exponent", "fraction")] == [int, int, float]
