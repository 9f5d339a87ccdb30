"""The `request` event an authenticated call to keytally's own API leaves, in the organization it acted in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from keytally.auth import secrets
from keytally.request_scope import RequestScope
from keytally.timeseries.records import Event, request_event


def request_event_of(scope: RequestScope, event: Mapping[str, Any], status: int, started_at: datetime,
                     latency_ms: float) -> Event | None:
    """An organization's key counts in its organization; a user's key in the organization the call reached, if the
    user may access it (analytics never hold an outsider's key). None for an unauthenticated call and for a user's
    call that reached no one organization (listing the user's own keys across organizations)."""
    principal = scope.principal
    if principal is None:
        return None
    org_slug = principal.org_slug or scope.org_slug
    if org_slug is None or not principal.may_access(org_slug):
        return None
    http = event["requestContext"]["http"]
    return request_event(
        event_id=secrets.new_id("ev_"),
        org_slug=org_slug,
        time=started_at,
        received_at=started_at,
        key_id=principal.credential_id,
        endpoint=event["routeKey"].partition(" ")[2],  # the route's template, e.g. /v1/api_keys/{api_key_id}
        method=http["method"],
        status=status,
        ip=http["sourceIp"],
        latency_ms=latency_ms,
    )
