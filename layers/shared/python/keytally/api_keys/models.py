"""Request and response models of the key-management API."""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from keytally.auth.rate_limit import DEFAULT_LIMIT, MAX_LIMIT
from keytally.fields import ID_PATTERN, NETWORK_PATTERN, Instant, Slug
from keytally.models import MAX_COUNTER_SHARDS, KeyRecord, ProductRateLimit, Refill, Scope


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError as error:
        raise ValueError(f"'{value}' is not an IPv4/IPv6 address or CIDR") from error


Network = Annotated[
    str, Field(max_length=255, json_schema_extra={"pattern": NETWORK_PATTERN}), AfterValidator(_network)
]  # the pattern documents the usual spellings; the server takes any that ipaddress takes
Description = Annotated[str, Field(max_length=1000)]
ScopeNames = Annotated[list[Scope], Field(max_length=100)]
AllowIps = Annotated[list[Network], Field(max_length=100)]
RateLimit = Annotated[StrictInt, Field(ge=1, le=MAX_LIMIT, description="Requests per hour.")]
ExternalId = Annotated[str, Field(min_length=1, max_length=256, description="The identity the key belongs to.")]
Permissions = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=256)]], Field(max_length=1000, description="Unkey-style.")
]
Credits = Annotated[StrictInt, Field(ge=0, le=10**12, description="Credits left; omitted is unlimited.")]
META_BYTES = 2048  # a product key's metadata is read with the key at every verification: it stays within one read unit


def meta_text(value: dict[str, Any] | None) -> str | None:
    """A key's metadata as stored: compact JSON text (None: none)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if value is not None else None


def _small(value: dict[str, Any]) -> dict[str, Any]:
    if len((meta_text(value) or "").encode()) > META_BYTES:
        raise ValueError(f"at most {META_BYTES} bytes of compact JSON")
    return value


Meta = Annotated[
    dict[str, Any],
    AfterValidator(_small),
    Field(description=f"Product keys: any JSON object about the key (at most {META_BYTES} bytes), returned as sent."),
]


class RefillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval: Literal["daily", "monthly"]
    amount: StrictInt = Field(ge=1, le=10**12, description="The balance each refill sets (it replaces, never adds).")


class RateLimitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: StrictInt = Field(ge=1, le=10**9, description="Valid verifications allowed per window.")
    duration: StrictInt = Field(ge=1000, le=30 * 86_400_000, description="Window length in milliseconds.")


PRODUCT_FIELDS = ("api_id", "external_id", "meta", "permissions", "remaining", "refill", "ratelimit", "counter_shards")
CounterShards = Annotated[
    StrictInt,
    Field(
        ge=1,
        le=MAX_COUNTER_SHARDS,
        description="Items the key's credits and rate limit are split over, each taking about 1,000 valid "
        "verifications a second (docs/architecture.md, 'One hot product key'). 1 unless the key is that hot.",
    ),
]


class UserInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    type: Literal["user"] = Field("user", alias="@type")
    user_id: str = Field(max_length=50, pattern=ID_PATTERN)
    email: str = Field(max_length=255)


class ApiKey(BaseModel):
    """The Supermetrics ApiKey object, plus organizationSlug, rate_limit, last_used_at, expires_at, revoked_at."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    type: Literal["api_key"] = Field("api_key", alias="@type")
    api_key_id: str = Field(max_length=50, pattern=ID_PATTERN)
    created_time: datetime
    description: str = Field(max_length=1000)
    key_type: str = Field(max_length=50, examples=["organization", "user"])
    key_start: str = Field(max_length=50, pattern=ID_PATTERN)
    key_value: str | None = Field(
        None, max_length=255, pattern=ID_PATTERN, description="The key itself: only in the create response."
    )
    scope_names: list[str] = Field(max_length=100)
    allow_ips: list[str] = Field(max_length=100)
    is_enabled: bool
    behalf_of_user_info: UserInfo | None = None
    organizationSlug: str | None = None
    rate_limit: int
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    api_id: str | None = Field(None, description="Product keys: the API (keyspace) the key belongs to.")
    external_id: str | None = None
    meta: dict[str, Any] | None = Field(None, description="Product keys: the key's metadata, as sent.")
    permissions: list[str] | None = None
    remaining: int | None = Field(None, description="Product keys: credits left; null is unlimited.")
    refill: Refill | None = None
    ratelimit: ProductRateLimit | None = None
    counter_shards: int | None = Field(None, description="Product keys: items its counters are split over.")

    @classmethod
    def of(cls, record: KeyRecord, key_value: str | None = None) -> ApiKey:
        return cls(
            api_key_id=record.api_key_id,
            created_time=record.created_time,
            description=record.description,
            key_type=record.key_type.value,
            key_start=record.key_start,
            key_value=key_value,
            scope_names=[scope.value for scope in record.scope_names],
            allow_ips=list(record.allow_ips),
            is_enabled=record.is_enabled,
            behalf_of_user_info=(
                UserInfo(user_id=record.user_id, email=record.user_email or "") if record.user_id else None
            ),
            organizationSlug=record.org_slug,
            rate_limit=record.rate_limit,
            last_used_at=record.last_used_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            api_id=record.api_id,
            external_id=record.external_id,
            meta=record.metadata(),
            permissions=list(record.permissions) if record.api_id else None,
            remaining=record.remaining,
            refill=record.refill,
            ratelimit=record.ratelimit,
            counter_shards=record.counter_shards if record.api_id else None,
        )


# The rules of fields_fit_the_key_type below, for the OpenAPI document
_NO_PRODUCT_FIELDS = {"not": {"anyOf": [{"required": [name]} for name in PRODUCT_FIELDS]}}
_KIND_RULE: dict[str, Any] = {
    "anyOf": [
        {
            "title": "Product key",
            "required": ["api_id"],
            "properties": {
                "key_type": {"enum": ["product", None]},
                "api_id": {"type": "string"},
                "scope_names": {"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}]},
            },
        },
        {
            "title": "Organization key",
            "properties": {"key_type": {"enum": ["organization", None]}},
            **_NO_PRODUCT_FIELDS,
        },
        {
            "title": "User key",
            "required": ["key_type"],
            "properties": {"key_type": {"const": "user"}, "organizationSlug": {"type": "null"}},
            **_NO_PRODUCT_FIELDS,
        },
    ]
}


class CreateApiKey(BaseModel):
    """An organization or user key for keytally's own API, or (with `api_id`) a product key inside an API."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_KIND_RULE)

    key_type: Literal["organization", "user", "product"] | None = Field(
        None, description="Defaults to `product` when `api_id` is given, else `organization`."
    )
    organizationSlug: Slug | None = Field(
        None, description="The organization of an organization key; defaults to the calling key's organization."
    )
    description: Description = ""
    scope_names: ScopeNames | None = Field(None, description="Defaults to every scope the caller may grant.")
    allow_ips: AllowIps = []
    is_enabled: StrictBool = True
    expires_at: Instant | None = None
    rate_limit: RateLimit = DEFAULT_LIMIT
    api_id: str | None = Field(None, max_length=50, pattern=ID_PATTERN)
    external_id: ExternalId | None = None
    meta: Meta | None = None
    permissions: Permissions = []
    remaining: Credits | None = None
    refill: RefillRequest | None = None
    ratelimit: RateLimitRequest | None = None
    counter_shards: CounterShards = 1

    @model_validator(mode="after")
    def fields_fit_the_key_type(self) -> CreateApiKey:
        if self.key_type is None:
            self.key_type = "product" if self.api_id is not None else "organization"
        if self.key_type == "product":
            if self.api_id is None:
                raise ValueError("api_id: required for product keys")
            if self.scope_names:
                raise ValueError("scope_names: product keys carry permissions, not scopes")
            return self
        sent = [name for name in PRODUCT_FIELDS if name in self.model_fields_set]
        if sent:
            raise ValueError(f"{', '.join(sent)}: only product keys (key_type 'product') carry these")
        if self.key_type == "user" and self.organizationSlug is not None:
            raise ValueError("organizationSlug: user keys act for a user, not for an organization")
        return self


class UpdateApiKey(BaseModel):
    """Only the fields sent are changed; `null` removes an expiry, an identity, a credit limit, a refill or a
    ratelimit. Whether product fields or scopes fit depends on the key's type (422 when they do not)."""

    model_config = ConfigDict(extra="forbid")

    description: Description | MISSING = MISSING
    scope_names: ScopeNames | MISSING = MISSING
    allow_ips: AllowIps | MISSING = MISSING
    is_enabled: StrictBool | MISSING = MISSING
    expires_at: Instant | None = None
    rate_limit: RateLimit | MISSING = MISSING
    external_id: ExternalId | None = None
    meta: Meta | None = None
    permissions: Permissions | MISSING = MISSING
    remaining: Credits | None = None
    refill: RefillRequest | None = None
    ratelimit: RateLimitRequest | None = None
    counter_shards: CounterShards | MISSING = MISSING
