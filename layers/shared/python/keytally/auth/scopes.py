"""What each organization role grants."""

from __future__ import annotations

from keytally.models import ALL_SCOPES, Role, Scope

# Owners may do everything, admins everything but read the Prometheus export (owners only, as ShellUI),
# members may read analytics, verify keys and see their team, but not see or manage keys nor change the team.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: ALL_SCOPES,
    Role.ADMIN: ALL_SCOPES - {Scope.METRICS_READ},
    Role.MEMBER: frozenset({Scope.ANALYTICS_READ, Scope.KEYS_VERIFY, Scope.MEMBERS_READ}),
}
