"""Unkey's keys.verifyKey, v1 and v2: their requests as keytally verifications, and keytally's answer in their words.

A keytally product key has one rate limit: Unkey's key-level limit named `default`. A request naming another limit,
a cost other than 1 for it, an override of its limit or duration, or v2's `migrationId`, is refused (400), never
ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, field_validator, model_validator

from keytally.fields import Tag
from keytally.models import Code, Identity
from keytally.unkey.key_parts import V1Identity, V2KeyLimit
from keytally.unkey.responses import optional
from keytally.verify.models import Verification
from keytally.verify.permission_query import NAME, NOTHING, PermissionQuery, from_object, parse
from keytally.verify.service import Verified


class _Cost(BaseModel):
    cost: StrictInt = Field(1, ge=0, le=10**12)


class _LimitCost(BaseModel):
    cost: StrictInt = Field(1, ge=1, le=1, description="Each verification uses one token of the key's limit.")


class _NamedLimit(BaseModel):
    """The key's one rate limit, asked by its name: its limit and duration are the key's own (change them there)."""

    name: Literal["default"]
    cost: StrictInt | None = Field(None, ge=1, le=1)
    limit: None = None
    duration: None = None


PermissionName = Annotated[str, Field(min_length=1, max_length=512, pattern=f"^{NAME.pattern}$")]


class _Every(BaseModel):
    model_config = ConfigDict(extra="forbid")

    and_: list[PermissionObject] = Field(alias="and", min_length=1, max_length=100)


class _Any(BaseModel):
    model_config = ConfigDict(extra="forbid")

    or_: list[PermissionObject] = Field(alias="or", min_length=1, max_length=100)


PermissionObject = PermissionName | _Every | _Any
_Every.model_rebuild()
_Any.model_rebuild()


class _Authorization(BaseModel):
    permissions: PermissionObject = Field(description='A name, or {"and": [...]} / {"or": [...]} of queries.')
    _query: PermissionQuery = PrivateAttr(NOTHING)

    @model_validator(mode="after")
    def _parses(self) -> _Authorization:
        """Read here, so that a query the schema cannot refuse (nested too deep) is a 400 naming the field."""
        self._query = from_object(self.model_dump(by_alias=True)["permissions"])
        return self

    def query(self) -> PermissionQuery:
        return self._query


class V1VerifyKey(BaseModel):
    """POST /v1/keys.verifyKey. Unknown fields are dropped, as Unkey's v1 did."""

    key: str = Field(min_length=1, max_length=512)
    apiId: str | None = Field(None, min_length=1, max_length=255)
    tags: list[Tag] = Field([], max_length=10)
    authorization: _Authorization | None = None
    remaining: _Cost | None = None
    ratelimit: _LimitCost | None = None
    ratelimits: list[_NamedLimit] = []

    def verification(self) -> Verification:
        permissions = self.authorization.query() if self.authorization else NOTHING
        cost = self.remaining.cost if self.remaining else 1
        return Verification(self.key, self.apiId, tuple(self.tags), permissions, cost)


class V2VerifyKey(BaseModel):
    """POST /v2/keys.verifyKey. Unknown fields are refused, as Unkey's v2 does (an `apiId` among them: the key's
    own API is the one it is verified in)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=512)
    tags: list[Tag] = Field([], max_length=10, description="At most 10 of 1-128 characters, as keytally records.")
    permissions: str | None = Field(None, min_length=1, max_length=1000)
    credits: _Cost | None = None
    ratelimits: list[_NamedLimit] = []
    migrationId: None = Field(None, description="keytally keeps no migrated keys: verify the key itself.")

    @field_validator("permissions")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse(value)
        return value

    def verification(self) -> Verification:
        permissions = parse(self.permissions) if self.permissions else NOTHING
        cost = self.credits.cost if self.credits else 1
        return Verification(self.key, None, tuple(self.tags), permissions, cost)


class V1RateLimit(BaseModel):
    limit: int
    remaining: int
    reset: int = Field(description="Unix milliseconds when the window ends.")


class V1VerifyKeyAnswer(BaseModel):
    """Unkey v1's answer: absent fields are left out."""

    keyId: str | None = optional()
    valid: bool
    name: str | None = optional()
    ownerId: str | None = optional()
    meta: dict[str, Any] | None = optional()
    expires: int | None = optional("Unix milliseconds.")
    ratelimit: V1RateLimit | None = optional()
    remaining: int | None = optional("Credits left; absent when unlimited.")
    enabled: bool | None = optional()
    permissions: list[str] | None = optional()
    roles: list[str] | None = optional()
    code: Code
    identity: V1Identity | None = optional()
    requestId: str


class V2RateLimit(V2KeyLimit):
    reset: int = Field(description="Unix milliseconds when the window ends.")
    remaining: int
    exceeded: bool


class V2VerifyKeyData(BaseModel):
    """Unkey v2's answer: absent fields are left out."""

    valid: bool
    code: Code
    keyId: str | None = optional()
    name: str | None = optional()
    meta: dict[str, Any] | None = optional()
    expires: int | None = optional("Unix milliseconds.")
    credits: int | None = optional("Credits left; absent when unlimited.")
    enabled: bool | None = optional()
    permissions: list[str] | None = optional()
    roles: list[str] | None = optional()
    identity: Identity | None = optional()
    ratelimits: list[V2RateLimit] | None = optional()


def v1_answer(verified: Verified, request_id: str) -> V1VerifyKeyAnswer:
    response, record = verified.response, verified.record
    code = Code.FORBIDDEN if response.code is Code.UNAUTHORIZED else response.code  # Unkey v1: another API's key
    if record is None or response.code in (Code.NOT_FOUND, Code.UNAUTHORIZED):
        return V1VerifyKeyAnswer(valid=False, code=code, requestId=request_id)
    identity = response.identity
    return V1VerifyKeyAnswer(
        keyId=response.keyId,
        valid=response.valid,
        name=record.description or None,
        ownerId=record.external_id,
        meta=record.metadata(),
        expires=response.expires,
        ratelimit=V1RateLimit(**response.ratelimit.model_dump()) if response.ratelimit else None,
        remaining=response.remaining,
        enabled=response.enabled,
        permissions=response.permissions,
        roles=[],
        code=code,
        identity=V1Identity(**identity.model_dump()) if identity else None,
        requestId=request_id,
    )


def v2_answer(verified: Verified) -> V2VerifyKeyData:
    response, record = verified.response, verified.record
    if record is None or response.code in (Code.NOT_FOUND, Code.UNAUTHORIZED):
        return V2VerifyKeyData(valid=False, code=Code.NOT_FOUND)
    limit, state = V2KeyLimit.of(record), response.ratelimit
    return V2VerifyKeyData(
        valid=response.valid,
        code=response.code,
        keyId=response.keyId,
        name=record.description or None,
        meta=record.metadata(),
        expires=response.expires,
        credits=response.remaining,
        enabled=response.enabled,
        permissions=response.permissions,
        roles=[],
        identity=response.identity,
        ratelimits=[
            V2RateLimit(
                **limit.model_dump(),
                reset=state.reset,
                remaining=state.remaining,
                exceeded=response.code is Code.RATE_LIMITED,
            )
        ]
        if limit and state
        else None,
    )
