"""`make bench`, hot key: one product key with credits and a rate limit verified 5,000 times a second, its counters on
one item and split over eight (storage/key_counters.py). Measured per verification in steady state (the container
has seen the key): DynamoDB requests, read and write units, and the read units each partition of the key takes;
scaled to 5,000 verifications a second, the busiest partition's read and write units against DynamoDB's limits for
one partition (3,000 read units, 1,000 write units a second), and $ per million verifications. Also a refused
verification of the split key in steady state. The callers are spread over root keys at their own verification
budget (1,000 a second each), so each caller's key item stays within its partition too.
Alone: `make bench ONLY=hot-key`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline import Meter, Tenant, call, dollars_per_million, measure, metered
from verdicts import verdict
from volume import Volume, heading

from devtools.template import Template
from keytally.auth import tally
from keytally.storage import api_keys

RATE = 5_000
SHARDS = 8
READ_LIMIT, WRITE_LIMIT = 3_000, 1_000  # read and write units a second one partition takes


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    tenant = Tenant.create(template, datetime.now(UTC))
    print(
        heading(17, f"One product key verified {RATE:,} times a second, its counters on 1 item and on {SHARDS}", volume)
    )
    for shards in (1, SHARDS):
        created = _product(tenant, shards, remaining=10**12)
        key_hash = _hash_of(created["api_key_id"])
        body = {"key": created["key_value"], "apiId": tenant.api_id}
        for _ in range(2):  # the first verification in a container reads strongly and learns the key is split
            call(tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
        answer = measure(meter, call, tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
        assert answer["code"] == "VALID", answer
        _report(template, meter, key_hash, shards, "valid")
    refused = _product(tenant, SHARDS, remaining=0)
    key_hash = _hash_of(refused["api_key_id"])
    body = {"key": refused["key_value"], "apiId": tenant.api_id}
    for _ in range(2):  # the first refusal is read strongly; the container then knows it holds
        call(tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    answer = measure(meter, call, tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    assert answer["code"] == "USAGE_EXCEEDED", answer
    _report(template, meter, key_hash, SHARDS, "refused (no credits left)")


def _hash_of(api_key_id: str) -> str:
    record = api_keys.get_key_by_id(api_key_id)
    assert record is not None
    return record.key_hash


def _product(tenant: Tenant, shards: int, *, remaining: int) -> dict:
    fields = {"remaining": remaining, "ratelimit": {"limit": 10**9, "duration": 60_000}, "counter_shards": shards}
    return call(tenant.client, "POST", "/v1/api_keys", tenant.org_key, {"api_id": tenant.api_id, **fields})


def _report(template: Template, meter: Meter, key_hash: str, shards: int, outcome: str) -> None:
    own = f"KEY#{key_hash}"
    reads = {partition: units for partition, units in meter.read_by_partition.items() if partition.startswith(own)}
    written = meter.write_units(template)
    key_writes = sum(units for _, kind, _, units in written if kind == "KEY/COUNTERS")
    total_writes = sum(units for *_, units in written) + 1 / tally.FLUSH_EVERY
    busiest_read = RATE * max(reads.values(), default=0)
    busiest_write = RATE * key_writes / shards  # each verification writes one shard, chosen at random
    cost = dollars_per_million(meter.read_units, total_writes)
    print(
        f"   {shards} item{'s' if shards > 1 else ''}, {outcome}: {meter.total} requests, {meter.read_units:g} read"
        f" units (of the key's partitions, {len(reads)} read: {', '.join(f'{units:g}' for units in reads.values())}),"
        f" {total_writes:.2f} write units; $ {cost:.2f} per million"
    )
    print("\n".join(meter.lines()))
    if shards == 1:
        print(
            f"      at {RATE:,}/s: the key's partition takes {busiest_read:,.0f} read units/s and"
            f" {busiest_write:,.0f} write units/s (limits {READ_LIMIT:,} and {WRITE_LIMIT:,}): throttled"
        )
        return
    read_verdict = verdict(busiest_read <= READ_LIMIT, f"busiest partition read units/s <= {READ_LIMIT}", busiest_read)
    write_verdict = verdict(
        busiest_write <= WRITE_LIMIT, f"busiest partition write units/s <= {WRITE_LIMIT}", busiest_write
    )
    print(
        f"      at {RATE:,}/s: busiest partition {busiest_read:,.0f} read units/s  target <= {READ_LIMIT:,}"
        f"  {read_verdict}; {busiest_write:,.0f} write units/s  target <= {WRITE_LIMIT:,}  {write_verdict}"
    )
