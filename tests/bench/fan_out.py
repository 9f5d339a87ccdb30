"""`make bench`, the fanned-out rollup: ORGANIZATIONS organizations, ACTIVE of them verifying RATE times a second.
One five-minute cycle after a first: the dispatcher's requests and messages, each worker run's requests and items,
what the idle organizations cost, and — on paper, from those counts — how many organizations and how many events a
second per organization one cycle handles.
Alone: `make bench ONLY=fan-out`.
"""

from __future__ import annotations

import dataclasses
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from open_hour_query import steady_verifications
from pipeline import Tenant, measure, metered
from pipeline import item_bytes as item_size
from verdicts import verdict
from volume import Volume, heading

from devtools.template import Template
from keytally import admin, rollup
from keytally.storage import events as raw
from keytally.storage import rollup_due
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import RAW_BUCKET, VIEWS, Event, EventKind
from keytally.timeseries.shards import ShardSchedule

ORGANIZATIONS, ACTIVE, RATE = 40, 4, 2  # organizations, those with events, verifications a second each
CYCLE = timedelta(minutes=5)
WORKERS = 10  # the worker's MaximumConcurrency in template.yaml
TIMEOUT_S = 300  # the worker's timeout
REQUEST_MS = 10  # assumed: one DynamoDB request from Lambda, sequential, SDK included
PAGE_MS = 30  # assumed: the transfer of a full 1 MB Query page
CPU_SAMPLE = 20_000  # events aggregated in memory to time the worker's CPU per event


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    print(
        heading(
            14, f"Fanned-out rollup: {ORGANIZATIONS} organizations, {ACTIVE} of them at {RATE} verifications/s", volume
        )
    )
    now = RAW_BUCKET.floor(datetime.now(UTC)) + timedelta(minutes=2)  # two minutes into a five-minute bucket
    tenant = Tenant.create(template, now)
    slugs = [tenant.org_slug] + [
        admin.create_organization(f"idle-{n:03d}", None, now - timedelta(days=1)).slug for n in range(ORGANIZATIONS - 1)
    ]
    active = slugs[:ACTIVE]
    for slug in active:
        events = steady_verifications(dataclasses.replace(tenant, org_slug=slug), now, rate=RATE, span=2 * CYCLE)
        admin.load_events(events)
    rollup.dispatch(now - CYCLE)  # the previous cycle: every active organization has a watermark five minutes old
    for slug in active:
        rollup.roll_up_named(slug, now - CYCLE)
    dispatched = measure(meter, rollup.dispatch, now)
    judged = verdict(
        dispatched.organizations == ACTIVE,
        f"messages dispatched == the {ACTIVE} organizations with new events",
        dispatched.organizations,
    )
    print(
        f"   dispatcher: {meter.total} DynamoDB requests ({rollup_due.DUE_PARTITIONS} marker partitions + cursor),"
        f" {dispatched.organizations} messages    target {ACTIVE} (only organizations with new events)"
        f"  {judged}"
    )
    runs = []
    for slug in active:
        run = measure(meter, rollup.roll_up_named, slug, now)
        runs.append((meter.total, meter.items_read, run.events_read if run else 0))
    requests, items, events_read = (max(column) for column in zip(*runs, strict=True))
    print(
        f"   one organization's run: at most {requests} requests, {items} items read, {events_read} events"
        f" ({RATE * CYCLE.total_seconds():.0f} arrive a cycle); idle organizations: no message, no run, 0 requests"
    )
    read_us, count_us, item_bytes, events_bytes, peak_bytes = _cost_per_event(tenant)
    items_per_event = items / events_read  # a verification's item is read for its requests too
    event_s = (items_per_event * (read_us + item_bytes / 2**20 * PAGE_MS * 1000) + count_us) / 1e6
    run_s = requests * REQUEST_MS / 1000 + events_read * event_s
    per_cycle = WORKERS * CYCLE.total_seconds() / run_s
    per_organization = (TIMEOUT_S - requests * REQUEST_MS / 1000) / event_s / CYCLE.total_seconds()
    print(
        f"   on paper, per event: {items_per_event:.1f} items read ({item_bytes:.0f} B each, {PAGE_MS} ms per 1 MB"
        f" page, {read_us:.0f} us each to decode on this machine) + {count_us:.0f} us to count = {event_s * 1e6:.0f}"
        f" us; a run of this cycle ~ {requests} requests x {REQUEST_MS} ms + {events_read} events = {run_s:.2f} s"
    )
    print(
        f"   -> {WORKERS} workers roll up ~{per_cycle:,.0f} such organizations a five-minute cycle; one organization's"
        f" cycle fits the {TIMEOUT_S} s timeout up to ~{per_organization:,.0f} events/s of one kind"
    )
    print(
        f"   memory: counting {CPU_SAMPLE:,} events held at most {peak_bytes / 2**10:,.0f} KB of rows (the events"
        f" themselves {events_bytes / 2**20:.1f} MB: they stream by, an hour is never held)"
    )


def _cost_per_event(tenant: Tenant) -> tuple[float, float, float, float, float]:
    """The worker's cost of CPU_SAMPLE verifications, no I/O: microseconds of CPU to decode one item as a Query
    returns it (TypeDeserializer, then the Event) and to count one event into every view's hour rows (timed without
    tracing); an item's bytes; the memory the events take, and the most the rollup held while counting them."""
    tracemalloc.start()
    events = steady_verifications(tenant, datetime.now(UTC), rate=100, span=timedelta(seconds=CPU_SAMPLE / 100))
    events_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    _roll_up_in_memory(events)
    peak_bytes = tracemalloc.get_traced_memory()[1] - events_bytes
    tracemalloc.stop()
    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    items = [raw.to_item(event, ShardSchedule()) for event in events]
    wire = [{name: serializer.serialize(value) for name, value in item.items()} for item in items]
    started = time.process_time()
    for stored in wire:
        raw.from_item({name: deserializer.deserialize(value) for name, value in stored.items()})
    read_us = (time.process_time() - started) / len(events) * 1e6
    started = time.process_time()
    _roll_up_in_memory(events)
    count_us = (time.process_time() - started) / len(events) * 1e6
    item_bytes = sum(map(item_size, items)) / len(items)
    return read_us, count_us, item_bytes, events_bytes, peak_bytes


def _roll_up_in_memory(events: list[Event]) -> None:
    wanted = {RAW_BUCKET: set(), Granularity.HOUR: {Granularity.HOUR.floor(event.time) for event in events}}
    assert list(rollup._bucket_rows(events, VIEWS[EventKind.VERIFICATION], wanted, rollup.RollupReport("cpu")))
