"""`make bench`, the Prometheus export: what a scrape of GET /v1/metrics reads after 1 month and after more months
of the same traffic (12 at the full volume; DynamoDB requests, items and bytes), and what a scrape of /v1/metrics/all
reads per organization.
Alone: `make bench ONLY=scrape`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from organization_metrics import HOURS_APART, OLD_MONTHS, PER_HOUR, TRAFFIC, YOUNG_MONTHS, aged_tenant, months_old
from pipeline import PRODUCT_KEYS, VOLUME_RATIO_TARGET, Tenant, measure, metered, roll_up
from verdicts import verdict
from volume import Sized, Volume, heading
from werkzeug.test import Client

from devtools.template import Template
from keytally import admin
from keytally.tokens.models import CreatePersonalAccessToken

ORGANIZATIONS = Sized(quick=25, full=100)  # scraped together by /v1/metrics/all


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
    for number in range(1, organizations):
        admin.create_organization(f"bench-org-{number}", None, now - timedelta(days=31))
    admin.create_user("staff@bench.test", is_staff=True, now=now)
    request = CreatePersonalAccessToken(name="bench", read_only=True, access_global_metrics=True)
    _, token = admin.create_token("staff@bench.test", request, now)
    measure(meter, scrape, tenant.client, "/v1/metrics/all", token)
    print(
        f"\n   /v1/metrics/all over {organizations} organizations: {meter.total} requests, {meter.items_read:,} items"
        f" ({meter.total / organizations:.1f} requests per organization)"
    )
