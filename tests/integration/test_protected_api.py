"""The example protected API (examples/protected-api) through the local API, as API Gateway serves it: keytally's
authorizer before its function, API Gateway's answers when it refuses, and its access logs counted exactly by
keytally's request analytics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import Client

from devtools.protected_api import protected_api
from devtools.template import Template


def call(client, method: str, path: str, key: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = client.open(path, method=method, headers=headers, json=body)
    return response.status_code, json.loads(response.get_data() or b"null")


@pytest.fixture
def example(client, world, local_api):
    """acme's API, the example API bound to it, and a function making acme's keys there."""
    acme = world.keys["acme"]
    api = call(client, "POST", "/v1/apis", acme, {"name": "orders"})[1]["data"]["api_id"]
    served, gateway = protected_api(local_api, Template(), api)

    def product(**fields) -> tuple[str, str]:
        status, body = call(client, "POST", "/v1/api_keys", acme, {"api_id": api, **fields})
        assert status == 201, body
        return body["data"]["key_value"], body["data"]["api_key_id"]

    return Client(served), gateway, product


def test_a_valid_key_reaches_the_backend_with_its_verification(example):
    api, _, product = example
    key, key_id = product(external_id="cust_7", remaining=3)
    status, body = call(api, "GET", "/orders/1", key)
    assert status == 200 and body["item"] == "keyboard"
    assert body["servedTo"] == {"keyId": key_id, "externalId": "cust_7", "remaining": 2}


def test_api_gateways_answers_for_each_refusal(example, client, world):
    api, _, product = example
    assert call(api, "GET", "/orders") == (401, {"message": "Unauthorized"})  # no key: the authorizer never runs
    revoked, revoked_id = product()
    assert call(api, "GET", "/orders", revoked)[0] == 200
    assert call(client, "DELETE", f"/v1/api_keys/{revoked_id}", world.keys["acme"])[0] == 200
    assert call(api, "GET", "/orders", revoked) == (403, {"message": "Forbidden"})  # from the very next call
    spent, _ = product(remaining=1)
    limited, _ = product(ratelimit={"limit": 1, "duration": 3_600_000})
    for key in (spent, limited):
        assert [call(api, "GET", "/orders", key)[0] for _ in range(2)] == [200, 403]
    reader, _ = product(permissions=["orders.read"])
    writer, _ = product(permissions=["orders.write"], remaining=5)
    assert call(api, "DELETE", "/orders/2", reader) == (403, {"message": "Forbidden"})  # the route asks orders.write
    status, body = call(api, "DELETE", "/orders/2", writer)
    assert status == 200 and body["servedTo"]["remaining"] == 0  # it costs 5 credits


def test_each_call_counts_exactly_in_request_analytics(example, client, world):
    api, gateway, product = example
    start = datetime.now(UTC) - timedelta(minutes=1)
    first, first_id = product()
    second, second_id = product(permissions=["orders.read"])
    calls = [("GET", "/orders", first)] * 4 + [("GET", "/orders/2", second)] * 3 + [("GET", "/orders/9", second)]
    calls += [("DELETE", "/orders/1", second), ("GET", "/orders", None), ("GET", "/orders", "kt_prd_nosuchkey")]
    statuses = [call(api, method, path, key)[0] for method, path, key in calls]
    assert statuses == [200] * 7 + [404, 403, 401, 403]
    assert gateway.flush() == len(calls)
    window = {"start": int(start.timestamp() * 1000), "end": int((start + timedelta(minutes=5)).timestamp() * 1000)}
    response = client.get(
        "/v1/analytics/api_keys", query_string=window, headers={"Authorization": f"Bearer {world.keys['acme']}"}
    )
    data = response.get_json()["data"]
    assert data["core_metrics"]["total_requests"] == 11 and data["core_metrics"]["total_errors"] == 4
    used = {row["api_key_id"]: row["usage_count"] for row in data["most_used_api_keys"] if not row["other"]}
    assert used == {first_id: 4, second_id: 4}  # refused calls carry no key: the authorizer let nothing through
    assert data["core_metrics"]["unique_endpoints"] == 2  # /orders and /orders/{id}
    assert gateway.flush() == 0
