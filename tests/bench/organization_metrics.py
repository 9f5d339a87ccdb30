"""`make bench`, organization metrics: what an all-time POST /v1/organizations/metrics reads after 1 month and after
more months of the same traffic (12 at the full volume; DynamoDB requests, items and bytes). Its reads must grow with
the month buckets in range and nothing else.
Alone: `make bench ONLY=org-metrics`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pipeline import PRODUCT_KEYS, Tenant, call, measure, metered, roll_up
from verdicts import verdict
from volume import Sized, Volume, heading

from devtools.template import Template
from keytally.models import Code, RequestSource
from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event
from keytally.usage.events import request_event, verification_event

PER_HOUR = 1  # verifications and ingested requests in an hour with traffic, at both ages
HOURS_APART = Sized(quick=3, full=1)  # one hour in this many has traffic (the same hours at both ages)
TRAFFIC = "traffic in 1 hour of every {}"  # HOURS_APART's label in a heading
# Organizations created at the start of a month, 1 and more months before the current one: the same tiles at the end
# (this month's days and hours), whole months before them; the younger one's age, and the older one's at each volume
YOUNG_MONTHS, OLD_MONTHS = 1, Sized(quick=2, full=12)
MONTH_ROWS = 2 + 3 * PRODUCT_KEYS  # a month's rows: the verification and request totals, identities, keys twice


def history(tenant: Tenant, since: datetime, now: datetime, hours_apart: int) -> list[Event]:
    """PER_HOUR verifications and requests in one hour of every `hours_apart` from `since`, of the tenant's product
    keys; an hour's are the same whatever `since` (its own seed), so two tenants of different ages differ only in
    the months one has."""
    events: list[Event] = []
    for number, hour in enumerate(Granularity.HOUR.starts(Granularity.HOUR.ceil(since), Granularity.HOUR.floor(now))):
        if int(hour.timestamp()) // 3600 % hours_apart:
            continue
        rng = random.Random(hour.isoformat())
        for n in range(PER_HOUR):
            key = rng.choice(tenant.products)
            time = hour + timedelta(seconds=rng.uniform(0, 3599))
            code = rng.choice([Code.VALID] * 8 + [Code.RATE_LIMITED, Code.USAGE_EXCEEDED])
            events.append(
                verification_event(
                    event_id=f"v{number}_{n}",
                    org_slug=tenant.org_slug,
                    time=time,
                    received_at=time,
                    api_id=tenant.api_id,
                    key_id=key.api_key_id,
                    identity=key.external_id or "",
                    code=code,
                    tags=(),
                    credits=1 if code is Code.VALID else 0,
                    latency_ms=4.0,
                )
            )
            events.append(
                request_event(
                    source=RequestSource.INGESTED,
                    event_id=f"r{number}_{n}",
                    org_slug=tenant.org_slug,
                    time=time,
                    received_at=time,
                    key_id=key.api_key_id,
                    endpoint=f"/v1/orders/{rng.randrange(5)}",
                    method="GET",
                    status=rng.choice([200] * 9 + [500]),
                    ip=f"203.0.113.{rng.randrange(1, 20)}",
                    latency_ms=round(rng.lognormvariate(3.5, 0.6), 3),
                )
            )
    return events


def aged_tenant(template: Template, months: int, now: datetime, hours_apart: int) -> tuple[Tenant, list[Event]]:
    """A tenant created at the start of the month `months` before the current one, and its history since, stored."""
    created = Granularity.MONTH.floor(now)
    for _ in range(months):
        created = Granularity.MONTH.floor(created - timedelta(days=1))
    tenant = Tenant.create(template, now, age=now - created)
    events = history(tenant, created, now, hours_apart)
    assert raw.put_events(events) == []
    return tenant, events


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    old_months = OLD_MONTHS.at(volume)
    print(
        heading(
            8,
            f"An all-time POST /v1/organizations/metrics after rollup, by the organization's age ({PER_HOUR}"
            f" verification and {PER_HOUR} request an hour with traffic, {PRODUCT_KEYS} keys and identities, one API)",
            volume,
            {TRAFFIC: HOURS_APART, "months against 1": OLD_MONTHS},
        )
    )
    items: dict[int, int] = {}
    now = datetime.now(UTC)  # the same moment for both: the same current month's tiles
    for months in (YOUNG_MONTHS, old_months):
        tenant, events = aged_tenant(template, months, now, HOURS_APART.at(volume))
        rollup = measure(meter, roll_up, tenant.org_slug, now)
        print(
            f"\n   {months_old(months)}: {len(events)} events, rollup {meter.total} requests,"
            f" buckets {dict(rollup.buckets_written)}"
        )
        answer = measure(
            meter,
            call,
            tenant.client,
            "POST",
            "/v1/organizations/metrics",
            tenant.org_key,
            {"organizationSlug": tenant.org_slug},
        )
        items[months] = meter.items_read
        print(
            f"     query: {meter.total} requests, {meter.items_read:,} items, {meter.bytes_read:,} bytes read;"
            f" it counts {answer['verifications']['total']} verifications and {answer['requests']['total']} requests"
            f" from {answer['startDate']}"
        )
        print("\n".join(meter.lines()))
    ratio = items[old_months] / items[YOUNG_MONTHS]
    per_month = (items[old_months] - items[YOUNG_MONTHS]) / (old_months - YOUNG_MONTHS)
    judged = verdict(per_month <= MONTH_ROWS, f"items read more per month bucket <= {MONTH_ROWS}", f"{per_month:.0f}")
    print(
        f"\n   items read {months_old(old_months)} / {months_old(YOUNG_MONTHS)}: {ratio:.2f};"
        f" {per_month:.0f} more items per month bucket (a month's rows of the five views read: at most"
        f" {MONTH_ROWS})  {judged}"
    )


def months_old(months: int) -> str:
    return f"{months} month{'s' if months > 1 else ''}"
