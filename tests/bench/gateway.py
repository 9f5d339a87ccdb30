"""`make bench` section gateway: calls through a protected gateway (examples/protected-api, served as `make dev`
serves it): the authorizer's DynamoDB requests and write units per call against POST /v1/keys/verify's, the access
logs' per 1,000 lines, and $ per million protected calls next to API Gateway REST usage plans'. Its cold start is in
section cold-start (gateway_authorizer.handler). Alone: `make bench ONLY=gateway`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline import LOG_EVENT_OVERHEAD, MEMORY_GB, PRICE, Tenant, metered
from verdicts import verdict
from volume import Volume, heading
from werkzeug.test import Client

from devtools.cloudwatch_logs import subscription_event
from devtools.local_api import LocalApi
from devtools.protected_api import protected_api
from devtools.template import Template
from keytally.observability import logger

VERIFY_REQUESTS, VERIFY_WRITE_UNITS = 3, 2.02  # POST /v1/keys/verify's, section verify
LINES = 1_000  # calls whose access-log lines are delivered together
AUTHORIZER_DURATION_S = 0.030  # as a verification is priced (section verify)
DELIVERY_DURATION_S = 1.0  # a delivery of 1,000 lines, as a POST /v1/events of 1,000 events is priced (section ingest)
# API Gateway REST API requests (first 333 million a month), $ per million; usage plans and API keys add nothing.
REST_API = 3.50
LOG_RETENTION_DAYS = 7  # the example's access log group
CACHE_TTL_S = 300  # an authorizer cache TTL, for what caching would save a key calling once a second


def run(volume: Volume) -> None:
    logger.setLevel("WARNING")  # the access log function's line per delivery is not the report's
    template, meter = Template(), metered()
    tenant = Tenant.create(template, datetime.now(UTC))
    keytally = LocalApi(template)
    app, gateway = protected_api(keytally, template, tenant.api_id)
    client, key = Client(app), {"Authorization": f"Bearer {tenant.product_key}"}
    for _ in range(2):  # the key's first use writes last_used_at; the binding and the API are then cached
        assert client.get("/orders", headers=key).status_code == 200
    gateway.flush()
    meter.reset()
    assert client.get("/orders", headers=key).status_code == 200
    requests, read_units = meter.total, meter.read_units
    write_units = sum(unit for *_, unit in meter.write_units(template))
    print(heading(19, "A call through a protected gateway: its authorizer and its access-log line", volume))
    same = verdict(
        requests <= VERIFY_REQUESTS and write_units <= VERIFY_WRITE_UNITS,
        f"authorizer requests <= {VERIFY_REQUESTS} and write units <= {VERIFY_WRITE_UNITS} (verify's)",
        f"{requests}, {write_units:.2f}",
    )
    print(
        f"   authorizer, steady state: {requests} requests, {read_units:g} read units, {write_units:.2f} write units"
        f" (POST /v1/keys/verify: {VERIFY_REQUESTS}, {VERIFY_WRITE_UNITS}: its caller's key is read in the same"
        f" request as the product key; a gateway has no caller key)  {same}"
    )
    print("\n".join(meter.lines()))

    for _ in range(LINES - 1):
        client.get("/orders", headers=key)
    lines = list(gateway.pending)
    line_bytes = sum(len(line.encode()) for line in lines) / len(lines)
    meter.reset()
    assert gateway.flush() == LINES
    log_requests, log_read_units = meter.total, meter.read_units
    log_write_units = sum(unit for *_, unit in meter.write_units(template))
    print(
        f"   access logs, {LINES:,} lines in one delivery ({line_bytes:.0f} bytes a line): {log_requests} requests,"
        f" {log_read_units:g} read units, {log_write_units:g} write units"
    )
    print("\n".join(meter.lines()))
    meter.reset()
    again = keytally.invoke(gateway.log_destination, subscription_event("OrdersApi-access", lines))
    print(f"   the same delivery again: {meter.total} requests, {again['duplicates']:,} duplicates, nothing written")

    dollars(read_units, write_units, line_bytes, log_read_units / LINES, log_write_units / LINES)


def dollars(read_units: float, write_units: float, line_bytes: float, log_reads: float, log_writes: float) -> None:
    """$ per million protected calls, by component."""
    authorizer_lambda = PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * AUTHORIZER_DURATION_S
    authorizer_dynamodb = PRICE["read_unit"] * read_units + PRICE["write_unit"] * write_units
    gigabytes = (line_bytes + LOG_EVENT_OVERHEAD) * 1e6 / 1e9
    logs = gigabytes * (PRICE["log_gb"] + PRICE["log_gb_month"] * LOG_RETENTION_DAYS / 30)
    deliveries = 1e6 / LINES
    log_function = deliveries * (PRICE["lambda"] + PRICE["gb_second"] * MEMORY_GB * DELIVERY_DURATION_S) / 1e6
    log_dynamodb = PRICE["read_unit"] * log_reads + PRICE["write_unit"] * log_writes
    keytally = authorizer_lambda + authorizer_dynamodb + logs + log_function + log_dynamodb
    print("   $ per million protected calls (us-east-1 list prices; the backend's own function left out):")
    for name, cost in (
        (f"authorizer Lambda (request, 0.5 GB x {AUTHORIZER_DURATION_S * 1000:.0f} ms)", authorizer_lambda),
        ("authorizer DynamoDB", authorizer_dynamodb),
        (f"access logs in CloudWatch Logs (ingestion, {LOG_RETENTION_DAYS} days stored)", logs),
        (f"access log function ({LINES:,} lines a delivery of {DELIVERY_DURATION_S:g} s)", log_function),
        ("access log DynamoDB (duplicate check, request events)", log_dynamodb),
    ):
        print(f"       {name:<72}{cost:8.3f}")
    print(f"       {'keytally in all':<72}{keytally:8.3f}")
    print(
        f"   HTTP API + keytally: {PRICE['http_api'] + keytally:.2f};  REST API + keytally: {REST_API + keytally:.2f};"
        f"  REST API + usage plans (API keys, daily quotas, best-effort throttling, no per-call analytics):"
        f" {REST_API:.2f}"
    )
    cached = PRICE["http_api"] + (authorizer_lambda + authorizer_dynamodb) / CACHE_TTL_S + logs + log_function
    print(
        f"   with authorizer caching ({CACHE_TTL_S} s, a key calling once a second): {cached + log_dynamodb:.2f} on an"
        " HTTP API, but credits and rate limits are not spent on cached calls and a revocation waits out the TTL"
    )
    print(
        "   left out: the rollup and storage of each call's two events (a verification, a request); section shapes"
        " measures both kinds in full"
    )
