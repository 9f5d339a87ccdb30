"""`make bench`, nothing lost under throttling: verifications and ingested batches while the raw events table throttles
every write, then the spill queue drained as Lambda's SQS event source would; the events the Prometheus export counts
against the events sent, what a throttled response waits and sends, and what the drain costs.
Alone: `make bench ONLY=throttling`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline import Tenant, call, measure, metered, roll_up
from prometheus_client.parser import text_string_to_metric_families
from verdicts import verdict
from volume import Volume, heading

from devtools.faults import BusyTable
from devtools.local_api import LocalApi, deliver_once
from devtools.template import Template
from keytally.settings import get_settings
from keytally.storage.dynamodb import BRIEF

VERIFICATIONS = 50
BATCHES, BATCH_SIZE = 5, 100
WAIT_TARGET = 0.1  # seconds a response may wait on the busy table


def counted(tenant: Tenant) -> tuple[float, float]:
    """VALID verifications and ingested requests, as the tenant's scrape counts them."""
    response = tenant.client.get("/v1/metrics", headers={"Authorization": f"Bearer {tenant.org_key}"})
    valid = ingested = 0.0
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == "keytally_verifications_total" and sample.labels["outcome"] == "VALID":
                valid += sample.value
            elif sample.name == "keytally_requests_total" and sample.labels["source"] == "ingested":
                ingested += sample.value
    return valid, ingested


def traffic(tenant: Tenant, now: datetime) -> None:
    body = {"key": tenant.product_key, "apiId": tenant.api_id}
    for _ in range(VERIFICATIONS):
        call(tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    for batch in range(BATCHES):
        events = [
            {
                "event_id": f"req_{batch}_{n}",
                "time": (now - timedelta(seconds=n)).isoformat(),
                "api_key_id": tenant.products[0].api_key_id,
                "endpoint": "/v1/orders",
                "method": "GET",
                "status": 200,
                "latency_ms": 20.0,
                "ip": "198.51.100.23",
            }
            for n in range(BATCH_SIZE)
        ]
        answer = call(tenant.client, "POST", "/v1/events", tenant.org_key, {"events": events})
        assert answer["accepted"] == BATCH_SIZE, answer


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    print(
        heading(
            10,
            f"Nothing lost under throttling: {VERIFICATIONS} verifications and {BATCHES} batches of {BATCH_SIZE}"
            " ingested requests while the raw events table throttles every write",
            volume,
        )
    )
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    before = counted(tenant)
    busy = BusyTable(get_settings().events_table)
    busy.throttled = True
    try:
        measure(meter, traffic, tenant, now)
        responses = VERIFICATIONS + BATCHES
        longest_ms = BRIEF.longest_wait * 1000
        judged = verdict(
            BRIEF.longest_wait <= WAIT_TARGET, f"a write's wait <= {WAIT_TARGET * 1000:.0f} ms", f"{longest_ms:.0f} ms"
        )
        print(
            f"   while throttled: {busy.write_requests} raw-table write requests for {responses} responses"
            f" ({BRIEF.attempts} attempts of each 25-event chunk, the SDK adding none); each write waits at most"
            f" {longest_ms:.0f} ms in all (a verification makes one write, an ingest call two)"
            f"    target <= {WAIT_TARGET * 1000:.0f} ms  {judged}"
        )
    finally:
        busy.remove()
    api = LocalApi(template)
    drain = next(source for source in template.queue_sources() if source.function_id == "EventDrainFunction")
    queue = get_settings().spill_queue
    meter.reset()
    messages = 0
    while delivered := deliver_once(api, drain, queue):
        messages += delivered
    print(f"   drained {messages} messages: {meter.total} DynamoDB requests")
    print("\n".join(meter.lines()))
    roll_up(tenant.org_slug, datetime.now(UTC))
    after = counted(tenant)
    valid, ingested = after[0] - before[0], after[1] - before[1]
    sent = (VERIFICATIONS, BATCHES * BATCH_SIZE)
    judged = verdict(
        (valid, ingested) == sent,
        "every verification and ingested request counted by the export",
        f"{valid:.0f} of {sent[0]}, {ingested:.0f} of {sent[1]}",
    )
    print(
        f"   counted by the export: {valid:.0f} of {sent[0]} verifications, {ingested:.0f} of {sent[1]} ingested"
        f" requests    target: all  {judged}"
    )
