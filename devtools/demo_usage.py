"""Thirty days of plausible usage for a demo organization: verifications of its product keys and request logs of
its API, busier in the working hours of the day, as if each had arrived when it happened."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from keytally.models import Code, KeyRecord, RequestSource
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event, EventKind
from keytally.usage.events import request_event, verification_event

HISTORY = timedelta(days=30)
OUTCOMES = {
    Code.VALID: 86,
    Code.RATE_LIMITED: 5,
    Code.USAGE_EXCEEDED: 3,
    Code.NOT_FOUND: 2,
    Code.FORBIDDEN: 1,
    Code.DISABLED: 1,
    Code.EXPIRED: 1,
    Code.INSUFFICIENT_PERMISSIONS: 1,
}
TAGS = (("path:/checkout",), ("path:/search",), ("path:/search", "plan:pro"), ())
ENDPOINTS = {
    ("GET", "/v1/orders"): 40,
    ("GET", "/v1/orders/{id}"): 30,
    ("POST", "/v1/orders"): 15,
    ("DELETE", "/v1/orders/{id}"): 5,
    ("POST", "/v1/reports"): 3,  # slow: hundreds of ms, now and then seconds
    ("GET", "/v1/health"): 10,  # probes, made with no key
}
UNKEYED = "/v1/health"
MEDIAN_LATENCY_MS = {"GET": 33, "DELETE": 67, "POST": 67, "/v1/reports": 600}
STATUSES = {200: 85, 201: 4, 400: 4, 404: 3, 429: 2, 500: 2}
CLIENTS = ("198.51.100.23", "198.51.100.87", "203.0.113.9", "203.0.113.54", "2001:db8::17")


def history(
    org_slug: str,
    api_id: str,
    keys: list[KeyRecord],
    now: datetime,
    *,
    per_hour: float = 2.0,
    kinds: tuple[EventKind, ...] = tuple(EventKind),
) -> list[Event]:
    """About `per_hour` events of each kind an hour on average over the 30 days before the current hour,
    reproducible for the same organization and hour."""
    events: list[Event] = []
    first = Granularity.HOUR.floor(now - HISTORY)
    for hour in Granularity.HOUR.starts(first, Granularity.HOUR.floor(now)):
        rng = random.Random(f"{org_slug}/{hour.isoformat()}")
        busy = 1 + 0.8 * math.sin((hour.hour - 9) / 24 * 2 * math.pi)  # peaks mid-afternoon UTC
        for kind in kinds:
            for n, time in enumerate(_arrivals(rng, hour, per_hour * busy)):
                event_id = f"demo_{kind.value}_{hour:%Y%m%d%H}_{n}"
                key = rng.choice(keys)
                if kind is EventKind.VERIFICATION:
                    events.append(_verification(rng, event_id, org_slug, api_id, key, time))
                else:
                    events.append(_request(rng, event_id, org_slug, key, time))
    return events


def _verification(
    rng: random.Random, event_id: str, org_slug: str, api_id: str, key: KeyRecord, time: datetime
) -> Event:
    outcome = rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0]
    known = outcome is not Code.NOT_FOUND
    return verification_event(
        event_id=event_id,
        org_slug=org_slug,
        time=time,
        received_at=time,
        api_id=api_id,
        key_id=key.api_key_id if known else "",
        identity=(key.external_id or "") if known else "",
        code=outcome,
        tags=rng.choice(TAGS),
        credits=1 if outcome is Code.VALID else 0,
        latency_ms=rng.lognormvariate(1.6, 0.5),
    )


def _request(rng: random.Random, event_id: str, org_slug: str, key: KeyRecord, time: datetime) -> Event:
    method, endpoint = rng.choices(list(ENDPOINTS), weights=list(ENDPOINTS.values()))[0]
    status = rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0]
    return request_event(
        source=RequestSource.INGESTED,
        event_id=event_id,
        org_slug=org_slug,
        time=time,
        received_at=time,
        key_id="" if endpoint == UNKEYED else key.api_key_id,
        endpoint=endpoint,
        method=method,
        status=status,
        ip=rng.choice(CLIENTS),
        latency_ms=rng.lognormvariate(math.log(MEDIAN_LATENCY_MS.get(endpoint) or MEDIAN_LATENCY_MS[method]), 0.6),
    )


def _arrivals(rng: random.Random, hour: datetime, mean: float) -> list[datetime]:
    """Times of a Poisson process with `mean` arrivals in the hour (exponential gaps)."""
    times, offset = [], rng.expovariate(mean / 3600)
    while offset < 3600:
        times.append(hour + timedelta(seconds=offset))
        offset += rng.expovariate(mean / 3600)
    return times
