"""What each organization role grants."""

from __future__ import annotations

from keytally.models import ALL_SCOPES, Role, Scope

# Owners may do everything, admins everything but read the Prometheus export (owners only, as ShellUI),
# members may read analytics, verify keys and see their team, but not see or manage keys nor change the team.
# What a read-only token may use: the scopes of routes that only read (GET, HEAD, and ChainPatrol's query POST)
READ_SCOPES = frozenset({Scope.KEYS_READ, Scope.ANALYTICS_READ, Scope.METRICS_READ, Scope.MEMBERS_READ})

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: ALL_SCOPES,
    Role.ADMIN: ALL_SCOPES - {Scope.METRICS_READ},
    Role.MEMBER: frozenset({Scope.ANALYTICS_READ, Scope.KEYS_VERIFY, Scope.MEMBERS_READ}),
}
