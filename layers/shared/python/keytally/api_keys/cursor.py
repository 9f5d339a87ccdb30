"""Opaque list cursors: where a listing is (which of the caller's key owners, or which API) and where to go on.
A cursor is checked against the listing it is used in, so it can never point into another's keys."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from keytally.errors import BadRequest
from keytally.storage.api_keys import KeyOwner, start_belongs_to
from keytally.storage.api_listing import is_position


def encode(source_index: int, start_key: dict[str, Any] | None) -> str:
    raw = json.dumps({"s": source_index, "k": start_key}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _state(cursor: str) -> tuple[Any, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return state["s"], state["k"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise BadRequest("The cursor is not valid.") from error


def decode(cursor: str, sources: list[KeyOwner]) -> tuple[int, dict[str, Any] | None]:
    """Validates the cursor against the caller's own key owners."""
    index, start = _state(cursor)
    if type(index) is not int or not 0 <= index < len(sources):
        raise BadRequest("The cursor is not valid for this listing.")
    if start is None:
        return index, None
    if not isinstance(start, dict) or not all(isinstance(v, str) for v in start.values()):
        raise BadRequest("The cursor is not valid.")
    if not start_belongs_to(sources[index], start):
        raise BadRequest("The cursor is not valid for this listing.")
    return index, start


def decode_in_api(cursor: str, api_id: str, external_id: str | None) -> dict[str, Any]:
    """Validates the cursor against the API's listing (of one identity, when given)."""
    _, start = _state(cursor)
    if not isinstance(start, dict) or not is_position(api_id, external_id, start):
        raise BadRequest("The cursor is not valid for this listing.")
    return start
