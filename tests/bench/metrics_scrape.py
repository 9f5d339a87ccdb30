"""`make bench`, the Prometheus export: what a scrape of GET /v1/metrics reads after 1 month and after 12 months of
the same traffic (DynamoDB requests, items and bytes), and what a scrape of /v1/metrics/all reads per organization.
On its own: `.venv/bin/python tests/bench/metrics_scrape.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from organization_metrics import AGES, PER_HOUR, aged_tenant
from pipeline import PRODUCT_KEYS, VOLUME_RATIO_TARGET, Meter, Tenant, measure, metered, roll_up, verdict
from werkzeug.test import Client

from devtools.template import Template
from keytally import admin
from keytally.tokens.models import CreatePersonalAccessToken

ORGANIZATIONS = 100  # scraped together by /v1/metrics/all


def scrape(client: Client, path: str, credential: str) -> str:
    response = client.get(path, headers={"Authorization": f"Bearer {credential}"})
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.get_data(as_text=True)}")
    return response.get_data(as_text=True)


def report(template: Template, meter: Meter) -> None:
    print(
        f"9. A scrape of GET /v1/metrics after rollup, by the organization's age ({PER_HOUR} verification and"
        f" {PER_HOUR} request an hour, {PRODUCT_KEYS} keys, one API)"
    )
    items: dict[str, int] = {}
    for label, months in AGES.items():
        now = datetime.now(UTC)
        tenant, _ = aged_tenant(template, months, now)
        measure(meter, roll_up, tenant.org_slug, now)
        text = measure(meter, scrape, tenant.client, "/v1/metrics", tenant.org_key)
        items[label] = meter.items_read
        print(
            f"\n   {label}: {meter.total} requests, {meter.items_read:,} items, {meter.bytes_read:,} bytes read;"
            f" {len(text.splitlines())} lines of exposition"
        )
        print("\n".join(meter.lines()))
    ratio = items["12 months"] / items["1 month"]
    print(
        f"\n   items read 12 months / 1 month: {ratio:.2f}    target <= {VOLUME_RATIO_TARGET}"
        f"  {verdict(ratio <= VOLUME_RATIO_TARGET)} (closed months are read as one running total per series)"
    )

    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    for number in range(1, ORGANIZATIONS):
        admin.create_organization(f"bench-org-{number}", None, now - timedelta(days=31))
    admin.create_user("staff@bench.test", is_staff=True, now=now)
    request = CreatePersonalAccessToken(name="bench", read_only=True, access_global_metrics=True)
    _, token = admin.create_token("staff@bench.test", request, now)
    measure(meter, scrape, tenant.client, "/v1/metrics/all", token)
    print(
        f"\n   /v1/metrics/all over {ORGANIZATIONS} organizations: {meter.total} requests, {meter.items_read:,} items"
        f" ({meter.total / ORGANIZATIONS:.1f} requests per organization)"
    )


def main() -> None:
    """Run after store.start_moto and the Lambda environment are set up (run.py does both)."""
    report(Template(), metered())


if __name__ == "__main__":
    from run import start_local_store

    start_local_store()
    main()
