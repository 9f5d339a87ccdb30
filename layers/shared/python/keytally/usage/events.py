"""The events keytally makes: a verification, a request (ingested from a customer's API or served by keytally),
and the request event an authenticated call to keytally's own API leaves, in the organization it acted in — carried
by the verification the call made, when it made one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from keytally.auth import secrets
from keytally.models import Code, RequestSource
from keytally.timeseries.records import LATENCY, Event, EventKind
from keytally.usage.request_scope import RequestScope


def verification_event(
    *,
    event_id: str,
    org_slug: str,
    time: datetime,
    received_at: datetime,
    api_id: str,
    key_id: str,
    identity: str,
    code: Code,
    tags: tuple[str, ...],
    credits: int,
    latency_ms: float,
) -> Event:
    """One verification of a key of an API: its outcome, credits spent and latency."""
    return Event(
        event_id=event_id,
        kind=EventKind.VERIFICATION,
        org_slug=org_slug,
        time=time,
        received_at=received_at,
        dimensions={"api_id": api_id, "key_id": key_id, "identity": identity, "outcome": code.value},
        tags=tags,
        measures={LATENCY: round(latency_ms, 3), "credits": credits},
    )


def request_event(
    *,
    source: RequestSource,
    event_id: str,
    org_slug: str,
    time: datetime,
    received_at: datetime,
    key_id: str,
    endpoint: str,
    method: str,
    status: int,
    ip: str,
    latency_ms: float,
    tags: tuple[str, ...] = (),
    path: str = "",
) -> Event:
    """A request served with a key (or none): ingested from a customer's API, or one of keytally's own. `endpoint` is
    what the views count it under (a route template, when known); `path`, kept with the raw event only, is the path
    it asked for when that differs."""
    return Event(
        event_id=event_id,
        kind=EventKind.REQUEST,
        org_slug=org_slug,
        time=time,
        received_at=received_at,
        dimensions={
            "source": source.value,
            "key_id": key_id,
            "endpoint": endpoint,
            "method": method,
            "ip": ip,
            "status": str(status),
        }
        | ({"path": path} if path else {}),
        tags=tags,
        measures={LATENCY: round(latency_ms, 3)},
    )


def served_request_event(
    scope: RequestScope, event: Mapping[str, Any], status: int, started_at: datetime, latency_ms: float
) -> Event | None:
    """The request event of a call to keytally's own API. An organization's key counts in its organization; a
    user's key in the organization the call reached, if the user may access it (analytics never hold an outsider's
    key). None for an unauthenticated call and for a user's call that reached no one organization (listing the
    user's own keys across organizations)."""
    principal = scope.principal
    if principal is None:
        return None
    org_slug = principal.org_slug or scope.org_slug
    if org_slug is None or not principal.may_access(org_slug):
        return None
    http = event["requestContext"]["http"]
    return request_event(
        source=RequestSource.KEYTALLY,
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


def with_served_request(events: list[Event], served: Event | None) -> list[Event]:
    """What a call leaves: its events and its own request event, which rides on the first of its verifications that
    may carry it (so a verify call is one stored item), or else goes as an event of its own."""
    if served is None:
        return events
    for index, event in enumerate(events):
        if (carrier := event.carrying(served)) is not None:
            return [*events[:index], carrier, *events[index + 1 :]]
    return [*events, served]
