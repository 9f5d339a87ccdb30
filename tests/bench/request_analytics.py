"""`make bench`, request analytics: what a 30-day GET /v1/analytics/api_keys reads after rollup at two volumes of
the same keys, endpoints and client IPs (DynamoDB requests, items and bytes by DynamoDB's item-size rule), and what
the rollup writes for them. Counts, not timings.
Alone: `make bench ONLY=request-analytics`.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from pipeline import VOLUME_RATIO_TARGET, Tenant, call, measure, metered, roll_up
from verdicts import verdict
from volume import Sized, Volume, heading

from devtools.template import Template
from keytally import admin
from keytally.api_keys.models import CreateApiKey
from keytally.models import RequestSource
from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event
from keytally.usage.events import request_event

KEYS, ENDPOINTS, CLIENT_IPS = 20, 30, 500
STORED_VOLUMES = Sized(quick=(500, 1_000), full=(10_000, 200_000))  # requests stored over the 30 days
HISTORY = timedelta(days=30)
STATUSES = (200,) * 40 + (201,) * 5 + (400, 404, 404, 429, 500)


def requests(org_slug: str, key_ids: list[str], count: int, now: datetime) -> list[Event]:
    """`count` ingested requests spread evenly at random over the 30 days before the current hour."""
    rng = random.Random(count)
    first = Granularity.HOUR.floor(now - HISTORY)
    span = (Granularity.HOUR.floor(now) - first).total_seconds()
    return [
        request_event(
            source=RequestSource.INGESTED,
            event_id=f"bench_{n:07d}",
            org_slug=org_slug,
            time=(moment := first + timedelta(seconds=rng.uniform(0, span))),
            received_at=moment,
            key_id=rng.choice(key_ids),
            endpoint=f"/v1/resource{rng.randrange(ENDPOINTS):02d}/{{id}}",
            method=rng.choice(("GET", "GET", "POST")),
            status=rng.choice(STATUSES),
            ip=f"198.51.{(client := rng.randrange(CLIENT_IPS)) // 250}.{client % 250 + 1}",
            latency_ms=round(rng.lognormvariate(4, 0.9), 3),
        )
        for n in range(count)
    ]


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    volumes = STORED_VOLUMES.at(volume)
    print(
        heading(
            7,
            f"A 30-day GET /v1/analytics/api_keys after rollup, by stored volume ({KEYS} keys, {ENDPOINTS} endpoints,"
            f" {CLIENT_IPS} client IPs at both)",
            volume,
            {"requests stored": STORED_VOLUMES},
        )
    )
    measured: dict[int, tuple[int, int]] = {}
    for stored in volumes:
        now = datetime.now(UTC)
        tenant = Tenant.create(template, now)
        key_ids = [
            admin.create_key(CreateApiKey(description=f"service {n}"), now, org_slug=tenant.org_slug)[0].api_key_id
            for n in range(KEYS)
        ]
        events = requests(tenant.org_slug, key_ids, stored, now)
        assert raw.put_events(events) == []
        started = time.perf_counter()
        rollup = measure(meter, roll_up, tenant.org_slug, now)
        rolled, rollup_requests = time.perf_counter() - started, meter.total
        first_hour = Granularity.HOUR.floor(now - HISTORY)
        window = f"start={int(first_hour.timestamp() * 1000)}&end={int(Granularity.HOUR.floor(now).timestamp() * 1000)}"
        answer = measure(meter, call, tenant.client, "GET", f"/v1/analytics/api_keys?{window}", tenant.org_key)
        measured[stored] = (meter.items_read, meter.bytes_read)
        print(f"\n   {stored:>7} requests stored")
        print(
            f"     rollup: {rollup_requests} DynamoDB requests, buckets written {dict(rollup.buckets_written)},"
            f" {rolled:.0f} s on moto"
        )
        print(
            f"     query: {meter.total} requests, {meter.items_read:,} items, {meter.bytes_read:,} bytes read;"
            f" it counts {answer['core_metrics']['total_requests']} requests, {len(answer['ip_metrics'])} top IPs"
        )
        print("\n".join(meter.lines()))
        filtered = f"/v1/analytics/api_keys?{window}&apiKeyId={key_ids[0]}"
        answer = measure(meter, call, tenant.client, "GET", filtered, tenant.org_key)
        print(
            f"     the same filtered by one key: {meter.total} requests, {meter.items_read:,} items,"
            f" {meter.bytes_read:,} bytes; it counts {answer['core_metrics']['total_requests']}"
        )
        answer = measure(
            meter, call, tenant.client, "GET", f"/v1/analytics/api_keys?{window}&latencyTimeline=true", tenant.org_key
        )
        print(
            f"     with latencyTimeline=true (the dashboard's): {meter.total} requests, {meter.items_read:,} items,"
            f" {meter.bytes_read:,} bytes; {len(answer['latency_timeline'])} {answer['latency_slice']} slices"
        )
    small, large = volumes
    items_ratio, bytes_ratio = (
        large_read / small_read for small_read, large_read in zip(measured[small], measured[large], strict=True)
    )
    judged = verdict(
        max(items_ratio, bytes_ratio) <= VOLUME_RATIO_TARGET,
        f"items and bytes read {large:,} / {small:,} requests <= {VOLUME_RATIO_TARGET}",
        f"items {items_ratio:.2f}, bytes {bytes_ratio:.2f}",
    )
    print(
        f"\n   {large} / {small}: items read {items_ratio:.2f}, bytes read {bytes_ratio:.2f}    target <= "
        f"{VOLUME_RATIO_TARGET}  {judged}"
    )
