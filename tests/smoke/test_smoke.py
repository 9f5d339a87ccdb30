"""The README's flow against a running keytally (tests/smoke/conftest.py says which): an API, a product key with
credits, its verifications and their analytics, request logs and theirs, the Prometheus export, revocation. It leaves
one API named `smoke-...` in the organization (APIs are not deleted) and one revoked key. Run it after a deploy:
`KEYTALLY_URL=<ApiUrl> KEYTALLY_ORG_KEY=<an organization key> make smoke`."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

WAIT_SECONDS = 30  # what a deployment's eventually consistent reads may take to show a write


def call(base: str, key: str, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read().decode()
            return response.status, json.loads(raw) if raw.startswith(("{", "[")) else raw
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def eventually(read: Callable[[], Any], wanted: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = read()
        if wanted(found) or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_the_readme_flow(deployment):
    base, org_key = deployment
    started = datetime.now(UTC) - timedelta(seconds=5)
    window = f"start={int(started.timestamp() * 1000)}&end={int((started + timedelta(hours=1)).timestamp() * 1000)}"
    status, spec = call(base, org_key, "GET", "/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")

    status, api = call(base, org_key, "POST", "/v1/apis", {"name": f"smoke-{uuid.uuid4().hex[:8]}"})
    assert status == 201, api
    api_id = api["data"]["api_id"]
    status, key = call(base, org_key, "POST", "/v1/api_keys", {"api_id": api_id, "remaining": 2, "external_id": "s"})
    assert status == 201, key
    product, product_id = key["data"]["key_value"], key["data"]["api_key_id"]

    codes = [
        call(base, org_key, "POST", "/v1/keys/verify", {"key": product, "apiId": api_id})[1]["data"]["code"]
        for _ in range(3)
    ]
    assert codes == ["VALID", "VALID", "USAGE_EXCEEDED"]
    counted = eventually(
        lambda: call(base, org_key, "GET", f"/v1/analytics/verifications?apiId={api_id}&{window}")[1]["data"],
        lambda rows: sum(row["total"] for row in rows) == 3,
    )
    assert [(row["valid"], row["usageExceeded"]) for row in counted] == [(2, 1)]

    events = [
        {
            "event_id": f"smoke_{uuid.uuid4().hex}",
            "time": datetime.now(UTC).isoformat(),
            "api_key_id": product_id,
            "endpoint": "/smoke",
            "method": "GET",
            "status": served,
            "latency_ms": 12.5,
            "ip": "198.51.100.1",
        }
        for served in (200, 500)
    ]
    status, ingested = call(base, org_key, "POST", "/v1/events", {"events": events})
    assert status == 200 and ingested["data"]["accepted"] == 2, ingested
    requests = eventually(
        lambda: call(base, org_key, "GET", f"/v1/analytics/api_keys?apiKeyId={product_id}&{window}")[1]["data"],
        lambda data: data["core_metrics"]["total_requests"] == 2,
    )
    assert (requests["core_metrics"]["total_requests"], requests["core_metrics"]["total_errors"]) == (2, 1)

    status, scraped = call(base, org_key, "GET", "/v1/metrics")
    assert status == 200 and f'api_id="{api_id}"' in scraped and "keytally_verifications_total" in scraped

    assert call(base, org_key, "DELETE", f"/v1/api_keys/{product_id}")[0] == 200
    revoked = call(base, org_key, "POST", "/v1/keys/verify", {"key": product, "apiId": api_id})[1]
    assert revoked["data"]["code"] == "NOT_FOUND"
