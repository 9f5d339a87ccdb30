"""`make bench`, a query ending now: verifications arriving steadily for the last 90 minutes, rolled up as the
scheduled rollup leaves them, then GET /v1/analytics/verifications for the last hour. The raw events it reads are
those since the five minutes the watermark is in, however far into the hour it is: the closed five minutes of the
open hour are read as rows. On its own: `.venv/bin/python tests/bench/open_hour_query.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline import Meter, Tenant, call, measure, metered, roll_up, verdict

from devtools.template import Template
from keytally.models import Code
from keytally.rollup import INDEX_LAG
from keytally.storage import events as raw
from keytally.storage import rollups
from keytally.timeseries.records import RAW_BUCKET, Event
from keytally.usage.events import verification_event

RATE = 2  # verifications a second, steady (moto stores and rolls up about 700 and 180 events a second)
HISTORY = timedelta(minutes=90)
SCHEDULE = timedelta(minutes=5)  # the rollup's schedule in template.yaml
PRODUCTION_RATE = 100  # events a second per organization, for the bound on paper


def steady_verifications(
    tenant: Tenant, end: datetime, *, rate: float = RATE, span: timedelta = HISTORY
) -> list[Event]:
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


def report(template: Template, meter: Meter) -> None:
    print(f"12. A query ending now, {RATE} verifications/s for {HISTORY.total_seconds() / 60:.0f} minutes, rolled up")
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    events = steady_verifications(tenant, now)
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
    print(
        f"   bound on the raw tail: one five-minute bucket + the rollup's lag {minutes['lag']:.0f} min + its schedule"
        f" {minutes['schedule']:.0f} min = {worst.total_seconds() / 60:.0f} minutes of events, whatever the hour: at"
        f" {PRODUCTION_RATE}/s, {PRODUCTION_RATE * worst.total_seconds():,.0f} items (was up to an hour:"
        f" {PRODUCTION_RATE * 3600:,})    exact  {verdict(counted == expected)}"
    )


def main() -> None:
    """Run after store.start_moto and the Lambda environment are set up (run.py does both)."""
    report(Template(), metered())


if __name__ == "__main__":
    from run import start_local_store

    start_local_store()
    main()
