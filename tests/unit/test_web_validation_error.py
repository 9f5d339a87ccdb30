"""keytally.web.app.validation_error: malformed JSON is a 400, anything else a 422 naming the fields."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from keytally.errors import BadRequest, Unprocessable
from keytally.web.app import validation_error


def test_json_invalid_is_bad_request() -> None:
    exc = RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", 12), "msg": "JSON decode error", "input": {}, "ctx": {}}]
    )

    error = validation_error(exc)

    assert isinstance(error, BadRequest)
    assert not isinstance(error, Unprocessable)
    assert error.status == 400
    assert error.code == "BAD_REQUEST"
    assert "JSON" in str(error)


def test_json_invalid_among_other_errors_is_still_bad_request() -> None:
    exc = RequestValidationError(
        [
            {"type": "missing", "loc": ("query", "limit"), "msg": "Field required"},
            {"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error"},
        ]
    )

    assert type(validation_error(exc)) is BadRequest


@pytest.mark.parametrize(
    ("item", "named"),
    [
        (
            {
                "type": "less_than_equal",
                "loc": ("body", "rate_limit"),
                "msg": "Input should be less than or equal to 10000",
            },
            "body.rate_limit: Input should be less than or equal to 10000",
        ),
        (
            {
                "type": "value_error",
                "loc": ("body", "allow_ips", 1),
                "msg": "Value error, 'x' is not an IPv4/IPv6 address or CIDR",
            },
            "body.allow_ips.1: Value error, 'x' is not an IPv4/IPv6 address or CIDR",
        ),
        ({"type": "missing", "loc": ("query", "limit"), "msg": "Field required"}, "query.limit: Field required"),
        ({"type": "extra_forbidden", "loc": ("body", "scopes")}, "body.scopes: extra_forbidden"),
    ],
)
def test_other_errors_are_unprocessable_naming_the_field(item: dict, named: str) -> None:
    error = validation_error(RequestValidationError([item]))

    assert type(error) is Unprocessable
    assert error.status == 422
    assert error.code == "UNPROCESSABLE_ENTITY"
    assert error.description == named


def test_several_errors_are_joined() -> None:
    exc = RequestValidationError(
        [
            {"type": "missing", "loc": ("body", "description"), "msg": "Field required"},
            {
                "type": "greater_than_equal",
                "loc": ("body", "rate_limit"),
                "msg": "Input should be greater than or equal to 1",
            },
        ]
    )

    error = validation_error(exc)

    assert isinstance(error, Unprocessable)
    assert error.description == (
        "body.description: Field required; body.rate_limit: Input should be greater than or equal to 1"
    )


def test_description_is_capped() -> None:
    items = [{"type": "missing", "loc": ("body", f"field_{n}"), "msg": "Field required"} for n in range(500)]

    error = validation_error(RequestValidationError(items))

    assert isinstance(error, Unprocessable)
    assert len(error.description) == 2048
    assert error.description.startswith("body.field_0: Field required; body.field_1: Field required")
