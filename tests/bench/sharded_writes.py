"""`make bench`, raw writes past one partition: an organization whose busiest five minutes ran at 2,000 verifications
a second gets the shards the rule gives, and the events after the step spread over them — each partition taking
what one partition can (1,000 write units a second). Then the read of those events, merged across the shards.
Alone: `make bench ONLY=sharded-writes`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from open_hour_query import steady_verifications
from pipeline import Tenant, measure, metered
from verdicts import verdict
from volume import Volume, heading

from devtools.template import Template
from keytally.settings import get_settings
from keytally.storage import events as raw
from keytally.storage import raw_shards
from keytally.storage.dynamodb import table
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind
from keytally.timeseries.shards import shards_for

RATE, SPAN = 2000, timedelta(seconds=2)  # verifications a second, for two seconds after the step
PARTITION_WRITES = 1000  # write units a second one partition takes


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    print(
        heading(
            13,
            f"Raw writes past one partition: {RATE:,} verifications/s from one organization for"
            f" {SPAN.total_seconds():.0f} s",
            volume,
        )
    )
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    step = raw_shards.grow(tenant.org_slug, shards_for(RATE), now)
    assert step is not None
    events = steady_verifications(tenant, step.effective_from + SPAN, rate=RATE, span=SPAN)
    assert raw.put_events(events) == []
    items = table(get_settings().events_table).scan()["Items"]
    per_partition = Counter(item["pk"] for item in items if item.get("kind") == EventKind.VERIFICATION.value)
    busiest = max(per_partition.values()) / SPAN.total_seconds()  # events a second into the busiest partition
    judged = verdict(
        busiest <= PARTITION_WRITES, f"writes a second into one partition <= {PARTITION_WRITES:,}", f"{busiest:,.0f}"
    )
    print(
        f"   rule: {shards_for(RATE)} shards (one per 500 events/s, a power of two), from {step.effective_from:%H:%M}"
        f" (at least an hour's notice); {len(events):,} events over {len(per_partition)} partitions, the busiest"
        f" taking {busiest:,.0f}/s    target <= {PARTITION_WRITES:,}/s  {judged}"
    )
    hour = Granularity.HOUR.floor(step.effective_from)
    read = measure(meter, list, raw.events_in_buckets(tenant.org_slug, EventKind.VERIFICATION, [hour]))
    print(f"   read back merged in time order: {len(read):,} events, {meter.total} requests")
    print("\n".join(meter.lines()))
