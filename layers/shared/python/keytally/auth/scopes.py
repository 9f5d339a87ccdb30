"""Scopes a key may hold and what each organization role grants."""

from __future__ import annotations

import enum


class Scope(str, enum.Enum):
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"
    ANALYTICS_READ = "analytics:read"
    METRICS_READ = "metrics:read"
    EVENTS_WRITE = "events:write"
    KEYS_VERIFY = "keys:verify"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)


class Role(str, enum.Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


# Owners may do everything, admins everything but read the Prometheus export (owners only, as ShellUI),
# members may read analytics and verify keys but not see or manage keys.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: ALL_SCOPES,
    Role.ADMIN: ALL_SCOPES - {Scope.METRICS_READ},
    Role.MEMBER: frozenset({Scope.ANALYTICS_READ, Scope.KEYS_VERIFY}),
}
