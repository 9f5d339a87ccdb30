"""Standalone rate limiting (Unkey's ratelimit.limit): may `identifier` spend `cost` in a window of `duration` ms
holding `limit`, in a namespace of the caller's organization? Fixed windows (epoch ms // duration, as a product key's
rate limit), exact under concurrency (storage/identifier_limits.py).

The caller's organization is its credential's, or the one organization where a user's credential may verify keys;
a user in several has to use an organization key (the request cannot name one: Unkey's has no field for it).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from keytally.access import organization_for
from keytally.auth.principal import Principal
from keytally.errors import Forbidden
from keytally.models import Scope
from keytally.storage import identifier_limits


class Limited(NamedTuple):
    success: bool
    limit: int
    remaining: int
    reset: int  # Unix ms when the window ends


def organization_of(principal: Principal) -> str:
    slug = principal.org_slug
    if slug is None:
        orgs = principal.member_orgs_with(Scope.KEYS_VERIFY)
        if len(orgs) != 1:
            raise Forbidden(
                "This root key acts in several organizations (or none) and a rate limit names none: "
                "use an organization key."
            )
        slug = orgs[0]
    return organization_for(principal, slug, Scope.KEYS_VERIFY)


def limit(
    principal: Principal, namespace: str, identifier: str, limit: int, duration: int, cost: int, now: datetime
) -> Limited:
    """Counts `cost` if it fits (a cost above the limit never fits: it counts nothing)."""
    org_slug = organization_of(principal)
    window = int(now.timestamp() * 1000) // duration
    reset = (window + 1) * duration
    fits = cost <= limit
    counted, used = identifier_limits.count(org_slug, namespace, identifier, window, reset, cost if fits else 0, limit)
    return Limited(counted and fits, limit, max(0, limit - used), reset)
