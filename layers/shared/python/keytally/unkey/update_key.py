"""Unkey's keys.updateKey (v1 and v2) as a change of a keytally product key: only the fields sent change, null clears.

The names map as in createKey (unkey/create_key.py): `name` -> description (null: none), `externalId` (v1 also
`ownerId`) -> external_id, `meta`, `expires`, `enabled`, `permissions` (they replace the key's: v1 sends
`[{name}]`), credits (v1 `remaining` and `refill`, v2 `credits`: null is unlimited with no refill), the rate limit (v1
`ratelimit`, v2 `ratelimits`: `[]` removes it). Roles are refused, as on createKey; so are v1 permissions by id
(keytally permissions have names, no ids).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, StrictInt, model_validator

from keytally.api_keys.models import Credits, Description, ExternalId, Meta, Permissions, UpdateApiKey
from keytally.fields import ID_PATTERN
from keytally.unkey.create_key import (
    EXPIRES_BY,
    RefillAsked,
    V1RateLimitAsked,
    V2CreditsAsked,
    V2RateLimitAsked,
)
from keytally.unkey.responses import REFUSED


class _V1Permission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=256)
    create: StrictBool | None = Field(None, description="keytally permissions need no creating: ignored.")


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: str = Field(min_length=1, max_length=255, pattern=ID_PATTERN)
    name: Description | None = None
    externalId: ExternalId | None = None
    meta: Meta | None = None
    expires: StrictInt | None = Field(None, ge=0, le=EXPIRES_BY, description="Unix milliseconds; null: never.")
    enabled: StrictBool = True
    roles: None = Field(None, description=REFUSED)

    def _fields(self, sent: set[str]) -> dict[str, Any]:
        """The version's own fields that were sent, in keytally's names."""
        raise NotImplementedError

    _changes: UpdateApiKey = PrivateAttr()

    @model_validator(mode="after")
    def _as_keytally(self) -> _Common:
        """The change, checked as a keytally key update when the request is read (a 400 otherwise)."""
        self._changes = self._keytally_change()
        return self

    def changes(self) -> UpdateApiKey:
        return self._changes

    def _keytally_change(self) -> UpdateApiKey:
        sent = self.model_fields_set
        expires = datetime.fromtimestamp(self.expires / 1000, UTC) if self.expires is not None else None
        common: dict[str, Any] = {
            "description": self.name or "",
            "external_id": self.externalId,
            "meta": self.meta,
            "expires_at": expires,
            "is_enabled": self.enabled,
        }
        names = {
            "name": "description",
            "externalId": "external_id",
            "meta": "meta",
            "expires": "expires_at",
            "enabled": "is_enabled",
        }
        fields = {keytally: common[keytally] for unkey, keytally in names.items() if unkey in sent}
        return UpdateApiKey.model_validate(fields | self._fields(sent))


def _limit(limit: V1RateLimitAsked | V2RateLimitAsked | None) -> dict[str, int] | None:
    return {"limit": limit.limit, "duration": limit.duration} if limit else None


def _refill(refill: RefillAsked | None) -> dict[str, Any] | None:
    return refill.model_dump(include={"interval", "amount"}) if refill else None


class V1UpdateKey(_Common):
    ownerId: ExternalId | None = Field(None, description="Unkey's older name of externalId.")
    remaining: Credits | None = None
    refill: RefillAsked | None = None
    ratelimit: V1RateLimitAsked | None = None
    permissions: list[_V1Permission] | None = Field(None, max_length=1000)

    def _fields(self, sent: set[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "ownerId" in sent and "externalId" not in sent:
            fields["external_id"] = self.ownerId
        if "remaining" in sent:
            fields["remaining"] = self.remaining
        if "refill" in sent:
            fields["refill"] = _refill(self.refill)
        if "ratelimit" in sent:
            fields["ratelimit"] = _limit(self.ratelimit)
        if "permissions" in sent:
            fields["permissions"] = [permission.name for permission in self.permissions or []]
        return fields


class V2UpdateKey(_Common):
    credits: V2CreditsAsked | None = None
    ratelimits: list[V2RateLimitAsked] | None = Field(
        None, max_length=1, description="At most one: the key's `default`."
    )
    permissions: Permissions | None = None

    def _fields(self, sent: set[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "credits" in sent:
            credits = self.credits or V2CreditsAsked(remaining=None, refill=None)
            asked = credits.model_fields_set if self.credits else {"remaining", "refill"}
            if "remaining" in asked:
                fields["remaining"] = credits.remaining
            if "refill" in asked:
                fields["refill"] = _refill(credits.refill)
        if "ratelimits" in sent:
            fields["ratelimit"] = _limit(self.ratelimits[0]) if self.ratelimits else None
        if "permissions" in sent:
            fields["permissions"] = self.permissions or []
        return fields
