"""What each organization role grants."""

from __future__ import annotations

from keytally.models import ALL_SCOPES, Role, Scope

# Owners may do everything, admins everything but read the Prometheus export (owners only, as ShellUI),
# members may read analytics and verify keys but not see or manage keys.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: ALL_SCOPES,
    Role.ADMIN: ALL_SCOPES - {Scope.METRICS_READ},
    Role.MEMBER: frozenset({Scope.ANALYTICS_READ, Scope.KEYS_VERIFY}),
}
