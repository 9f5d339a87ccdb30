"""`make bench`, the Prometheus export: what a scrape of GET /v1/metrics reads after 1 month and after more months
of the same traffic (12 at the full volume; DynamoDB requests, items and bytes); what it and an all-time
POST /v1/organizations/metrics read for an organization with a few keys and with many (from the key census, and as
before it: key by key); and what a scrape of /v1/metrics/all reads and takes over 1,000 organizations (each as its
last rollup noted it: the first organization's counters, as the worker notes them, copied to the others).
Alone: `make bench ONLY=scrape`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from organization_metrics import HOURS_APART, OLD_MONTHS, PER_HOUR, TRAFFIC, YOUNG_MONTHS, aged_tenant, months_old
from pipeline import PRODUCT_KEYS, VOLUME_RATIO_TARGET, Meter, Tenant, call, measure, metered, roll_up
from verdicts import verdict
from volume import Sized, Volume, heading
from werkzeug.test import Client

from devtools.template import Template
from keytally import admin
from keytally.analytics.prometheus import summarize
from keytally.api_keys.models import CreateApiKey
from keytally.settings import get_settings
from keytally.storage import key_census, org_summaries
from keytally.storage.dynamodb import table
from keytally.tokens.models import CreatePersonalAccessToken

ORGANIZATIONS = Sized(quick=1000, full=1000)  # scraped together by /v1/metrics/all
ALL_REQUESTS_TARGET = 10  # a scrape of every organization: a few Query pages, not requests per organization
KEYS = Sized(quick=300, full=1_000)  # an organization's keys, against PRODUCT_KEYS (moto makes each slower)
# the census reads buckets, never keys: only which of the current hour's minutes and seconds saw key changes varies
KEYS_RATIO_TARGET = 2.0


def scrape(client: Client, path: str, credential: str) -> str:
    response = client.get(path, headers={"Authorization": f"Bearer {credential}"})
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.get_data(as_text=True)}")
    return response.get_data(as_text=True)


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    old_months, organizations = OLD_MONTHS.at(volume), ORGANIZATIONS.at(volume)
    print(
        heading(
            9,
            f"A scrape of GET /v1/metrics after rollup, by the organization's age ({PER_HOUR} verification and"
            f" {PER_HOUR} request an hour with traffic, {PRODUCT_KEYS} keys, one API)",
            volume,
            {TRAFFIC: HOURS_APART, "months against 1": OLD_MONTHS, "organizations in /v1/metrics/all": ORGANIZATIONS},
        )
    )
    items: dict[int, int] = {}
    now = datetime.now(UTC)  # the same moment for both: the same current month's tiles
    for months in (YOUNG_MONTHS, old_months):
        tenant, _ = aged_tenant(template, months, now, HOURS_APART.at(volume))
        measure(meter, roll_up, tenant.org_slug, now)
        text = measure(meter, scrape, tenant.client, "/v1/metrics", tenant.org_key)
        items[months] = meter.items_read
        print(
            f"\n   {months_old(months)}: {meter.total} requests, {meter.items_read:,} items, {meter.bytes_read:,} bytes"
            f" read; {len(text.splitlines())} lines of exposition"
        )
        print("\n".join(meter.lines()))
    ratio = items[old_months] / items[YOUNG_MONTHS]
    judged = verdict(
        ratio <= VOLUME_RATIO_TARGET,
        f"items read {months_old(old_months)} / {months_old(YOUNG_MONTHS)} <= {VOLUME_RATIO_TARGET}",
        f"{ratio:.2f}",
    )
    print(
        f"\n   items read {months_old(old_months)} / {months_old(YOUNG_MONTHS)}: {ratio:.2f}    target <="
        f" {VOLUME_RATIO_TARGET}  {judged} (closed months are read as one running total per series)"
    )

    by_keys(template, meter, KEYS.at(volume))

    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    measure(meter, summarize, tenant.org_slug, now)
    noted = meter.total
    add_organizations(tenant.org_slug, organizations - 1, now)
    admin.create_user("staff@bench.test", is_staff=True, now=now)
    request = CreatePersonalAccessToken(name="bench", read_only=True, access_global_metrics=True)
    _, token = admin.create_token("staff@bench.test", request, now)
    started = time.perf_counter()
    text = measure(meter, scrape, tenant.client, "/v1/metrics/all", token)
    took = time.perf_counter() - started
    judged = verdict(
        meter.total <= ALL_REQUESTS_TARGET,
        f"/v1/metrics/all requests over {organizations} organizations <= {ALL_REQUESTS_TARGET}",
        meter.total,
    )
    print(
        f"\n   /v1/metrics/all over {organizations} organizations: {meter.total} requests, {meter.items_read:,} items,"
        f" {meter.bytes_read:,} bytes read, {len(text.splitlines()):,} lines, {took:.2f} s in process"
        f"    target <= {ALL_REQUESTS_TARGET} requests  {judged}"
        f"\n   (the worker notes an organization's counters after each rollup run: {noted} requests)"
    )
    print("\n".join(meter.lines()))


def add_organizations(like: str, count: int, now: datetime) -> None:
    """`count` more organizations, each noted with the counters `like` was noted with."""
    [noted] = [body for org_slug, body in org_summaries.every() if org_slug == like]
    for number in range(1, count + 1):
        admin.create_organization(f"bench-org-{number}", None, now - timedelta(days=31))
        org_summaries.put(f"bench-org-{number}", noted, now)


def by_keys(template: Template, meter: Meter, many: int) -> None:
    """Items a scrape and an all-time organization metrics call read with PRODUCT_KEYS keys, then `many` (a tenth
    disabled, a third expiring within a month, a twentieth revoked); then with `many` and the census taken as
    incomplete, as readers find it before the rollup has counted keys older than it (the way every call read before)."""
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    found: dict[str, tuple[int, int]] = {}
    for count in (PRODUCT_KEYS, many):
        add_keys(tenant, count - PRODUCT_KEYS if count > PRODUCT_KEYS else 0, now)
        found[f"{count:,} keys"] = items_of_calls(tenant, meter)
    table(get_settings().table_name).delete_item(Key=key_census.complete_item(tenant.org_slug))
    key_census.forget_cached()
    found[f"{many:,} keys, counted key by key (before the census)"] = items_of_calls(tenant, meter)
    print(f"\n   Items read by the organization's keys ({PRODUCT_KEYS:,} product keys, then {many:,}):")
    for label, (scraped, metrics) in found.items():
        print(f"     {label}: a scrape {scraped:,}, organization metrics {metrics:,}")
    few, more = found[f"{PRODUCT_KEYS:,} keys"], found[f"{many:,} keys"]
    ratio = max(more[0] / few[0], more[1] / few[1])
    judged = verdict(ratio <= KEYS_RATIO_TARGET, f"items read at {many:,} keys / at {PRODUCT_KEYS}", f"{ratio:.2f}")
    print(f"   items read at {many:,} keys / at {PRODUCT_KEYS}: {ratio:.2f}    target <= {KEYS_RATIO_TARGET}  {judged}")


def add_keys(tenant: Tenant, count: int, now: datetime) -> None:
    for number in range(count):
        expiring = now + timedelta(days=1 + number % 30) if number % 3 == 0 else None
        request = CreateApiKey(api_id=tenant.api_id, is_enabled=number % 10 != 1, expires_at=expiring)
        record, _ = admin.create_key(request, now)
        if number % 20 == 2:
            admin.revoke_key(record.api_key_id, now)


def items_of_calls(tenant: Tenant, meter: Meter) -> tuple[int, int]:
    measure(meter, scrape, tenant.client, "/v1/metrics", tenant.org_key)
    scraped = meter.items_read
    body = {"organizationSlug": tenant.org_slug}
    measure(meter, call, tenant.client, "POST", "/v1/organizations/metrics", tenant.org_key, body)
    return scraped, meter.items_read
