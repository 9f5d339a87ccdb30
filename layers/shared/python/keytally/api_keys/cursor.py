"""Opaque list cursors: which of the caller's key owners a listing is at, and where in its keys to go on."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from keytally.errors import BadRequest
from keytally.storage.api_keys import KeyOwner, start_belongs_to


def encode(source_index: int, start_key: dict[str, Any] | None) -> str:
    raw = json.dumps({"s": source_index, "k": start_key}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, sources: list[KeyOwner]) -> tuple[int, dict[str, Any] | None]:
    """Validates the cursor against the caller's own key owners, so it can never point into another's keys."""
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        index, start = state["s"], state["k"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise BadRequest("The cursor is not valid.") from error
    if type(index) is not int or not 0 <= index < len(sources):
        raise BadRequest("The cursor is not valid for this listing.")
    if start is None:
        return index, None
    if not isinstance(start, dict) or not all(isinstance(v, str) for v in start.values()):
        raise BadRequest("The cursor is not valid.")
    if not start_belongs_to(sources[index], start):
        raise BadRequest("The cursor is not valid for this listing.")
    return index, start
