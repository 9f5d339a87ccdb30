"""Standalone rate limiting (Unkey's ratelimit.limit): may `identifier` spend `cost` in a window of `duration` ms
holding `limit`, in a namespace of the caller's organization? Fixed windows (epoch ms // duration, as a product key's
rate limit), exact under concurrency (storage/identifier_limits.py).

The namespace is the caller's organization's (access.root_organization: Unkey's request has no field naming one).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from keytally.access import root_organization
from keytally.auth.principal import Principal
from keytally.models import Scope
from keytally.storage import identifier_limits


class Limited(NamedTuple):
    success: bool
    limit: int
    remaining: int
    reset: int  # Unix ms when the window ends


def limit(
    principal: Principal, namespace: str, identifier: str, limit: int, duration: int, cost: int, now: datetime
) -> Limited:
    """Counts `cost` if it fits (a cost above the limit never fits: it counts nothing)."""
    org_slug = root_organization(principal, Scope.KEYS_VERIFY)
    window = int(now.timestamp() * 1000) // duration
    reset = (window + 1) * duration
    fits = cost <= limit
    counted, used = identifier_limits.count(org_slug, namespace, identifier, window, reset, cost if fits else 0, limit)
    return Limited(counted and fits, limit, max(0, limit - used), reset)
