"""What a request body must be: JSON, declared as `application/json` (any charset), nested at most MAX_DEPTH
levels. Anything else is refused before it reaches a route's model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 32  # the deepest request model (an ingested event's tags) is 4 levels
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
NOT_JSON = "application/x-keytally-not-json"  # a type Powertools does not parse: its validation raises


def refusing_non_json(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event as the resolver should see it: a body that is not declared `application/json` on a method that
    takes one (form, multipart, XML, text, or no type at all; an empty form too, which would otherwise read as all
    defaults) gets a content type Powertools' validation refuses, so it is answered 415 once admission has passed
    (web.app), and never parsed."""
    if str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper() not in METHODS_WITH_BODY:
        return event
    headers = event.get("headers") or {}
    content_type = headers.get("content-type")
    if content_type is None and not event.get("body"):
        return event  # no body at all: the route's model says whether it needs one
    if (content_type or "").split(";", 1)[0].strip().lower() == "application/json":
        return event
    return {**event, "headers": {**headers, "content-type": NOT_JSON}}


def parse_json(text: str) -> Any:
    """json.loads for request bodies; a body nested deeper than MAX_DEPTH is malformed (a JSONDecodeError, which
    the resolver answers 400 like any other malformed JSON). JSON has one number type, and JSON Schema's integer
    includes 5.0: a whole number written with a fraction or exponent reads as that integer, so strict integer
    fields take it while 5.5, "5" and true stay the wrong type."""
    try:
        value = json.loads(text, parse_float=_number)
    except RecursionError:
        raise _too_deep(text) from None
    if _deeper_than(value, MAX_DEPTH):
        raise _too_deep(text)
    return value


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


def _too_deep(text: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text, 0)


def _deeper_than(value: Any, levels: int) -> bool:
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        return False
    return levels == 0 or any(_deeper_than(item, levels - 1) for item in value)
