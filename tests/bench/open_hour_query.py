"""`make bench`, a query ending now: verifications arriving steadily for the last 90 minutes, rolled up as the
scheduled rollup leaves them, then GET /v1/analytics/verifications for the last hour. The raw events it reads are
those since the five minutes the watermark is in, however far into the hour it is: the closed five minutes of the
open hour are read as rows.
Alone: `make bench ONLY=open-hour`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline import Tenant, call, item_bytes, measure, metered, roll_up
from verdicts import verdict
from volume import Sized, Volume, heading

from devtools.template import Template
from keytally.analytics.query import TAIL_PAGES
from keytally.models import Code, RequestSource
from keytally.rollup import INDEX_LAG
from keytally.storage import events as raw
from keytally.storage import rollups
from keytally.timeseries.records import RAW_BUCKET, Event
from keytally.timeseries.shards import ShardSchedule
from keytally.usage.events import request_event, verification_event, with_served_request

RATE = Sized(quick=1, full=2)  # verifications a second, steady (moto stores and rolls up ~700 and ~180 events a second)
HISTORY = timedelta(minutes=90)
SCHEDULE = timedelta(seconds=next(iter(Template().schedules())).every_seconds)  # the rollup dispatcher's rate
PRODUCTION_RATE = 100  # events a second per organization, for the bound on paper


def steady_verifications(tenant: Tenant, end: datetime, *, rate: float, span: timedelta) -> list[Event]:
    """`rate` valid verifications a second of the tenant's keys, on time, for `span` before `end`."""
    count = int(span.total_seconds() * rate)
    return [
        verification_event(
            event_id=f"steady{n:07d}",
            org_slug=tenant.org_slug,
            time=(at := end - span + timedelta(seconds=n / rate)),
            received_at=at,
            api_id=tenant.api_id,
            key_id=tenant.products[n % len(tenant.products)].api_key_id,
            identity="",
            code=Code.VALID,
            tags=(),
            credits=1,
            latency_ms=5.0,
        )
        for n in range(count)
    ]


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    print(
        heading(
            12,
            f"A query ending now: steady verifications for {HISTORY.total_seconds() / 60:.0f} minutes, rolled up",
            volume,
            {"verifications/s": RATE},
        )
    )
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    events = steady_verifications(tenant, now, rate=RATE.at(volume), span=HISTORY)
    assert raw.put_events(events) == []
    roll_up(tenant.org_slug, now)
    watermark = rollups.get_watermark(tenant.org_slug)
    assert watermark is not None
    open_from = RAW_BUCKET.floor(watermark)
    start = int((now - timedelta(hours=1)).timestamp() * 1000)
    path = f"/v1/analytics/verifications?apiId={tenant.api_id}&start={start}"
    counted = measure(meter, call, tenant.client, "GET", path, tenant.org_key)[0]["total"]
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    raw_items = sum(1 for event in events if event.time >= open_from)
    in_open_hour = sum(1 for event in events if event.time >= this_hour)
    expected = sum(1 for event in events if event.time >= this_hour - timedelta(hours=1))
    print(
        f"   watermark {watermark:%H:%M:%S} (now {now:%H:%M:%S}); raw tail from {open_from:%H:%M}: {raw_items} events"
        f" (the open hour holds {in_open_hour}, all of which a query read before the five-minute rows)"
    )
    print(f"   query: {meter.total} requests, {meter.items_read} items read; counts {counted} of {expected}")
    print("\n".join(meter.lines()))
    worst = RAW_BUCKET.next(open_from) - open_from + INDEX_LAG + SCHEDULE
    minutes = {name: span.total_seconds() / 60 for name, span in (("lag", INDEX_LAG), ("schedule", SCHEDULE))}
    items = PRODUCTION_RATE * worst.total_seconds()
    pages = items * _verify_call_item_bytes(events[-1]) / 2**20
    within = verdict(
        pages <= TAIL_PAGES, f"raw tail at {PRODUCTION_RATE}/s <= the {TAIL_PAGES}-page tail budget", f"{pages:.1f} MB"
    )
    exact = verdict(counted == expected, "the last hour's verifications counted exactly", f"{counted} of {expected}")
    print(
        f"   bound on the raw tail: one five-minute bucket + the rollup's lag {minutes['lag']:.0f} min + its schedule"
        f" {minutes['schedule']:.0f} min = {worst.total_seconds() / 60:.0f} minutes of events, whatever the hour: at"
        f" {PRODUCTION_RATE}/s, {items:,.0f} items (was up to an hour: {PRODUCTION_RATE * 3600:,}), {pages:.1f} MB"
        f" as verify calls store them    within the {TAIL_PAGES}-page tail budget  {within}; exact  {exact}"
    )


def _verify_call_item_bytes(verification: Event) -> int:
    """The size of a verify call's stored item: its verification carrying the call's request event."""
    served = request_event(
        source=RequestSource.KEYTALLY,
        event_id=f"{verification.event_id}-request",
        org_slug=verification.org_slug,
        time=verification.time,
        received_at=verification.received_at,
        key_id="ak_" + "x" * 22,
        endpoint="/v1/keys/verify",
        method="POST",
        status=200,
        ip="203.0.113.9",
        latency_ms=12.5,
    )
    (carrier,) = with_served_request([verification], served)
    return item_bytes(raw.to_item(carrier, ShardSchedule()))
