"""Unkey's keys and APIs, read, changed and deleted (v1 and v2): keytally's product keys and APIs in Unkey's words.

Only product keys are Unkey's keys: an organization or user key asked by id is not found, as is a revoked one.
Deleting revokes (keytally keeps a revoked key's record; the routes' schemas refuse `permanent`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictBool

from keytally.access import api_for
from keytally.api_keys import service
from keytally.api_keys.models import UpdateApiKey
from keytally.auth.principal import Principal
from keytally.errors import NotFound
from keytally.models import ApiRecord, Identity, KeyKind, KeyRecord, Scope, identity_of
from keytally.unkey.key_parts import V1Identity, V2KeyLimit
from keytally.unkey.responses import optional


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def unkeys_key(record: KeyRecord) -> None:
    """Unkey's keys are the product keys not revoked; any other is not found (its existence not revealed)."""
    if record.key_type is not KeyKind.PRODUCT or record.revoked_at is not None:
        raise NotFound(f"Key '{record.api_key_id}' does not exist.")


def product_key(principal: Principal, key_id: str) -> KeyRecord:
    """The product key, if the caller may read it."""
    record = service.get_key(principal, key_id)
    unkeys_key(record)
    return record


def delete_key(principal: Principal, key_id: str, now: datetime) -> None:
    service.revoke_key(principal, key_id, now, only=unkeys_key)  # (it checks the caller may change the key)


def update_key(principal: Principal, key_id: str, changes: UpdateApiKey, now: datetime) -> KeyRecord:
    return service.update_key(principal, key_id, changes, now, only=unkeys_key)


def api_of(principal: Principal, api_id: str) -> ApiRecord:
    return api_for(principal, api_id, Scope.KEYS_READ)


class V1Refill(BaseModel):
    interval: str
    amount: int
    refillDay: int | None = None
    lastRefillAt: int | None = optional("Unix milliseconds.")


class V1KeyRateLimit(BaseModel):
    async_: StrictBool = Field(False, alias="async")
    type: str = "consistent"
    limit: int
    duration: int
    refillRate: int
    refillInterval: int


class V1Key(BaseModel):
    """Unkey v1's Key: absent fields are left out."""

    id: str
    start: str
    workspaceId: str = Field(description="The key's organization.")
    apiId: str | None = optional()
    name: str | None = optional()
    ownerId: str | None = optional()
    meta: dict[str, Any] | None = optional()
    createdAt: int
    expires: int | None = optional("Unix milliseconds.")
    remaining: int | None = optional("Credits left; absent when unlimited.")
    refill: V1Refill | None = optional()
    ratelimit: V1KeyRateLimit | None = optional()
    roles: list[str] = []
    permissions: list[str] = []
    enabled: bool
    identity: V1Identity | None = optional()

    @classmethod
    def of(cls, record: KeyRecord) -> V1Key:
        identity = identity_of(record.org_slug or "", record.external_id)
        limit = record.ratelimit
        return cls(
            id=record.api_key_id,
            start=record.key_start,
            workspaceId=record.org_slug or "",
            apiId=record.api_id,
            name=record.description or None,
            ownerId=record.external_id,
            meta=record.metadata(),
            createdAt=_ms(record.created_time) or 0,
            expires=_ms(record.expires_at),
            remaining=record.remaining,
            refill=V1Refill(
                interval=record.refill.interval, amount=record.refill.amount, lastRefillAt=_ms(record.last_refill_at)
            )
            if record.refill
            else None,
            ratelimit=V1KeyRateLimit(
                limit=limit.limit,
                duration=limit.duration,
                refillRate=limit.limit,
                refillInterval=limit.duration,
            )
            if limit
            else None,
            permissions=list(record.permissions),
            enabled=record.is_enabled,
            identity=V1Identity(**identity.model_dump()) if identity else None,
        )


class V1Api(BaseModel):
    id: str
    workspaceId: str
    name: str


class V2Refill(BaseModel):
    interval: str
    amount: int


class V2Credits(BaseModel):
    remaining: int | None = Field(description="Null: unlimited.")
    refill: V2Refill | None = optional()

    @classmethod
    def of(cls, record: KeyRecord) -> V2Credits:
        refill = record.refill
        return cls(
            remaining=record.remaining,
            refill=V2Refill(interval=refill.interval, amount=refill.amount) if refill else None,
        )


class V2Key(BaseModel):
    """Unkey v2's KeyResponseData: absent fields are left out."""

    keyId: str
    start: str
    enabled: bool
    name: str | None = optional()
    meta: dict[str, Any] | None = optional()
    createdAt: int
    lastUsedAt: int | None = optional("Unix milliseconds.")
    expires: int | None = optional("Unix milliseconds.")
    permissions: list[str] = []
    roles: list[str] = []
    credits: V2Credits | None = optional()
    identity: Identity | None = optional()
    ratelimits: list[V2KeyLimit] | None = optional()

    @classmethod
    def of(cls, record: KeyRecord) -> V2Key:
        return cls(
            keyId=record.api_key_id,
            start=record.key_start,
            enabled=record.is_enabled,
            name=record.description or None,
            meta=record.metadata(),
            createdAt=_ms(record.created_time) or 0,
            lastUsedAt=_ms(record.last_used_at),
            expires=_ms(record.expires_at),
            permissions=list(record.permissions),
            credits=V2Credits.of(record) if record.remaining is not None or record.refill else None,
            identity=identity_of(record.org_slug or "", record.external_id),
            ratelimits=[limit] if (limit := V2KeyLimit.of(record)) else None,
        )


class V2Api(BaseModel):
    id: str
    name: str
