"""`make bench`, cardinality: what one analytics call reads when an organization has the demo's handful of keys,
endpoints and client IPs, and when it has thousands — the same number of events per key and day at both, so only
the number of values differs. Counts, not timings.

The time series live in the in-memory store (devtools/memory_store.py), which counts the rollup rows a call reads
and the Query pages they take (moto rolls up about 130 rows a second: a wide shape would take hours); the
organization, its keys and the call's own requests are in moto, metered as everywhere else.
Alone: `make bench ONLY=cardinality`.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import traffic
from pipeline import Tenant, metered, roll_up
from traffic import Shape
from verdicts import verdict
from volume import Sized, Volume, heading

from devtools.memory_store import MemoryStore, installed
from devtools.template import Template
from keytally.models import Code
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event

DAYS = 29  # the 30 days of api_key_metrics_30d
DEMO = (20, 30, 500)  # keys, endpoints, client IPs
WIDE = Sized(quick=(800, 400, 2_000), full=(3_200, 2_000, 20_000))
READ_RATIO_TARGET = 2.0  # the issue's: every read at a wide shape at most twice the demo shape's


def events(org_slug: str, api_id: str, shape: tuple[int, int, int], now: datetime) -> list[Event]:
    """Each key: one ingested request and one verification a day for DAYS days, from a random endpoint and IP."""
    keys, endpoints, ips = shape
    drawn = Shape(
        "cardinality", keys, endpoints, ips, identities=keys, requests_per_second=0, verifications_per_second=0
    )
    rng = random.Random(keys)
    first = Granularity.DAY.floor(now) - timedelta(days=DAYS)
    made: list[Event] = []
    for day in range(DAYS):
        for key in range(keys):
            moment = first + timedelta(days=day, seconds=rng.uniform(0, 86_399))
            made.append(traffic.request(rng, drawn, org_slug, moment, f"r{day:02d}{key:05d}", key))
            made.append(
                traffic.verification(rng, drawn, org_slug, api_id, moment, f"v{day:02d}{key:05d}", key, Code.VALID)
            )
    return made


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    print(
        heading(
            15,
            f"One analytics call at the demo's shape ({DEMO[0]} keys, {DEMO[1]} endpoints, {DEMO[2]} client IPs) and"
            f" at a wide one, {DAYS} days of one request and one verification per key a day at both",
            volume,
            {"keys, endpoints, client IPs at the wide shape": WIDE},
        )
    )
    reads: dict[str, list[int]] = {}
    for shape in (DEMO, WIDE.at(volume)):
        now = datetime.now(UTC)
        tenant = Tenant.create(template, now)
        made = events(tenant.org_slug, tenant.api_id, shape, now)
        with installed(MemoryStore()) as memory:
            memory.put_events(made)
            started = time.perf_counter()
            report = roll_up(tenant.org_slug, now)
            print(
                f"\n   {shape[0]:,} keys, {shape[1]:,} endpoints, {shape[2]:,} client IPs: {len(made):,} events; rollup"
                f" wrote {sum(report.buckets_written.values()):,} buckets of partitions"
                f" ({report.buckets_written['hour']:,} of hours), {time.perf_counter() - started:.0f} s in memory"
            )
            hour_ago = int((now - timedelta(hours=1)).timestamp() * 1000)
            for label, path, query in (
                ("requests, the last hour", "/v1/analytics/api_keys", {"start": hour_ago}),
                ("requests, 24 hours (the default)", "/v1/analytics/api_keys", {}),
                ("requests, one key, 24 hours", "/v1/analytics/api_keys", {"apiKeyId": "ak_0000000"}),
                ("verifications, 30 days (the default)", "/v1/analytics/verifications", {"apiId": tenant.api_id}),
                (
                    "verifications, one key, 30 days",
                    "/v1/analytics/verifications",
                    {"apiId": tenant.api_id, "keyId": "ak_0000000"},
                ),
            ):
                meter.reset()
                memory.rows_read = memory.row_pages_read = 0
                response = tenant.client.get(
                    f"{path}?{urlencode(query)}", headers={"Authorization": f"Bearer {tenant.org_key}"}
                )
                reads.setdefault(label, []).append(memory.rows_read)
                print(
                    f"     {label:<38} {response.status_code}  rollup rows {memory.rows_read:6,} in"
                    f" {memory.row_pages_read:3} Query pages; besides: {meter.total:2} DynamoDB requests"
                )
    print()
    for label, (demo, wide) in reads.items():
        ratio = wide / demo if demo else float("inf")
        judged = verdict(
            ratio <= READ_RATIO_TARGET, f"{label}: rows read wide / demo <= {READ_RATIO_TARGET}", f"{ratio:.2f}"
        )
        print(f"   {label:<38} rows read wide / demo {ratio:6.2f}    target <= {READ_RATIO_TARGET}  {judged}")
