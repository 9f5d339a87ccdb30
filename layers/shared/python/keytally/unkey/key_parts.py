"""The parts of a key Unkey shows both where a key is read (keys.getKey, keys.listKeys) and where it is verified
(keys.verifyKey): v1's identity and v2's rate limit. Here, not with either, so that neither function imports the other's
models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from keytally.models import KeyRecord

DEFAULT_LIMIT = "default"  # the name of a key's one rate limit


class V1Identity(BaseModel):
    id: str
    externalId: str
    meta: dict[str, Any] = Field(default_factory=dict)


class V2KeyLimit(BaseModel):
    """A key's rate limit as Unkey v2 names it: keytally's one, `default`, always applied."""

    id: str
    name: str
    limit: int
    duration: int = Field(description="Milliseconds.")
    autoApply: bool

    @classmethod
    def of(cls, record: KeyRecord) -> V2KeyLimit | None:
        limit = record.ratelimit
        if limit is None:
            return None
        return cls(
            id=f"rl_{record.api_key_id}", name=DEFAULT_LIMIT, limit=limit.limit, duration=limit.duration, autoApply=True
        )
