"""Unkey's keys.createKey (v1 and v2) as keytally product keys.

Unkey's fields map to a product key's: `name` -> description, `externalId` (v1 also `ownerId`) -> external_id,
`expires` (Unix ms) -> expires_at, `remaining` / `credits.remaining` -> credits, `refill` (monthly on the 1st: no
other `refillDay`), the key's one rate limit (v1 `ratelimit`, v2 one `ratelimits` entry named `default`), `enabled`,
`permissions`, `meta` (a JSON object of at most 2 KB). What keytally does not keep is refused by the schema, never
ignored: `prefix` and `byteLength` (keytally keys have one format, with 32 random bytes: a `byteLength` up to that is
met), `roles`, `recoverable` (only a
hash is kept), v1's `environment`, a rate limit that is not applied to every verification (`autoApply: false`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, StrictInt, model_validator

from keytally.api_keys.models import (
    CreateApiKey,
    Credits,
    Description,
    ExternalId,
    Meta,
    Permissions,
    RateLimitRequest,
    RefillRequest,
)
from keytally.fields import ID_PATTERN
from keytally.unkey.responses import REFUSED

EXPIRES_BY = 4_102_444_800_000  # 2100-01-01, Unkey's bound


class RefillAsked(RefillRequest):
    refillDay: Literal[1] | None = Field(None, description="Monthly refills happen on the 1st.")


class V1RateLimitAsked(RateLimitRequest):
    async_: StrictBool | None = Field(None, alias="async")
    type: Literal["fast", "consistent"] | None = None


class V2RateLimitAsked(RateLimitRequest):
    name: Literal["default"] = Field(description="keytally keys have one rate limit, named default.")
    autoApply: Literal[True] = Field(
        description="The key's limit applies to every verification: say true (Unkey's default, false, is a 400)."
    )


class V2CreditsAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remaining: Credits | None = Field(None, description="Null or absent: unlimited.")
    refill: RefillAsked | None = None


class _Common(BaseModel):
    """What both versions take; the request, checked as a keytally key request when it is read (a 400 otherwise)."""

    model_config = ConfigDict(extra="forbid")

    apiId: str = Field(min_length=1, max_length=50, pattern=ID_PATTERN)
    name: Description | None = None
    externalId: ExternalId | None = None
    expires: StrictInt | None = Field(None, ge=0, le=EXPIRES_BY, description="Unix milliseconds.")
    permissions: Permissions = []
    enabled: StrictBool = True
    prefix: None = Field(None, description=REFUSED)
    byteLength: StrictInt | None = Field(
        None, ge=16, le=32, description="keytally keys carry 32 random bytes: any length up to that is met."
    )
    meta: Meta | None = None
    roles: None = Field(None, description=REFUSED)
    recoverable: Literal[False] = Field(False, description="keytally keeps only a hash of each key: true is a 400.")
    _request: CreateApiKey = PrivateAttr()

    def _fields(self) -> dict[str, Any]:
        """The version's own fields, in keytally's names."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _as_keytally(self) -> _Common:
        expires = datetime.fromtimestamp(self.expires / 1000, UTC) if self.expires is not None else None
        fields = {
            "key_type": "product",
            "api_id": self.apiId,
            "description": self.name or "",
            "external_id": self.externalId,
            "meta": self.meta,
            "expires_at": expires,
            "permissions": self.permissions,
            "is_enabled": self.enabled,
            **self._fields(),
        }
        self._request = CreateApiKey(**{name: value for name, value in fields.items() if value is not None})
        return self

    def request(self) -> CreateApiKey:
        return self._request


class V1CreateKey(_Common):
    ownerId: ExternalId | None = Field(None, description="Unkey's older name of externalId.")
    remaining: Credits | None = None
    refill: RefillAsked | None = None
    ratelimit: V1RateLimitAsked | None = None
    environment: None = Field(None, description=REFUSED)

    def _fields(self) -> dict[str, Any]:
        limit = self.ratelimit
        return {
            "external_id": self.externalId or self.ownerId,
            "remaining": self.remaining,
            "refill": self.refill.model_dump(include={"interval", "amount"}) if self.refill else None,
            "ratelimit": {"limit": limit.limit, "duration": limit.duration} if limit else None,
        }


class V2CreateKey(_Common):
    credits: V2CreditsAsked | None = None
    ratelimits: list[V2RateLimitAsked] = Field([], max_length=1, description="At most one: the key's `default`.")

    def _fields(self) -> dict[str, Any]:
        credits = self.credits
        refill = credits.refill if credits else None
        limit = self.ratelimits[0] if self.ratelimits else None
        return {
            "remaining": credits.remaining if credits else None,
            "refill": refill.model_dump(include={"interval", "amount"}) if refill else None,
            "ratelimit": {"limit": limit.limit, "duration": limit.duration} if limit else None,
        }


class CreatedKey(BaseModel):
    keyId: str
    key: str = Field(description="The key itself: shown this once, never stored.")
