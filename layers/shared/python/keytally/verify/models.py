"""Request and response of POST /v1/keys/verify (Unkey's verifyKey)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from keytally.fields import IpAddress, Tag
from keytally.models import Code, Identity
from keytally.verify.permission_query import NOTHING, PermissionQuery, every


class Verification(NamedTuple):
    """One verification as asked, whichever API asked it (keytally's own, Unkey's v1 or v2). `api_id` None: the
    key's own API, if the caller may verify keys there."""

    key: str
    api_id: str | None
    tags: tuple[str, ...] = ()
    permissions: PermissionQuery = NOTHING
    cost: int = 1
    ip: str | None = None


class VerifyKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=512, description="The product key to verify.")
    apiId: str = Field(min_length=1, max_length=50, description="The API the key must belong to.")
    tags: list[Tag] = Field([], max_length=10, description="Recorded with the verification, for analytics.")
    permissions: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        [], max_length=100, description="Every one of these must be among the key's permissions."
    )
    cost: StrictInt = Field(1, ge=0, le=10**9, description="Credits to deduct when the key is valid.")
    ip: IpAddress | None = Field(
        None, description="Your client's address for the key's allow-list; default: the caller's."
    )

    def verification(self) -> Verification:
        return Verification(self.key, self.apiId, tuple(self.tags), every(self.permissions), self.cost, self.ip)


class RateLimitState(BaseModel):
    limit: int
    remaining: int
    reset: int = Field(description="Unix milliseconds when the current window ends.")


class VerifyKeyResponse(BaseModel):
    valid: bool
    code: Code
    keyId: str | None = None
    enabled: bool | None = None
    expires: int | None = Field(None, description="Unix milliseconds.")
    permissions: list[str] | None = None
    remaining: int | None = Field(None, description="Credits left; absent when unlimited.")
    ratelimit: RateLimitState | None = None
    identity: Identity | None = None
    requestedAt: datetime
