"""The stored entities: organizations, users, memberships, API keyspaces and keys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from keytally.auth.scopes import Role, Scope
from keytally.auth.secrets import KeyKind


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
    created_time: datetime


class Membership(Entity):
    org_slug: str
    user_id: str
    role: Role
    is_active: bool = True


class Keyspace(Entity):
    """An API (Unkey's term) inside which an organization issues product keys."""

    api_id: str
    org_slug: str
    name: str
    created_time: datetime


class Refill(Entity):
    """Unkey's refill: at the start of each interval the balance is replaced by `amount` (never added to)."""

    interval: Literal["daily", "monthly"]
    amount: int


class ProductRateLimit(Entity):
    """Unkey's per-key rate limit: at most `limit` valid verifications per `duration` milliseconds."""

    limit: int
    duration: int


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
    # product keys only
    api_id: str | None = None
    external_id: str | None = None
    permissions: tuple[str, ...] = ()
    remaining: int | None = None  # credits; None is unlimited
    refill: Refill | None = None
    last_refill_at: datetime | None = None
    ratelimit: ProductRateLimit | None = None
    ratelimit_window: int | None = None  # the fixed window the count belongs to: epoch ms // duration
    ratelimit_count: int = 0


class UserWithMemberships(Entity):
    user: User
    memberships: tuple[Membership, ...] = ()

    def role_in(self, org_slug: str) -> Role | None:
        for membership in self.memberships:
            if membership.org_slug == org_slug and membership.is_active:
                return membership.role
        return None
