"""`make bench`, the Prometheus export: what a scrape of GET /v1/metrics reads after 1 month and after more months
of the same traffic (12 at the full volume; DynamoDB requests, items and bytes), and what a scrape of /v1/metrics/all
reads and takes over 1,000 organizations (each as its last rollup noted it: the first organization's counters, as
the worker notes them, copied to the others).
Alone: `make bench ONLY=scrape`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from organization_metrics import HOURS_APART, OLD_MONTHS, PER_HOUR, TRAFFIC, YOUNG_MONTHS, aged_tenant, months_old
from pipeline import PRODUCT_KEYS, VOLUME_RATIO_TARGET, Tenant, measure, metered, roll_up
from verdicts import verdict
from volume import Sized, Volume, heading
from werkzeug.test import Client

from devtools.template import Template
from keytally import admin
from keytally.analytics.prometheus import summarize
from keytally.storage import org_summaries
from keytally.tokens.models import CreatePersonalAccessToken

ORGANIZATIONS = Sized(quick=1000, full=1000)  # scraped together by /v1/metrics/all
ALL_REQUESTS_TARGET = 10  # a scrape of every organization: a few Query pages, not requests per organization


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
