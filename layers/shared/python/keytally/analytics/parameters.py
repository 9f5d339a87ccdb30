"""Query parameters that every analytics route takes alike."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from keytally.analytics.query import LATEST, LATEST_MS
from keytally.errors import Unprocessable
from keytally.fields import ID_PATTERN

MAX_KEY_IDS = 100

UnixMs = Annotated[int | None, Query(ge=0, le=LATEST_MS, description=f"Unix milliseconds, until {LATEST:%Y-%m-%d}.")]


def key_ids_of(values: list[str] | None) -> tuple[str, ...]:
    """`keyId`, repeated or comma-joined (Unkey's v1 SDK joins an array's values with commas; no key id holds one):
    each an id, else a 422 rather than a filter that silently matches nothing."""
    pieces = tuple(piece.strip() for value in values or () for piece in value.split(","))
    malformed = [piece for piece in pieces if not re.fullmatch(ID_PATTERN, piece)]
    if malformed:
        raise Unprocessable(f"keyId: '{malformed[0][:64]}' is not a key id (letters, digits, '_' and '-')")
    if len(pieces) > MAX_KEY_IDS:
        raise Unprocessable(f"keyId: at most {MAX_KEY_IDS} key ids")
    return pieces
