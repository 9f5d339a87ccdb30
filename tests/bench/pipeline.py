"""`make bench`, the usage pipeline: DynamoDB requests, write units and $ per million of a verification (section
verify) and of 1000 ingested events (ingest), items read by a 30-day verification-analytics query at two volumes after
rollup (analytics-30d), and the most requests one analytics query can make (analytics-bound). Counts, not timings
(the rollup's events/s is reported for what it is: moto's speed on this machine). Also the pieces the other sections
measure with: the Meter of DynamoDB requests, items and units, and the Tenant of fresh tables.
Alone: `make bench ONLY=verify` (or ingest, analytics-30d, analytics-bound).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from unittest import mock

import boto3
from boto3.dynamodb.types import Binary
from local_store import start_local_store, use_new_tables
from verdicts import verdict
from volume import Sized, Volume, heading
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from devtools import demo_usage
from devtools.local_api import LocalApi, build_event
from devtools.protected_api import access_log_line
from devtools.template import Template
from keytally import admin
from keytally.analytics import query as analytics_query
from keytally.analytics.query import ROW_PAGES, TAIL_PAGES
from keytally.api_keys.models import CreateApiKey
from keytally.auth import tally
from keytally.models import Code, KeyRecord
from keytally.rollup import RollupReport, roll_up_org
from keytally.storage import accounts, api_keys, rollups
from keytally.storage import events as raw
from keytally.storage.dynamodb import clients
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import VERIFICATION_TOTALS, EventKind
from keytally.timeseries.rows import Row
from keytally.usage.events import verification_event

HOT_PATH_TARGET = 3
VERIFY_ROUND_TRIPS_TARGET = 3  # the caller's authentication included
VERIFY_WRITE_UNITS_TARGET = 3
# AWS us-east-1 list prices, $ per million: HTTP API requests, Lambda requests, Lambda arm64 GB-seconds, DynamoDB
# on-demand write and read request units; and the memory and durations calls are costed at: a verification, and a
# call storing a batch of 1000 events (validation, 10 duplicate reads, 40 writes)
PRICE = {"http_api": 1.00, "lambda": 0.20, "gb_second": 13.3334, "write_unit": 0.625, "read_unit": 0.125}
# CloudWatch Logs, $ per GB: ingested, and kept a month (template.yaml's ApiAccessLogs keeps 30 days); it bills each
# log event 26 bytes more than its text
PRICE |= {"log_gb": 0.50, "log_gb_month": 0.03}
LOG_EVENT_OVERHEAD = 26
MEMORY_GB, DURATION_S, INGEST_DURATION_S = 0.5, 0.030, 1.0
COST_RATIO_TARGET = 1.5


def dollars_per_million(
    read_units: float, write_units: float, *, calls: float = 1.0, duration_s: float = DURATION_S
) -> float:
    """What a million units of work cost, each taking `calls` API calls of `duration_s` and these DynamoDB units."""
    compute = PRICE["http_api"] + PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * duration_s
    per_call = compute + access_log_dollars()
    return calls * per_call + PRICE["read_unit"] * read_units + PRICE["write_unit"] * write_units


@cache
def access_log_bytes() -> int:
    """The bytes CloudWatch Logs bills for the access-log line API Gateway writes for one call of keytally's API, in
    template.yaml's format (a POST /v1/keys/verify's)."""
    template = Template()
    route = next(route for route in template.http_routes() if route.route_key == "POST /v1/keys/verify")
    environ = EnvironBuilder(method="POST", path=route.path, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    event = build_event(Request(environ.get_environ()), route, {})
    event["requestContext"]["apiId"] = "a1b2c3d4e5"  # as API Gateway's ids are
    line = access_log_line(template.http_api()["AccessLogSettings"]["Format"], event, 200, 31)
    return len(line.encode()) + LOG_EVENT_OVERHEAD


def access_log_dollars() -> float:
    """$ per million calls of the HttpApi's access-log lines, ingested and kept their month."""
    return access_log_bytes() * 1e6 / 1e9 * (PRICE["log_gb"] + PRICE["log_gb_month"])


CALLER_REQUESTS = 1  # authenticating a verification's caller: its key (its budget is counted in the container)
INGEST_TARGET = 40
VOLUME_RATIO_TARGET = 1.1
# analytics-30d: the verifications stored over the 30 days, at the smaller and the larger volume compared
STORED_VOLUMES = Sized(quick=(2_000, 4_000), full=(10_000, 200_000))
PRODUCT_KEYS = 8  # the same keys at both volumes, untagged: 8 series per hour, day and month
# analytics-bound: the read budgets one query spends (quick: scaled down, so that data over them stays small) and a
# row per key and hour, so 30 days of hours hold more rows than (1 + the row pages) pages of ~4,200 rows
ROW_PAGE_BUDGET = Sized(quick=2, full=ROW_PAGES)
TAIL_PAGE_BUDGET = Sized(quick=2, full=TAIL_PAGES)
WIDE_TAG_SETS = Sized(quick=20, full=60)
EVENTS_A_TAIL_PAGE = 3_300  # verifications in a 1 MB Query page of raw events
TILE_RUNS = 6  # analytics-bound: an unsliced window's tiles: hours, days, months, days, hours, five minutes
TAIL_SOURCES = 2
PAGED_TABLES = (
    "RawEventsTable",
    "FiveMinuteRollupsTable",
    "HourlyRollupsTable",
    "DailyRollupsTable",
    "MonthlyRollupsTable",
)


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills it: its attributes' names and values (as boto3 hands them over)."""
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def value_bytes(value: Any) -> int:
    """Strings and binaries by length, numbers about one byte per two digits, a map or list 3 bytes plus its
    contents, sets their members, a boolean or null 1."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool | None):
        return 1
    if isinstance(value, int | float | Decimal):
        return len(str(value).lstrip("-").replace(".", "")) // 2 + 1
    if isinstance(value, Binary | bytes | bytearray):
        return len(bytes(value.value if isinstance(value, Binary) else value))
    if isinstance(value, dict):
        return 3 + item_bytes(value)
    if isinstance(value, list):
        return 3 + sum(value_bytes(member) for member in value)
    return sum(value_bytes(member) for member in value)  # a set


def _plain(value: Any) -> str:
    """A key attribute's value, whether in DynamoDB's wire format or as Python."""
    return str(value["S"]) if isinstance(value, dict) else str(value)


@dataclass
class Meter:
    """Every request keytally's DynamoDB clients send, the items each read returned (and their bytes), and the
    items each write touched."""

    requests: Counter = field(default_factory=Counter)
    items_read: int = 0
    bytes_read: int = 0
    written: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (table name, key) per item written
    read_units: float = 0.0  # as DynamoDB bills a read: per 4 KB, half for an eventually consistent read
    read_by_partition: Counter = field(default_factory=Counter)  # GetItem/BatchGetItem read units per partition key
    _consistent: bool = False  # the read in flight
    _keys_asked: int = 0  # by the BatchGetItem in flight: each key is billed as a GetItem, found or not
    _partitions_asked: list[str] = field(default_factory=list)  # by the GetItem or BatchGetItem in flight

    def sent(self, event_name: str, params: dict, **_: Any) -> dict:
        operation = event_name.rsplit(".", 1)[-1]
        self._consistent = bool(params.get("ConsistentRead")) or any(
            isinstance(reads, dict) and reads.get("ConsistentRead") for reads in params.get("RequestItems", {}).values()
        )
        self._keys_asked = (
            sum(len(reads["Keys"]) for reads in params["RequestItems"].values()) if operation == "BatchGetItem" else 0
        )
        asked = [key for reads in params.get("RequestItems", {}).values() if "Keys" in reads for key in reads["Keys"]]
        asked += [params["Key"]] if operation == "GetItem" else []
        self._partitions_asked = [_plain(key["pk"]) for key in asked]
        table_name = params.get("TableName") or next(iter(params.get("RequestItems", {"?": None})))
        self.requests[(operation, table_name.split("-", 1)[-1])] += 1
        if operation in ("PutItem", "UpdateItem"):
            key = params.get("Key") or params["Item"]
            self.written.append((table_name, {"pk": key["pk"], "sk": key["sk"]}))
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    item = request["PutRequest"]["Item"]
                    self.written.append((name, {"pk": item["pk"], "sk": item["sk"]}))
        return params

    def write_units(self, template: Template) -> list[tuple[str, str, int, int]]:
        """Per item written: (table, kind of item, KB billed, write units), the units being one per KB in the
        table and in each index the item is in (its key attributes present), as DynamoDB bills a write; the items are
        read back as stored, through a client no meter sees."""
        tables = template.tables()
        unmetered = boto3.resource("dynamodb")
        found = []
        for table_name, key in self.written:
            logical = table_name.split("-", 1)[-1]
            item = unmetered.Table(table_name).get_item(Key=key)["Item"]
            indexes = sum(
                all(part["AttributeName"] in item for part in index["KeySchema"])
                for index in tables[logical].get("GlobalSecondaryIndexes", [])
            )
            kilobytes = -(-item_bytes(item) // 1024)
            kind = f"{key['pk'].split('#', 1)[0]}/{key['sk']}" if logical == "KeytallyTable" else "event"
            found.append((logical, kind, kilobytes, kilobytes * (1 + indexes)))
        return found

    def received(self, event_name: str, parsed: dict, **_: Any) -> None:
        if "ScannedCount" in parsed:
            self.items_read += parsed["ScannedCount"]
        elif "Item" in parsed:
            self.items_read += 1
        elif "Responses" in parsed:
            self.items_read += sum(len(items) for items in parsed["Responses"].values())
        returned = [
            *parsed.get("Items", []),
            *(item for items in parsed.get("Responses", {}).values() for item in items),
            *([parsed["Item"]] if "Item" in parsed else []),
        ]
        self.bytes_read += sum(item_bytes(item) for item in returned)
        share = 1.0 if self._consistent else 0.5
        if "Items" in parsed:  # a Query or Scan is billed on the bytes it read together
            self.read_units += share * max(1, -(-sum(item_bytes(item) for item in returned) // 4096))
        elif returned or self._keys_asked:  # an item not found costs what the smallest one would
            found = sum(-(-item_bytes(item) // 4096) for item in returned)
            self.read_units += share * (found + max(0, self._keys_asked - len(returned)))
        if "Items" not in parsed:
            units = {_plain(item["pk"]): share * -(-item_bytes(item) // 4096) for item in returned}
            for partition in self._partitions_asked:
                self.read_by_partition[partition] += units.get(partition, share)

    def reset(self) -> None:
        self.requests.clear()
        self.items_read = 0
        self.bytes_read = 0
        self.written.clear()
        self.read_units = 0.0
        self.read_by_partition.clear()

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def lines(self) -> list[str]:
        return [
            f"       {operation:<15}{name:<22}{count:6}" for (operation, name), count in sorted(self.requests.items())
        ]


@cache
def metered() -> Meter:
    """The meter of every request keytally's DynamoDB clients send (one for the process, whatever sections run),
    from clients of the local store."""
    start_local_store()
    meter = Meter()
    for client in clients():
        client.meta.events.register("provide-client-params.dynamodb", meter.sent)
        client.meta.events.register("after-call.dynamodb", meter.received)
    return meter


@dataclass
class Tenant:
    """A fresh set of tables with one organization (created `age` ago), its key, an API and product keys."""

    org_slug: str
    org_key: str
    api_id: str
    products: list[KeyRecord]
    product_key: str  # the secret of the first product key
    client: Client

    @classmethod
    def create(cls, template: Template, now: datetime, *, age: timedelta = timedelta(days=31)) -> Tenant:
        use_new_tables(template, "VerifyFunction")  # the organization is "bench-org" again, in new tables
        org = admin.create_organization("bench-org", None, now - age)
        _, org_key = admin.create_key(CreateApiKey(description="bench"), now, org_slug=org.slug)
        client = Client(LocalApi(template))
        api_id = admin.create_api(org.slug, "bench", org.created_time).api_id  # as old as the events it gets
        created = [
            call(
                client,
                "POST",
                "/v1/api_keys",
                org_key,
                {"api_id": api_id, "external_id": f"cust_{n}", "remaining": 10**9},
            )
            for n in range(PRODUCT_KEYS)
        ]
        products = [api_keys.get_key_by_id(key["api_key_id"]) for key in created]
        return cls(org.slug, org_key, api_id, products, created[0]["key_value"], client)


def call(client: Client, method: str, path: str, key: str, body: dict | None = None) -> dict:
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {key}"}, json=body)
    payload = json.loads(response.get_data())
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path} answered {response.status_code}: {payload}")
    return payload["data"]


def measure(meter: Meter, action: Callable[..., Any], *arguments: Any) -> Any:
    """action(*arguments), with the meter counting only what it does."""
    meter.reset()
    return action(*arguments)


def roll_up(org_slug: str, now: datetime) -> RollupReport:
    """The scheduled rollup of one organization, its read of the organization included."""
    organization = accounts.get_organization(org_slug)
    assert organization is not None
    return roll_up_org(organization, now)


def verification_costs(volume: Volume) -> None:
    """Section verify: one steady-state POST /v1/keys/verify."""
    template, meter = Template(), metered()
    tenant = Tenant.create(template, datetime.now(UTC))
    body = {"key": tenant.product_key, "apiId": tenant.api_id}
    for _ in range(2):  # first use writes last_used_at; the API is then cached in the function
        call(tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    measure(meter, call, tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    requests = meter.total
    hot = meter.total - CALLER_REQUESTS
    print(heading(3, "DynamoDB requests per verification (POST /v1/keys/verify, steady state)", volume))
    print(
        f"   {meter.total} requests = the caller's own key {CALLER_REQUESTS} (its lookup; its verification budget"
        f" is counted in the container and added to the shared counter every {tally.FLUSH_EVERY}th)"
        f" + hot path {hot} (the product key with its counters; credits, rate limit and last use in one conditional"
        " update of the counters; one write of one item: the verification, carrying its call's request event)"
    )
    hot_path = verdict(hot <= HOT_PATH_TARGET, f"hot path requests <= {HOT_PATH_TARGET}", hot)
    round_trips = verdict(
        meter.total <= VERIFY_ROUND_TRIPS_TARGET, f"round trips <= {VERIFY_ROUND_TRIPS_TARGET}", meter.total
    )
    print(
        f"   hot path target <= {HOT_PATH_TARGET}  {hot_path};"
        f" in all (round trips, none sent together) target <= {VERIFY_ROUND_TRIPS_TARGET}  {round_trips}"
    )
    print("\n".join(meter.lines()))
    units = meter.write_units(template)
    total = sum(unit for *_, unit in units) + 1 / tally.FLUSH_EVERY
    judged = verdict(
        total <= VERIFY_WRITE_UNITS_TARGET,
        f"write units of a verification <= {VERIFY_WRITE_UNITS_TARGET}",
        f"{total:.2f}",
    )
    print(
        f"   write units of a valid verification: {total:.2f} (the items below, and the caller's counter once every"
        f" {tally.FLUSH_EVERY})    target <= {VERIFY_WRITE_UNITS_TARGET}  {judged}"
    )
    for logical, item, kilobytes, unit in units:
        print(f"       {logical:<16}{item:<14}{kilobytes} KB x (the table + each index holding it) = {unit}")
    cost, floor = dollars_per_million(meter.read_units, total), dollars_per_million(1, 1)
    judged = verdict(
        cost / floor <= COST_RATIO_TARGET,
        f"$ per million verifications / the floor <= {COST_RATIO_TARGET}",
        f"{cost / floor:.2f}",
    )
    print(
        f"   $ per million valid verifications: {cost:.2f} ({meter.read_units:g} read units, {total:.2f} write units,"
        f" {MEMORY_GB:g} GB x {DURATION_S * 1000:.0f} ms, an access-log line of {access_log_bytes()} B:"
        f" {access_log_dollars():.3f}); floor {floor:.2f} (one read, one write): ratio"
        f" {cost / floor:.2f}    target <= {COST_RATIO_TARGET}  {judged}"
    )
    headers = tenant.client.post("/v1/keys/verify", json=body, headers={"Authorization": f"Bearer {tenant.org_key}"})
    budget = int(headers.headers["X-RateLimit-Limit"])
    print(
        f"   budget: {budget:,} verifications an hour per caller key ({budget / 3600:,.0f}/s), apart from its"
        " management rate_limit"
    )
    unkey_verifications(tenant, meter, template, (requests, total))


def unkey_verifications(tenant: Tenant, meter: Meter, template: Template, ours: tuple[int, float]) -> None:
    """Unkey's keys.verifyKey (docs/unkey.md) against keytally's own: the same requests and write units."""
    print("   Unkey's keys.verifyKey, steady state (requests, write units), against POST /v1/keys/verify's:")
    asked = {
        "/v1/keys.verifyKey": {"key": tenant.product_key, "apiId": tenant.api_id},
        "/v2/keys.verifyKey": {"key": tenant.product_key},  # (v2 names no API: the key's own)
    }
    for path, body in asked.items():
        for _ in range(2):
            tenant.client.post(path, json=body, headers={"Authorization": f"Bearer {tenant.org_key}"})
        meter.reset()
        answered = tenant.client.post(path, json=body, headers={"Authorization": f"Bearer {tenant.org_key}"})
        assert answered.status_code == 200, answered.get_data()
        units = sum(unit for *_, unit in meter.write_units(template)) + 1 / tally.FLUSH_EVERY
        same = verdict((meter.total, round(units, 4)) == (ours[0], round(ours[1], 4)), f"{path} as ours", meter.total)
        print(
            f"       {path:<20}{meter.total} requests, {units:.2f} write units"
            f"    target: {ours[0]}, {ours[1]:.2f}  {same}"
        )


def ingestion_costs(volume: Volume) -> None:
    """Section ingest: POST /v1/events with 1000 new events, the same again, and 1000 naming unknown keys."""
    template, meter = Template(), metered()
    tenant = Tenant.create(template, datetime.now(UTC))
    now = datetime.now(UTC)

    def batch(size: int) -> list[dict]:
        return [
            {
                "event_id": f"req_{uuid.uuid4().hex}",
                "time": (now - timedelta(milliseconds=n)).isoformat(),  # on time (late ones are costed below)
                "api_key_id": tenant.products[n % PRODUCT_KEYS].api_key_id,
                "endpoint": "/v1/orders",
                "method": "GET",
                "status": 200,
                "latency_ms": 20.5,
                "ip": "203.0.113.9",
            }
            for n in range(size)
        ]

    call(tenant.client, "POST", "/v1/events", tenant.org_key, {"events": batch(PRODUCT_KEYS)})  # keys now cached
    events = batch(1000)
    result = measure(meter, call, tenant.client, "POST", "/v1/events", tenant.org_key, {"events": events})
    first, first_lines = meter.total, meter.lines()
    first_read_units, first_units = meter.read_units, meter.write_units(template)
    entity = sum(count for (_, name), count in meter.requests.items() if name == "KeytallyTable")
    checks = meter.requests[("BatchGetItem", "RawEventsTable")]
    writes = meter.requests[("BatchWriteItem", "RawEventsTable")] - 1
    retried = measure(meter, call, tenant.client, "POST", "/v1/events", tenant.org_key, {"events": events})
    print(
        heading(
            4,
            "DynamoDB requests per 1000 ingested events (POST /v1/events, keys already known to the function)",
            volume,
        )
    )
    judged = verdict(first <= INGEST_TARGET, f"requests per 1000 new events <= {INGEST_TARGET}", first)
    print(f"   new batch: {first} requests ({result['accepted']} accepted)    target {INGEST_TARGET}  {judged}")
    print(
        f"   = the caller's key {entity} + duplicate check {checks} (BatchGetItem, 100 keys each) + event writes"
        f" {writes} (BatchWriteItem, 25 each) + this call's request event 1"
    )
    print("\n".join(first_lines))
    per_event_read, per_event_written = (
        first_read_units / len(events),
        sum(unit for *_, unit in first_units) / len(events),
    )
    cost = dollars_per_million(per_event_read, per_event_written, calls=1 / len(events), duration_s=INGEST_DURATION_S)
    floor = dollars_per_million(0, 1, calls=1 / len(events), duration_s=INGEST_DURATION_S)
    judged = verdict(
        cost / floor <= COST_RATIO_TARGET,
        f"$ per million ingested events on time / the floor <= {COST_RATIO_TARGET}",
        f"{cost / floor:.2f}",
    )
    print(
        f"   $ per million ingested events, on time: {cost:.3f} ({per_event_read:g} read units and"
        f" {per_event_written:.3f} write units per event, 1000 events a call of {MEMORY_GB:g} GB x"
        f" {INGEST_DURATION_S:g} s); floor {floor:.3f} (one write per event): ratio {cost / floor:.2f}    target <="
        f" {COST_RATIO_TARGET}  {judged}"
    )
    late = dollars_per_million(
        per_event_read, per_event_written + 1, calls=1 / len(events), duration_s=INGEST_DURATION_S
    )
    print(
        f"   an event stored after its hour ended is in the arrival index too (one write unit more): all late,"
        f" {late:.3f}, ratio {late / floor:.2f}"
    )
    print(f"   the same batch again: {meter.total} requests ({retried['duplicates']} duplicates, nothing written)")
    unknown = [{**event, "api_key_id": f"ak_unknown{n:04d}"} for n, event in enumerate(batch(1000))]
    rejected = measure(meter, call, tenant.client, "POST", "/v1/events", tenant.org_key, {"events": unknown})
    print(
        f"   1000 events naming 1000 unknown api_key_ids: {meter.total} requests ({rejected['rejected']} rejected;"
        " ids resolved 100 per BatchGetItem)"
    )


def analytics_by_volume(volume: Volume) -> None:
    """Section analytics-30d: the same keys and 30 days at two volumes of verifications, each rolled up, then
    queried for the 30 days."""
    template, meter = Template(), metered()
    volumes = STORED_VOLUMES.at(volume)
    print(
        heading(
            5,
            "A 30-day GET /v1/analytics/verifications after rollup, by stored volume (same keys and days)",
            volume,
            {"events stored": STORED_VOLUMES},
        )
    )
    items: dict[int, int] = {}
    for stored in volumes:
        now = datetime.now(UTC)
        tenant = Tenant.create(template, now)
        events = demo_usage.history(
            tenant.org_slug,
            tenant.api_id,
            tenant.products,
            now,
            per_hour=stored / (24 * 30),
            kinds=(EventKind.VERIFICATION,),
        )
        events = [event.model_copy(update={"tags": ()}) for event in events]  # one series per key
        started = time.perf_counter()
        unstored = raw.put_events(events)
        written = time.perf_counter() - started
        started = time.perf_counter()
        report = measure(meter, roll_up, tenant.org_slug, now)
        rolled = time.perf_counter() - started
        rollup_requests = meter.total
        first_hour = Granularity.HOUR.floor(now - demo_usage.HISTORY)  # exactly the 30 days the events cover
        window = f"start={int(first_hour.timestamp() * 1000)}&end={int(Granularity.HOUR.floor(now).timestamp() * 1000)}"
        query = f"/v1/analytics/verifications?apiId={tenant.api_id}&{window}"
        points = measure(meter, call, tenant.client, "GET", query, tenant.org_key)
        items[stored] = meter.items_read
        print(f"\n   {len(events):>7} events stored ({len(unstored)} refused) in {written:.0f} s")
        print(
            f"     rollup: {report.events_read} events read, {rollup_requests} requests, buckets "
            f"{dict(report.buckets_written)}, {rolled:.0f} s = {report.events_read / rolled:.0f} events/s (on moto)"
        )
        print(
            f"     query: {meter.total} requests, {meter.items_read} items read; it counts {points[0]['total']}"
            f" verifications (stored: {len(events)})"
        )
        print("\n".join(meter.lines()))
    small, large = volumes
    ratio = items[large] / items[small]
    judged = verdict(
        ratio <= VOLUME_RATIO_TARGET,
        f"items read {large:,} / {small:,} events <= {VOLUME_RATIO_TARGET}",
        f"{ratio:.2f}",
    )
    print(f"\n   items read {large} / {small}: {ratio:.2f}    target <= {VOLUME_RATIO_TARGET}  {judged}")


def hourly_rows(tag_sets: int) -> list[Row]:
    """One valid verification with each tag set (two tags of the longest length taken), as the rollup writes
    verification.total for an hour: a row per tag set, the one view whose rows per bucket grow with what callers
    send."""
    longest = "x" * 122
    return [
        Row({}, (f"a{n:04d}{longest}", f"b{n:04d}{longest}"), Counter({Code.VALID.value: 1}), {"credits": 1})
        for n in range(tag_sets)
    ]


def analytics_bound(volume: Volume) -> None:
    """Section analytics-bound: the worst cases of one query, the most rows a window can hold and a rollup that has
    fallen behind, against the read budgets (at the quick volume scaled down, the data over them with them)."""
    row_pages, tail_pages = ROW_PAGE_BUDGET.at(volume), TAIL_PAGE_BUDGET.at(volume)
    with mock.patch.multiple(analytics_query, ROW_PAGES=row_pages, TAIL_PAGES=tail_pages):
        _report_analytics_bound(volume, row_pages, tail_pages)


def _report_analytics_bound(volume: Volume, row_pages: int, tail_pages: int) -> None:
    template, meter = Template(), metered()
    wide_tag_sets, tail_events = WIDE_TAG_SETS.at(volume), EVENTS_A_TAIL_PAGE * (tail_pages + 2)
    print(
        heading(
            6,
            "The most DynamoDB requests one GET /v1/analytics/verifications makes, whatever the data (the read"
            " budgets production's at the full volume, scaled down with the data at the quick one)",
            volume,
            {
                "row pages of budget": ROW_PAGE_BUDGET,
                "tail pages of budget": TAIL_PAGE_BUDGET,
                "tag sets": WIDE_TAG_SETS,
            },
        )
    )
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    this_hour = Granularity.HOUR.floor(now)
    pk = rollups.partition_key(tenant.org_slug, VERIFICATION_TOTALS, tenant.api_id)
    hours = Granularity.HOUR.starts(this_hour - demo_usage.HISTORY, this_hour)
    rollups.put_rows(Granularity.HOUR, {pk: {hour: hourly_rows(wide_tag_sets) for hour in hours}}, as_of=this_hour)
    rollups.put_watermark(tenant.org_slug, this_hour)  # every closed hour rolled up, as the rollup leaves it
    print(
        f"   stored: {wide_tag_sets} tag sets x {len(hours)} hours = {wide_tag_sets * len(hours):,} hourly rows,"
        " rolled up"
    )

    def query(label: str, days: int, group_by: str) -> int:
        start = int((this_hour - timedelta(days=days)).timestamp() * 1000)
        path = f"/v1/analytics/verifications?apiId={tenant.api_id}&start={start}{group_by}"
        meter.reset()
        status = tenant.client.get(path, headers={"Authorization": f"Bearer {tenant.org_key}"}).status_code
        pages = sum(
            count
            for (operation, name), count in meter.requests.items()
            if operation == "Query" and name in PAGED_TABLES
        )
        print(
            f"   {label:<52} {status}  {meter.total:3} requests = {meter.total - pages} fixed + {pages} Query pages,"
            f" {meter.items_read:,} items"
        )
        print("\n".join(meter.lines()))
        return meter.total

    # grouped by tag set, a query reads a row per tag set and bucket: the most rows a window holds
    most = [
        query("groupBy=hour and tags, 7 days:", 7, "&groupBy=hour&groupBy=tags"),
        query(f"groupBy=hour and tags, 30 days (over {row_pages} pages of rows):", 30, "&groupBy=hour&groupBy=tags"),
    ]
    tail = [
        verification_event(
            event_id=f"tail{n:06d}",
            org_slug=tenant.org_slug,
            time=this_hour + (now - this_hour) * n / tail_events,
            received_at=now,
            api_id=tenant.api_id,
            key_id=f"ak_wide{n % wide_tag_sets:04d}",
            identity=f"cust_{n % wide_tag_sets}",
            code=Code.VALID,
            tags=(),
            credits=1,
            latency_ms=5.0,
        )
        for n in range(tail_events)
    ]
    assert raw.put_events(tail) == []
    print(f"   then {tail_events:,} events arrive in the open hour, which the rollup has not reached")
    most.append(query(f"1 day, the tail over {tail_pages} pages:", 1, ""))
    bound = 7 + TILE_RUNS + row_pages + TAIL_SOURCES + tail_pages
    judged = verdict(max(most) <= bound, f"requests of one query <= {bound} (the bound at these budgets)", max(most))
    print(
        f"   bound: 7 fixed (caller key, rate counter, memberships for user keys, last use at most once a minute,"
        f" API, watermark, request event) + {TILE_RUNS} runs of tiles + {row_pages} further row pages +"
        f" {TAIL_SOURCES} tail sources (the raw partition and the late arrivals' index, one shard) +"
        f" {tail_pages} further tail pages = {bound}; most seen {max(most)}  {judged}"
    )
