"""The domain's vocabulary and stored entities: scopes, roles, key kinds, verification codes; organizations, users,
memberships, APIs and keys; and the changes a verification makes to a product key's counters.

Plain models with no I/O: every layer above may use them, they import nothing of keytally's.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict


class Scope(str, enum.Enum):
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"
    ANALYTICS_READ = "analytics:read"
    METRICS_READ = "metrics:read"
    EVENTS_WRITE = "events:write"
    KEYS_VERIFY = "keys:verify"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)


class Role(str, enum.Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class KeyKind(str, enum.Enum):
    """What a key acts for; the prefix makes it recognizable in logs and secret scanners."""

    ORGANIZATION = "organization"
    USER = "user"
    PRODUCT = "product"  # issued by an organization to its own customers, checked with POST /v1/keys/verify

    @property
    def prefix(self) -> str:
        return {"organization": "kt_org_", "user": "kt_usr_", "product": "kt_prd_"}[self.value]


class Code(str, enum.Enum):
    """Unkey's verification codes: the outcome of one verification."""

    VALID = "VALID"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHORIZED = "UNAUTHORIZED"
    DISABLED = "DISABLED"
    EXPIRED = "EXPIRED"
    FORBIDDEN = "FORBIDDEN"
    INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
    RATE_LIMITED = "RATE_LIMITED"
    USAGE_EXCEEDED = "USAGE_EXCEEDED"


class RequestSource(str, enum.Enum):
    """Where a request event comes from: a request log of the customer's own API sent to POST /v1/events, or a call
    to keytally's own API made with one of the organization's keys. Request rollups never mix the two."""

    INGESTED = "ingested"
    KEYTALLY = "keytally"


class Identity(BaseModel):
    """Unkey's identity of a key: keytally keeps identities as the external ids keys carry."""

    id: str
    externalId: str


def identity_of(org_slug: str, external_id: str | None) -> Identity | None:
    """`id` is a stable id derived from the organization and the external id."""
    if not external_id:
        return None
    digest = hashlib.sha256(f"{org_slug}#{external_id}".encode()).hexdigest()[:20]
    return Identity(id=f"id_{digest}", externalId=external_id)


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True)


class Organization(Entity):
    slug: str
    name: str
    created_time: datetime


class User(Entity):
    user_id: str
    email: str
    is_staff: bool = False
    is_disabled: bool = False  # every credential of a disabled user is refused (401)
    created_time: datetime


class Membership(Entity):
    org_slug: str
    user_id: str
    role: Role
    is_active: bool = True


class UserWithMemberships(Entity):
    user: User
    memberships: tuple[Membership, ...] = ()

    def role_in(self, org_slug: str) -> Role | None:
        for membership in self.memberships:
            if membership.org_slug == org_slug and membership.is_active:
                return membership.role
        return None


class ApiRecord(Entity):
    """An API (Unkey's term, `/v1/apis`): the keyspace inside which an organization issues product keys."""

    api_id: str
    org_slug: str
    name: str
    created_time: datetime


class Refill(Entity):
    """Unkey's refill: at the start of each interval the balance is replaced by `amount` (never added to)."""

    interval: Literal["daily", "monthly"]
    amount: int

    def period_start(self, now: datetime) -> datetime:
        """Start of the refill interval `now` is in: midnight UTC, or the first of the month."""
        day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return day if self.interval == "daily" else day.replace(day=1)

    def is_due(self, last_refill_at: datetime | None, now: datetime) -> bool:
        """Whether a balance last refilled at `last_refill_at` is due the refill of the interval `now` is in."""
        return last_refill_at is None or last_refill_at < self.period_start(now)


class ProductRateLimit(Entity):
    """Unkey's per-key rate limit: at most `limit` valid verifications per `duration` milliseconds."""

    limit: int
    duration: int

    def window_of(self, now: datetime) -> int:
        """The fixed window `now` is in: epoch milliseconds // duration."""
        return int(now.timestamp() * 1000) // self.duration


KeyState = Literal["active", "disabled", "expired", "revoked"]
KEY_STATES: tuple[KeyState, ...] = ("active", "disabled", "expired", "revoked")
LAST_USED_PRECISION = timedelta(minutes=1)  # last_used_at costs at most one write per key per minute


class KeyRecord(Entity):
    """An API key as stored: the secret itself is never kept, only its SHA-256."""

    api_key_id: str
    key_hash: str
    key_start: str
    key_type: KeyKind
    org_slug: str | None = None  # organization keys
    user_id: str | None = None  # user keys: the user the key acts for
    user_email: str | None = None
    description: str = ""
    scope_names: tuple[Scope, ...] = ()
    allow_ips: tuple[str, ...] = ()
    is_enabled: bool = True
    rate_limit: int = 5000
    created_time: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    in_census: bool = False  # counted in its organization's key census (storage/api_keys.py)
    # product keys only
    api_id: str | None = None
    external_id: str | None = None
    meta: str | None = None  # the customer's JSON object about the key, as compact text (its numbers exact)
    permissions: tuple[str, ...] = ()
    remaining: int | None = None  # credits; None is unlimited
    refill: Refill | None = None
    last_refill_at: datetime | None = None
    ratelimit: ProductRateLimit | None = None
    ratelimit_window: int | None = None  # the fixed window the count belongs to: epoch ms // duration
    ratelimit_count: int = 0
    counter_shards: int = 1  # the items the counters are split over (storage/key_counters.py)
    listed: bool = False  # in its API's listing and count (storage/api_keys.py): product keys stored since there is one
    state_version: int = 0  # raised by every change of a split key, on the key and every shard at once

    def metadata(self) -> dict[str, Any] | None:
        return json.loads(self.meta) if self.meta is not None else None

    def last_use_is_stale(self, now: datetime) -> bool:
        return self.last_used_at is None or self.last_used_at < now - LAST_USED_PRECISION

    def state_at(self, moment: datetime) -> KeyState:
        """Revoked outranks expired, expired outranks disabled. Disabling keeps no history: a key disabled now
        counts as disabled at any moment."""
        if self.revoked_at is not None and self.revoked_at < moment:
            return "revoked"
        if self.expires_at is not None and self.expires_at < moment:
            return "expired"
        return "active" if self.is_enabled else "disabled"


class ShardCounters(Entity):
    """One shard of a split product key's counters: its part of the credits, of the rate limit's window, and its
    last use; `state_version` is the key's as of the shard's last change."""

    remaining: int | None = None
    last_refill_at: datetime | None = None
    ratelimit_window: int | None = None
    ratelimit_count: int = 0
    last_used_at: datetime | None = None
    state_version: int = 0


MAX_COUNTER_SHARDS = 16


def share_of(total: int, parts: int, index: int) -> int:
    """Part `index` of `total` split over `parts`: the first `total % parts` parts hold one more."""
    return total // parts + (1 if index < total % parts else 0)


class TokenRecord(Entity):
    """A personal access token as stored. The token string is a JWT signed with the deployment's secret and never
    kept: a token is honoured only while this row exists, is not revoked, and its jti and flags equal the claims."""

    pat_id: str
    user_id: str
    name: str
    jti: str
    read_only: bool = False
    access_global_metrics: bool = False
    org_slug: str | None = None  # the one organization the token may act in; None: any of its user's
    scope_names: tuple[Scope, ...] = ()  # what the credential that created it held: a token never widens it
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def last_use_is_stale(self, now: datetime) -> bool:
        return self.last_used_at is None or self.last_used_at < now - LAST_USED_PRECISION


# What one valid verification changes on a product key, each holding only if the state it was decided on still
# holds; the storage layer applies them together in one conditional write.


class StartWindow(NamedTuple):
    """The first verification of a new rate-limit window: the count restarts at one."""

    window: int


class CountInWindow(NamedTuple):
    """One more verification in the current window, while the count is below the limit."""

    window: int
    limit: int


class RefillCredits(NamedTuple):
    """A refill is due: the balance becomes `balance` (the refill amount less the cost), once per period."""

    balance: int
    period: datetime


class SpendCredits(NamedTuple):
    """`cost` credits come off the balance, while enough remain (and, with a refill, the period is unchanged)."""

    cost: int
    refilled_in: datetime | None = None


# How credits move between the shards of a split key (storage/key_counters.py), each on the state it was decided on.


class Refilled(NamedTuple):
    """A shard still due for the refill of `period` is refilled as it moves: its balance becomes `balance`."""

    balance: int
    period: datetime


class Shifted(NamedTuple):
    """A shard's balance changes by `delta`, never below zero (and, with a refill, while it is in `period`)."""

    delta: int
    period: datetime | None


class CounterChanges(NamedTuple):
    rate_limit: StartWindow | CountInWindow | None = None
    credits: RefillCredits | SpendCredits | None = None
    last_used_at: datetime | None = None

    @property
    def any(self) -> bool:
        return any(change is not None for change in (self.rate_limit, self.credits, self.last_used_at))
