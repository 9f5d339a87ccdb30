"""`make bench`, organization metrics: what an all-time POST /v1/organizations/metrics reads after 1 month and after 12
months of the same traffic (DynamoDB requests, items and bytes). Its reads must grow with the month buckets in range
and nothing else. On its own: `.venv/bin/python tests/bench/organization_metrics.py`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pipeline import PRODUCT_KEYS, Meter, Tenant, call, measure, metered, roll_up, verdict

from devtools.template import Template
from keytally.models import Code, RequestSource
from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event
from keytally.usage.events import request_event, verification_event

PER_HOUR = 1  # verifications and ingested requests an hour, at both ages
# Organizations created at the start of a month, 1 and 12 months before the current one: the same tiles at the end
# (this month's days and hours), whole months before them
AGES = {"1 month": 1, "12 months": 12}
MONTH_ROWS = 2 + 3 * PRODUCT_KEYS  # a month's rows: the verification and request totals, identities, keys twice


def history(tenant: Tenant, since: datetime, now: datetime) -> list[Event]:
    """PER_HOUR verifications and requests in each hour from `since`, of the tenant's product keys."""
    rng = random.Random(7)
    events: list[Event] = []
    for number, hour in enumerate(Granularity.HOUR.starts(Granularity.HOUR.ceil(since), Granularity.HOUR.floor(now))):
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


def aged_tenant(template: Template, months: int, now: datetime) -> tuple[Tenant, list[Event]]:
    """A tenant created at the start of the month `months` before the current one, and its history since, stored."""
    created = Granularity.MONTH.floor(now)
    for _ in range(months):
        created = Granularity.MONTH.floor(created - timedelta(days=1))
    tenant = Tenant.create(template, now, age=now - created)
    events = history(tenant, created, now)
    assert raw.put_events(events) == []
    return tenant, events


def report(template: Template, meter: Meter) -> None:
    print(
        f"8. An all-time POST /v1/organizations/metrics after rollup, by the organization's age ({PER_HOUR}"
        f" verification and {PER_HOUR} request an hour, {PRODUCT_KEYS} keys and identities, one API)"
    )
    items: dict[str, int] = {}
    for label, months in AGES.items():
        now = datetime.now(UTC)
        tenant, events = aged_tenant(template, months, now)
        rollup = measure(meter, roll_up, tenant.org_slug, now)
        print(
            f"\n   {label}: {len(events)} events, rollup {meter.total} requests, buckets {dict(rollup.buckets_written)}"
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
        items[label] = meter.items_read
        print(
            f"     query: {meter.total} requests, {meter.items_read:,} items, {meter.bytes_read:,} bytes read;"
            f" it counts {answer['verifications']['total']} verifications and {answer['requests']['total']} requests"
            f" from {answer['startDate']}"
        )
        print("\n".join(meter.lines()))
    ratio = items["12 months"] / items["1 month"]
    per_month = (items["12 months"] - items["1 month"]) / (AGES["12 months"] - AGES["1 month"])
    print(
        f"\n   items read 12 months / 1 month: {ratio:.2f}; {per_month:.0f} more items per month bucket"
        f" (a month's rows of the five views read: at most {MONTH_ROWS})  {verdict(per_month <= MONTH_ROWS)}"
    )


def main() -> None:
    """Run after store.start_moto and the Lambda environment are set up (run.py does both)."""
    report(Template(), metered())


if __name__ == "__main__":
    from run import start_local_store

    start_local_store()
    main()
