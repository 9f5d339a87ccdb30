"""`make bench`, a bounded load run: the local API served on loopback (threaded, as `make dev` serves it) takes a
fixed number of verifications, ingest calls and unauthenticated calls from several threads at once, in a shuffled
order; the run stops early if it passes its time bound. Reported: verifications and ingested events per second on
this machine, p50/p99 per route as ratios to the unauthenticated route (the same resolver and local API, no
credential, no DynamoDB), the 5xx answers, and the events the Prometheus export counts against the events sent.
Alone: `make bench ONLY=load`.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pipeline import Tenant, call
from throttled_writes import counted
from verdicts import verdict
from volume import Sized, Volume, heading

from devtools.local_api import serve
from devtools.template import Template

THREADS = 8
VERIFICATIONS = Sized(quick=500, full=2000)
INGEST_CALLS, INGEST_BATCH = Sized(quick=10, full=40), 100
BASELINE_CALLS = Sized(quick=125, full=500)
TIME_BOUND_S = 300
HOT_KEYS = 4  # verified keys, taken in turn


@dataclass(frozen=True)
class Planned:
    route: str
    method: str
    path: str
    key: str | None
    body: dict | None = None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    valid: int = 0
    accepted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, planned: Planned, status: int, seconds: float, data: dict) -> None:
        with self.lock:
            self.latencies[planned.route].append(seconds)
            self.statuses[planned.route][status] += 1
            if planned.route == "verify" and status == 200 and data.get("valid"):
                self.valid += 1
            elif planned.route == "ingest" and status == 200:
                self.accepted += data["accepted"]


def plan(tenant: Tenant, product_keys: list[str], now: datetime, volume: Volume) -> list[Planned]:
    verifications = [
        Planned(
            "verify",
            "POST",
            "/v1/keys/verify",
            tenant.org_key,
            {"key": product_keys[n % len(product_keys)], "apiId": tenant.api_id},
        )
        for n in range(VERIFICATIONS.at(volume))
    ]
    batches = [
        Planned(
            "ingest",
            "POST",
            "/v1/events",
            tenant.org_key,
            {
                "events": [
                    {
                        "event_id": f"load_{uuid.uuid4().hex}",
                        "time": (now - timedelta(milliseconds=n)).isoformat(),
                        "api_key_id": tenant.products[n % len(tenant.products)].api_key_id,
                        "endpoint": "/v1/orders",
                        "method": "GET",
                        "status": 200 if n % 10 else 503,
                        "latency_ms": 5.0 + n % 200,
                        "ip": f"198.51.100.{n % 250}",
                    }
                    for n in range(INGEST_BATCH)
                ]
            },
        )
        for _ in range(INGEST_CALLS.at(volume))
    ]
    baseline = [Planned("unauthenticated", "GET", "/v1/nowhere", None)] * BASELINE_CALLS.at(volume)
    planned = verifications + batches + baseline
    random.Random(7).shuffle(planned)
    return planned


def send(port: int, planned: Planned) -> tuple[int, float, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if planned.key:
        headers["Authorization"] = f"Bearer {planned.key}"
    body = json.dumps(planned.body) if planned.body is not None else None
    started = time.perf_counter()
    connection.request(planned.method, planned.path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    data = json.loads(payload).get("data") if payload else None
    return response.status, seconds, data if isinstance(data, dict) else {}


def send_all(port: int, planned: list[Planned]) -> tuple[Results, float, int]:
    """Every planned call, THREADS at a time; returns the results, the seconds taken and the calls left unsent."""
    results, queue, lock = Results(), list(reversed(planned)), threading.Lock()
    deadline = time.monotonic() + TIME_BOUND_S

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            results.note(item, *send(port, item))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started, len(queue)


def quantiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49], cuts[98]


def run(volume: Volume) -> None:
    template = Template()
    print(
        heading(
            11,
            f"Load run on loopback: {THREADS} threads, shuffled, bound {TIME_BOUND_S} s",
            volume,
            {
                "verifications": VERIFICATIONS,
                f"ingest calls of {INGEST_BATCH} events": INGEST_CALLS,
                "unauthenticated calls": BASELINE_CALLS,
            },
        )
    )
    now = datetime.now(UTC)
    tenant = Tenant.create(template, now)
    product_keys = [tenant.product_key] + [
        call(tenant.client, "POST", "/v1/api_keys", tenant.org_key, {"api_id": tenant.api_id, "remaining": 10**9})[
            "key_value"
        ]
        for _ in range(HOT_KEYS - 1)
    ]
    before = counted(tenant)
    server = serve(template, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        results, seconds, unsent = send_all(server.server_port, plan(tenant, product_keys, now, volume))
    finally:
        server.shutdown()
    baseline = quantiles(results.latencies["unauthenticated"])
    print(f"   {seconds:.1f} s, {unsent} calls unsent (past the bound)")
    print(
        f"   {results.valid / seconds:.0f} valid verifications/s, {results.accepted / seconds:.0f} ingested events/s"
        f" (this machine: {os.cpu_count()} cores, moto and the handlers in one process)"
    )
    for route, latencies in sorted(results.latencies.items()):
        p50, p99 = quantiles(latencies)
        print(
            f"       {route:<16}{len(latencies):6} calls  p50 {p50 * 1000:7.1f} ms ({p50 / baseline[0]:5.2f}x)"
            f"  p99 {p99 * 1000:7.1f} ms ({p99 / baseline[1]:5.2f}x)  statuses {dict(results.statuses[route])}"
        )
    server_errors = sum(count for by_status in results.statuses.values() for s, count in by_status.items() if s >= 500)
    print(
        f"   5xx answers: {server_errors}    target 0  {verdict(server_errors == 0, '5xx answers: 0', server_errors)}"
    )
    after = counted(tenant)
    found = (after[0] - before[0], after[1] - before[1])
    judged = verdict(
        found == (results.valid, results.accepted),
        "every valid verification and accepted event counted by the export",
        f"{found[0]:.0f} of {results.valid}, {found[1]:.0f} of {results.accepted}",
    )
    print(
        f"   counted by the export: {found[0]:.0f} of {results.valid} valid verifications, {found[1]:.0f} of"
        f" {results.accepted} ingested events    target: all  {judged}"
    )
