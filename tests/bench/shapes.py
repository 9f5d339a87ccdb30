"""`make bench`, shapes: one organization at the three shapes of the cost work (tests/bench/traffic.py) — the demo's,
(b) and (c) — in steady state: its traffic rolled up every five minutes as the dispatcher does, then each analytics
call, the scrape and organization metrics made once. For each shape: rows, items and requests each call reads; the
rollup's write units per event; and $ per million verifications and per million ingested events, component by
component, next to the floor:

- the call: HTTP API and Lambda requests, Lambda duration (section 3's and 4's assumptions), its DynamoDB reads and
  writes as measured (a verification with a key never split; ingestion in batches of 1,000 events);
- the rollup: its writes of the event's kind, its reads (per event, all kinds alike), and its Lambda runs (one per
  five minutes with events; duration modelled as 10 requests x 10 ms + 80 us an event, architecture.md);
- storage and point-in-time recovery of the raw event (35 days) and of the rows of its kind (five-minute rows 7
  days, hour rows of per-value views 90 days, other hour, day and month rows a year);
- logs: CloudWatch Logs ingestion and a year of storage, of keytally's own lines as measured (none at INFO on a
  successful call), of the rollup worker's line per run (300 B, modelled), and of Lambda's platform lines (START,
  END, REPORT: 400 B an invocation, modelled) when the template's `PlatformLogLevel` keeps them (INFO);
- tracing: when the template's `Tracing` is Active, X-Ray traces recorded, for the share of calls Lambda's sampling
  records at the organization's rate (the first each second, then 5%), and every rollup run.

Both are costed as the template's defaults deploy them; the other setting's figure is printed beside.

Left out: the dispatcher's runs (one a minute for the whole stack, in the idle bill), SQS messages of the fan-out,
queries of traces and logs, data transfer. The time series live in the in-memory store; items are sized as the
DynamoDB store writes them; the organization, its keys and census are in moto. A million keys are not created one
by one: the census gets their counts directly (one creation a day over the organization's 31 days), and the
events name keys that exist in no key item (labels are read for the few a top list shows).
Alone: `make bench ONLY=shapes`.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import traffic
from pipeline import (
    DURATION_S,
    INGEST_DURATION_S,
    MEMORY_GB,
    PRICE,
    Meter,
    Tenant,
    access_log_dollars,
    call,
    dollars_per_million,
    item_bytes,
    measure,
    metered,
)
from steady_rollup import KEPT_MONTHS, PITR_GB_MONTH, STORAGE_GB_MONTH, Metered, kind_of, roll_up_steadily
from traffic import Shape
from verdicts import verdict
from volume import Sized, Volume, heading

from devtools.memory_store import installed
from devtools.template import Template
from keytally.auth import tally
from keytally.models import Organization
from keytally.observability import logger
from keytally.storage import events as raw
from keytally.storage import key_census
from keytally.storage.dynamodb import entity_table
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.key_census import CREATED

WARM_UP = timedelta(hours=2)
MEASURED = Sized(quick=timedelta(hours=1), full=timedelta(hours=26))
AGE = timedelta(days=31)
INGEST_BATCH = 1_000
PLATFORM_LOG_BYTES = 400  # START, END and REPORT lines of one Lambda invocation
ROLLUP_LOG_BYTES = 300  # the rollup worker's line about its run
LOG_INGEST_GB, LOG_STORED_GB_MONTH, LOG_MONTHS = 0.50, 0.03, 12
TRACE_RECORDED = 5.00  # $ a million traces
READ_RATIO_TARGET, VERIFY_TARGET, INGEST_TARGET = 2.0, 1.5, 2.0
defaults: dict[str, str] = {}  # the template's Tracing and PlatformLogLevel


def run(volume: Volume) -> None:
    template, meter = Template(), metered()
    settings = template.document["Parameters"]
    defaults.update(tracing=settings["Tracing"]["Default"], platform_logs=settings["PlatformLogLevel"]["Default"])
    measured = MEASURED.at(volume)
    print(
        heading(
            18,
            "One organization at three shapes, rolled up every five minutes: what each read takes, what the rollup"
            f" writes, $ per million with every component (after {WARM_UP.total_seconds() / 3600:.0f} hours of"
            " warm-up)",
            volume,
            {"measured": Sized(quick="1 hour", full="26 hours")},
        )
    )
    calls = _call_costs(template, meter)
    reads: dict[str, dict[str, float]] = {}
    per_million: dict[str, dict[str, float]] = {}
    for shape in (traffic.DEMO, traffic.B, traffic.C):
        print(
            f"\n   {shape.name}: {shape.keys:,} keys, {shape.endpoints:,} endpoints, {shape.client_ips:,} client IPs,"
            f" {shape.identities:,} identities; {shape.requests_per_second:g} ingested requests and"
            f" {shape.verifications_per_second:g} verifications a second"
            + (f", {shape.heavy_share:.0%} of them on {traffic.HEAVY} heavy values" if shape.heavy_share else "")
        )
        reads[shape.name], per_million[shape.name] = _at(shape, template, meter, measured, calls)
    _monthly_bill(per_million["(b)"])
    print("\n   reads at (c) / at the demo's shape (rows, raw events and items together):")
    for label, demo in reads["demo"].items():
        ratio = reads["(c)"][label] / demo if demo else float("inf")
        judged = verdict(
            ratio <= READ_RATIO_TARGET, f"{label}: reads at (c) / demo <= {READ_RATIO_TARGET}", f"{ratio:.2f}"
        )
        print(f"     {label:<40} {ratio:6.2f}    target <= {READ_RATIO_TARGET}  {judged}")


class CallCosts(dict[str, float]):
    """$ per million, by component, for one kind of event; `other_setting`: what the template's other choice adds."""

    other_setting = ""


def _call_costs(template: Template, meter: Meter) -> dict[str, CallCosts]:
    """A verification and an ingested event as calls: measured once (their cost does not depend on the shape)."""
    tenant = Tenant.create(template, datetime.now(UTC))
    body = {"key": tenant.product_key, "apiId": tenant.api_id}
    for _ in range(2):
        call(tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    with _log_bytes() as logged:
        measure(meter, call, tenant.client, "POST", "/v1/keys/verify", tenant.org_key, body)
    verify_writes = sum(units for *_, units in meter.write_units(template)) + 1 / tally.FLUSH_EVERY
    verify = CallCosts(
        http_api=PRICE["http_api"],
        lambda_calls=PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * DURATION_S,
        reads=PRICE["read_unit"] * meter.read_units,
        writes=PRICE["write_unit"] * verify_writes,
        logs=_log_dollars(logged[0] + _platform_bytes()) + access_log_dollars(),
    )
    now = datetime.now(UTC)
    events = [
        {
            "event_id": f"req_{uuid.uuid4().hex}",
            "time": (now - timedelta(milliseconds=n)).isoformat(),
            "api_key_id": tenant.products[n % len(tenant.products)].api_key_id,
            "endpoint": "/v1/orders",
            "method": "GET",
            "status": 200,
            "latency_ms": 20.5,
            "ip": "203.0.113.9",
        }
        for n in range(INGEST_BATCH)
    ]
    with _log_bytes() as logged:
        measure(meter, call, tenant.client, "POST", "/v1/events", tenant.org_key, {"events": events})
    per_call = 1 / INGEST_BATCH
    ingest = CallCosts(
        http_api=PRICE["http_api"] * per_call,
        lambda_calls=(PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * INGEST_DURATION_S) * per_call,
        reads=PRICE["read_unit"] * meter.read_units * per_call,
        writes=PRICE["write_unit"] * sum(units for *_, units in meter.write_units(template)) * per_call,
        logs=(_log_dollars(logged[0] + _platform_bytes()) + access_log_dollars()) * per_call,
    )
    floors = {  # one read and one write a verification, one write an event, each with its share of the call
        "verification": dollars_per_million(1, 1),
        "request": dollars_per_million(0, 1, calls=per_call, duration_s=INGEST_DURATION_S),
    }
    return {"verification": verify, "request": ingest, "floor": CallCosts(floors)}


class _Counting(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.bytes += len(self.format(record).encode()) + 1


class _log_bytes:
    """The bytes keytally's logger writes meanwhile, formatted as it formats them (a one-item list)."""

    def __enter__(self) -> list[int]:
        self.handler = _Counting(logger.registered_formatter)
        logger._logger.addHandler(self.handler)
        self.result = [0]
        return self.result

    def __exit__(self, *_: object) -> None:
        logger._logger.removeHandler(self.handler)
        self.result[0] = self.handler.bytes


def _platform_bytes() -> int:
    return PLATFORM_LOG_BYTES if defaults["platform_logs"] != "WARN" else 0


def _log_dollars(bytes_per_call: float) -> float:
    gigabytes = bytes_per_call * 1_000_000 / 1e9
    return gigabytes * (LOG_INGEST_GB + LOG_STORED_GB_MONTH * LOG_MONTHS)


def _at(
    shape: Shape, template: Template, meter: Meter, measured: timedelta, calls: dict[str, CallCosts]
) -> tuple[dict[str, float], dict[str, float]]:
    now = Granularity.FIVE_MINUTES.floor(datetime.now(UTC))
    tenant = Tenant.create(template, now, age=AGE)
    _count_keys(tenant.org_slug, shape.keys, now)
    start = now - WARM_UP - measured
    made = traffic.events(shape, tenant.org_slug, tenant.api_id, start, int((WARM_UP + measured).total_seconds()))
    organization = Organization(slug=tenant.org_slug, name=tenant.org_slug, created_time=now - AGE)
    with installed(Metered()) as store:
        store.put_events(made)
        events_read, rows_read, runs = roll_up_steadily(store, organization, start, now, WARM_UP)
        found = _reads(tenant, store, meter, now)
        counted = [event for event in made if event.time >= start + WARM_UP]
        events = Counter(event.kind.value for event in counted)
        units: Counter[str] = Counter()
        for (view, _), written in store.units.items():
            units[kind_of(view)] += written
        print(
            f"     rollup: {sum(events.values()):,} events measured, {runs} runs;"
            + "; ".join(f" {kind} {units[kind] / events[kind]:.2f} write units an event" for kind in sorted(events))
        )
        share = _rollup_reads(store, made, counted, events_read, rows_read)
        dollars: dict[str, float] = {}
        for kind in ("verification", "request"):
            costs = CallCosts(calls[kind])
            per_event = 1_000_000 / events[kind]
            costs["rollup_writes"] = units[kind] * per_event * PRICE["write_unit"] / 1e6
            costs["rollup_reads"] = share
            costs["rollup_lambda"] = _rollup_lambda(runs, sum(events.values()))
            costs["rollup_logs"] = _log_dollars((_platform_bytes() + ROLLUP_LOG_BYTES) * runs / sum(events.values()))
            costs["storage"] = _storage(store, made, kind, events[kind])
            calls_per_event = 1 if kind == "verification" else 1 / INGEST_BATCH
            traced = TRACE_RECORDED * (_traced_share(shape, kind) * calls_per_event + runs / sum(events.values()))
            costs["tracing"] = traced if defaults["tracing"] == "Active" else 0.0
            costs.other_setting = f"Tracing Active would add {traced:.3f}"
            _print_dollars(shape, kind, costs, calls["floor"][kind])
            dollars[kind] = sum(costs.values())
    return found, dollars


MONTH_S = 30.44 * 86_400
# An idle stack, a month: the PAT signing secret; the template's alarms ($0.10 each); two SQS event source mappings
# long-polling (five pollers, one ReceiveMessage per 20 s each); the rollup dispatcher's run every minute: 12
# DynamoDB requests (section 14: 11 Queries of marker partitions, eventually consistent, one write of its cursor),
# 120 ms at 0.5 GB, and its log line (300 B).
IDLE = {
    "secret": 0.40,
    "alarms": len(Template().of_type("AWS::CloudWatch::Alarm")) * 0.10,
    "SQS polls": 2 * 5 * MONTH_S / 20 * 0.40 / 1e6,
    "dispatcher": MONTH_S
    / 60
    * (
        (PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * 0.120 + PRICE["read_unit"] * 11 * 0.5 + PRICE["write_unit"])
        / 1e6
    ),
}


def _monthly_bill(per_million: dict[str, float]) -> None:
    """A month at list prices from this run's $ per million at (b): idle, one organization, ten."""
    idle = sum(IDLE.values()) + _log_dollars(ROLLUP_LOG_BYTES * MONTH_S / 60 / 1e6)
    verifications = traffic.B.verifications_per_second * MONTH_S
    requests = traffic.B.requests_per_second * MONTH_S
    one = verifications * per_million["verification"] / 1e6 + requests * per_million["request"] / 1e6
    print(
        f"\n   a month at list prices (storage as kept a year on): idle stack ${idle:.2f}"
        f" ({', '.join(f'{name} {value:.2f}' for name, value in IDLE.items())}, dispatcher log line);"
        f" one organization at (b) ({verifications / 1e6:.2f}M verifications, {requests / 1e6:.2f}M ingested events)"
        f" ${idle + one:.2f}; ten ${idle + 10 * one:.2f}"
    )


def _count_keys(org_slug: str, keys: int, now: datetime) -> None:
    """The census of `keys` active keys made one day's share at a time over the organization's life."""
    days = AGE.days
    for day in range(days):
        made = keys // days + (1 if day < keys % days else 0)
        moment = now - AGE + timedelta(days=day, seconds=1)
        for write in key_census.writes(org_slug, {moment: Counter({"active": made, CREATED: made})}):
            entity_table().meta.client.update_item(**write["Update"])


def _reads(tenant: Tenant, store: Metered, meter: Meter, now: datetime) -> dict[str, float]:
    """Each call once: the rollup rows it reads (in memory) and the DynamoDB items and requests (moto)."""
    hour_ago = int((now - timedelta(hours=1)).timestamp() * 1000)
    found: dict[str, float] = {}
    for label, method, path, query in (
        ("verifications, 30 days (the default)", "GET", "/v1/analytics/verifications", {"apiId": tenant.api_id}),
        (
            "verifications, one key, 30 days",
            "GET",
            "/v1/analytics/verifications",
            {"apiId": tenant.api_id, "keyId": "ak_0000000"},
        ),
        (
            "verifications by key, 30 days",
            "GET",
            "/v1/analytics/verifications",
            {"apiId": tenant.api_id, "groupBy": "key"},
        ),
        ("requests, 24 hours (the default)", "GET", "/v1/analytics/api_keys", {}),
        ("requests, the last hour", "GET", "/v1/analytics/api_keys", {"start": hour_ago}),
        ("requests, one key, 24 hours", "GET", "/v1/analytics/api_keys", {"apiKeyId": "ak_0000000"}),
        ("organization metrics, all time", "POST", "/v1/organizations/metrics", {}),
        ("scrape (GET /v1/metrics)", "GET", "/v1/metrics", {}),
    ):
        meter.reset()
        store.rows_read = store.row_pages_read = store.events_read = 0
        headers = {"Authorization": f"Bearer {tenant.org_key}"}
        if method == "POST":
            response = tenant.client.post(path, json={"organizationSlug": tenant.org_slug}, headers=headers)
        else:
            response = tenant.client.get(f"{path}?{urlencode(query)}" if query else path, headers=headers)
        assert response.status_code == 200, (label, response.get_data()[:300])
        found[label] = store.rows_read + store.events_read + meter.items_read
        print(
            f"     {label:<40} rollup rows {store.rows_read:5,} ({store.row_pages_read:2} pages), raw events"
            f" {store.events_read:6,}; DynamoDB {meter.items_read:4,} items in {meter.total:2} requests"
        )
    return found


def _rollup_reads(store: Metered, made: list, counted: list, events_read: int, rows_read: int) -> float:
    """$ per million events the rollup reads: its raw events and the rows it merges, eventually consistent."""
    event_bytes = sum(item_bytes(raw.to_item(event, store.schedule_of(event.org_slug))) for event in made) / len(made)
    row_bytes = sum(store.bytes_put.values()) / max(sum(store.rows_put.values()), 1)
    units = (events_read * event_bytes + rows_read * row_bytes) / 4096 / 2
    return units / len(counted) * PRICE["read_unit"]


def _rollup_lambda(runs: int, events: int) -> float:
    """The worker's runs per million events: a Lambda request and its modelled duration each."""
    duration = 10 * 0.010 + 80e-6 * events / max(runs, 1)
    return runs * (PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * duration) / events


def _storage(store: Metered, made: list, kind: str, events: int) -> float:
    """$ per million events of the kind kept: the raw event 35 days, its kind's rows as kept, with point-in-time
    recovery."""
    own = [event for event in made if event.kind.value == kind]
    raw_bytes = sum(item_bytes(raw.to_item(event, store.schedule_of(event.org_slug))) for event in own) / len(own)
    months = raw_bytes * KEPT_MONTHS["raw"] + sum(
        size / events * KEPT_MONTHS[granularity]
        for (of_kind, granularity), size in store.bytes_put.items()
        if of_kind == kind
    )
    return months * 1_000_000 / 1e9 * (STORAGE_GB_MONTH + PITR_GB_MONTH)


def _traced_share(shape: Shape, kind: str) -> float:
    """The share of the organization's calls of a kind X-Ray's default rule records: one a second, then 5%."""
    rate = shape.verifications_per_second if kind == "verification" else shape.requests_per_second / INGEST_BATCH
    return 1.0 if rate <= 1 else (1 + 0.05 * (rate - 1)) / rate


def _print_dollars(shape: Shape, kind: str, costs: CallCosts, floor: float) -> None:
    total = sum(costs.values())
    target = VERIFY_TARGET if kind == "verification" else INGEST_TARGET
    what = "verifications" if kind == "verification" else "ingested events"
    line = f"     $ per million {what}: {total:.2f} = " + " + ".join(
        f"{name.replace('_', ' ')} {value:.3f}" for name, value in costs.items()
    )
    ratio = total / floor
    line += f" ({costs.other_setting})" if costs.other_setting else ""
    if shape is traffic.B:
        judged = verdict(ratio <= target, f"$ per million {what} at (b) / the floor <= {target}", f"{ratio:.2f}")
        print(f"{line}; floor {floor:.3f}: ratio {ratio:.2f}    target <= {target}  {judged}")
    else:
        print(f"{line}; floor {floor:.3f}: ratio {ratio:.2f}")
