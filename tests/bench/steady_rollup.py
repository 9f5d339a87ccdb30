"""`make bench`, steady rollup: what the rollup writes per event as the dispatcher runs it — every five minutes —
at shape (b) of the cost work: 100 keys, 40 endpoints, 2,000 client IPs, 0.8 ingested requests and 0.2
verifications a second. Rows and write units (one per started KB of each item, DynamoDB's rule) per event, by
granularity and by view; and what the rollup adds to the $ per million events: its writes, its reads (raw events,
rows it merges), and storage with point-in-time recovery for a year (raw events 35 days, five-minute rows 7, hour
rows of per-value views 90, the rest kept). The time series live in the in-memory store; items are sized as the
DynamoDB store writes them. Left out: the rollup worker's and dispatcher's Lambda invocations and duration, their
logs and traces (section 18 counts them).
Alone: `make bench ONLY=steady-rollup`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import traffic
from pipeline import PRICE, item_bytes
from traffic import B
from volume import Sized, Volume, heading

from devtools.memory_store import MemoryStore, installed
from keytally import rollup
from keytally.models import Organization
from keytally.storage import events as raw
from keytally.storage import rollups
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event
from keytally.timeseries.rows import Row

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WARM_UP = timedelta(hours=2)
MEASURED = Sized(quick=timedelta(hours=3), full=timedelta(hours=26))  # full: a day closes in it
CADENCE = timedelta(minutes=5)
VIEWS_SHOWN = 12
STORAGE_GB_MONTH, PITR_GB_MONTH = 0.25, 0.20  # DynamoDB Standard, us-east-1
KEPT_MONTHS = {  # a year of keeping
    "raw": 35 / 30.4,
    "five_minutes (7 days)": 7 / 30.4,
    "hour (90 days)": 90 / 30.4,
    "hour": 12,
    "day": 12,
    "month": 12,
}


def kind_of(view: str) -> str:
    """The kind of event a view counts: `request` of `request/key.ips`, `verification` of `verification.total`."""
    return re.split(r"[/.]", view, maxsplit=1)[0]


class Metered(MemoryStore):
    """The memory store, counting while `counting` the rows it is given to write, their bytes and write units, the
    rows it hands back and the raw events read (by bucket)."""

    def __init__(self) -> None:
        super().__init__()
        self.counting = False
        self.rows_put: Counter[str] = Counter()
        self.bytes_put: Counter[tuple[str, str]] = Counter()  # (kind, granularity and retention) -> bytes written
        self.units: Counter[tuple[str, str]] = Counter()  # (view, granularity) -> write units

    def put_rows(
        self, granularity: Granularity, rows: Mapping[str, Mapping[datetime, list[Row]]], *, as_of: datetime
    ) -> None:
        if self.counting:
            for pk, by_bucket in rows.items():
                for bucket, bucket_rows in by_bucket.items():
                    for row in bucket_rows:
                        kept = rollups.retention_of(granularity, pk)
                        item = rollups.to_item(pk, bucket, row, as_of, kept=kept)
                        self.rows_put[granularity.value] += 1
                        retention = f"{granularity.value} ({kept.days} days)" if kept else granularity.value
                        self.bytes_put[(kind_of(rollups.view_name_of(pk)), retention)] += item_bytes(item)
                        self.units[(rollups.view_name_of(pk), granularity.value)] += math.ceil(item_bytes(item) / 1024)
        super().put_rows(granularity, rows, as_of=as_of)


def run(volume: Volume) -> None:
    measured = MEASURED.at(volume)
    print(
        heading(
            16,
            f"The rollup every five minutes at {B.keys} keys, {B.endpoints} endpoints, {B.client_ips:,} client IPs,"
            f" {B.requests_per_second} ingested requests and {B.verifications_per_second} verifications a second:"
            f" what it writes per event, after {WARM_UP.total_seconds() / 3600:.0f} hours of warm-up",
            volume,
            {"measured": Sized(quick="3 hours", full="26 hours")},
        )
    )
    made = traffic.events(B, "bench-org", "api_bench", START, int((WARM_UP + measured).total_seconds()))
    organization = Organization(slug="bench-org", name="bench-org", created_time=START - timedelta(days=1))
    with installed(Metered()) as store:
        store.put_events(made)
        events_read, rows_read, _ = roll_up_steadily(store, organization, START, START + WARM_UP + measured, WARM_UP)
    events = sum(START + WARM_UP <= event.time < START + WARM_UP + measured for event in made)
    units_by_granularity: Counter[str] = Counter()
    units_by_view: Counter[str] = Counter()
    for (view, granularity), units in store.units.items():
        units_by_granularity[granularity] += units
        units_by_view[view] += units
    total_units, total_rows = sum(store.units.values()), sum(store.rows_put.values())
    print(
        f"   {events:,} events in the measured span: {total_rows:,} rows = {total_rows / events:.2f} an event,"
        f" {total_units:,} write units = {total_units / events:.2f} an event"
    )
    for granularity, units in units_by_granularity.most_common():
        print(f"     {granularity:<13} {units / events:5.2f} write units an event ({100 * units / total_units:3.0f}%)")
    print(f"   the {VIEWS_SHOWN} views that write most:")
    for view, units in units_by_view.most_common(VIEWS_SHOWN):
        print(f"     {view:<28} {units / events:5.2f} write units an event")
    dollars(made, events, events_read, rows_read, store)


def roll_up_steadily(
    store: Metered, organization: Organization, start: datetime, end: datetime, warm_up: timedelta
) -> tuple[int, int, int]:
    """Rolls the organization up every CADENCE from `start` to `end`, as the dispatcher does; counts from
    `start + warm_up` on: (raw events read, rows read, runs)."""
    events_read = rows_read = runs = 0
    moment = start + rollup.INDEX_LAG
    while moment <= end:
        store.counting = moment > start + warm_up
        rows_before = store.rows_read
        report = rollup.roll_up_org(organization, moment)
        if store.counting:
            events_read += report.events_read
            rows_read += store.rows_read - rows_before
            runs += 1
        moment += CADENCE
    return events_read, rows_read, runs


def dollars(made: list[Event], events: int, events_read: int, rows_read: int, store: Metered) -> None:
    """What the rollup adds per million events, by component."""
    event_bytes = sum(item_bytes(raw.to_item(event, store.schedule_of("bench-org"))) for event in made) / len(made)
    row_bytes = sum(store.bytes_put.values()) / max(sum(store.rows_put.values()), 1)
    bytes_by_granularity: Counter[str] = Counter()
    for (_, granularity), size in store.bytes_put.items():
        bytes_by_granularity[granularity] += size
    per_million = 1_000_000 / events
    writes = sum(store.units.values()) * per_million * PRICE["write_unit"] / 1e6
    reads = (events_read * event_bytes + rows_read * row_bytes) / 4096 / 2 * per_million * PRICE["read_unit"] / 1e6
    stored = {"raw": events * event_bytes, **bytes_by_granularity}
    gb_months = sum(size * KEPT_MONTHS[kind] for kind, size in stored.items()) * per_million / 1e9
    storage = gb_months * (STORAGE_GB_MONTH + PITR_GB_MONTH)
    print(
        f"   the rollup per million events: ${writes + reads + storage:.3f} = writes ${writes:.3f} + reads ${reads:.3f}"
        f" ({events_read / events:.2f} raw events of {event_bytes:.0f} B and {rows_read / events:.2f} rows an event)"
        f" + storage and point-in-time recovery for a year ${storage:.3f}"
        f" ({', '.join(f'{kind} {size * per_million / 1e9:.3f} GB' for kind, size in stored.items())} a million"
        f" events; kept as named, the rest 12 months of the year)"
    )
