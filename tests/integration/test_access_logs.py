"""Protected gateways' access logs, delivered as a CloudWatch Logs subscription delivers them (gzip, base64, thousands
of log events at once): stored as the request events POST /v1/events stores, in the bound API's organization, once
however often a delivery comes, and counted exactly by request analytics."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gateway_calls import bind, deliver
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families as parse_text

from devtools.cloudwatch_logs import subscription_event
from keytally import admin
from keytally.api_keys.models import CreateApiKey
from keytally.errors import ServiceUnavailable

from world import ACME, BETA

ROUTES = [("GET", "/orders", "/orders"), ("GET", "/orders/{id}", "/orders/{n}"), ("POST", "/orders", "/orders")]


def log_line(gateway: str, key_id: str | None, at: datetime, rng: random.Random) -> dict[str, str]:
    """A line of the documented access log format, as API Gateway writes it (strings; `-` for no value)."""
    method, route, path = rng.choice(ROUTES)
    return {
        "requestId": uuid.uuid4().hex[:16] + "=",
        "apiId": gateway,
        "routeKey": f"{method} {route}",
        "path": path.replace("{n}", str(rng.randrange(1000))),
        "httpMethod": method,
        "status": str(rng.choice([200, 200, 200, 201, 403, 404, 500])),
        "responseLatency": str(rng.randrange(1, 900)),
        "requestTimeEpoch": str(int(at.timestamp() * 1000)),
        "sourceIp": f"203.0.113.{rng.randrange(1, 255)}",
        "keyId": key_id or "-",
    }


@pytest.fixture
def gateway(world):
    """acme's API bound to a gateway, with three keys; beta's key; the window the lines fall in."""
    now = datetime.now(UTC).replace(microsecond=0)
    api = admin.create_api(ACME, "orders", now - timedelta(days=1))
    keys = [admin.create_key(CreateApiKey(api_id=api.api_id), now)[0].api_key_id for _ in range(3)]
    beta_api = admin.create_api(BETA, "beta", now - timedelta(days=1))
    beta_key = admin.create_key(CreateApiKey(api_id=beta_api.api_id), now)[0].api_key_id
    gateway_id = f"gw{uuid.uuid4().hex[:8]}"
    bind(gateway_id, {"apiId": api.api_id})
    return gateway_id, keys, beta_key, now


def analytics(client, key: str, start: datetime, end: datetime, **params) -> dict:
    window = {"start": int(start.timestamp() * 1000), "end": int(end.timestamp() * 1000)}
    response = client.get(
        "/v1/analytics/api_keys", query_string=window | params, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["data"]


def used(data: dict) -> dict[str, int]:
    """Requests per key, from the top keys (the keys here are fewer than `limit`: each has its row)."""
    return {row["api_key_id"]: row["usage_count"] for row in data["most_used_api_keys"] if not row["other"]}


def test_each_logged_request_counts_once_in_request_analytics(client, world, gateway):
    gateway_id, keys, _, now = gateway
    rng = random.Random(7)
    lines = [log_line(gateway_id, rng.choice([*keys, None]), now - timedelta(minutes=rng.randrange(50)), rng)]
    lines += [log_line(gateway_id, rng.choice([*keys, None]), now - timedelta(minutes=rng.randrange(50)), rng)]
    lines += [log_line(gateway_id, rng.choice([*keys, None]), now - timedelta(seconds=n), rng) for n in range(58)]
    result = deliver([json.dumps(line) for line in lines])
    assert result == {"accepted": 60, "duplicates": 0, "skipped": {}}

    data = analytics(client, world.keys["acme"], now - timedelta(hours=1), now + timedelta(minutes=1))
    assert data["core_metrics"]["total_requests"] == 60
    assert data["core_metrics"]["total_success"] == sum(int(line["status"]) < 400 for line in lines)
    assert data["core_metrics"]["unique_endpoints"] == 2  # counted under the route: /orders and /orders/{id}
    assert used(data) == {key_id: sum(line["keyId"] == key_id for line in lines) for key_id in keys}
    one = analytics(client, world.keys["acme"], now - timedelta(hours=1), now + timedelta(minutes=1), apiKeyId=keys[0])
    assert one["core_metrics"]["total_requests"] == sum(line["keyId"] == keys[0] for line in lines)


def test_a_delivery_made_again_stores_nothing_twice(client, world, gateway):
    gateway_id, keys, _, now = gateway
    rng = random.Random(3)
    messages = [json.dumps(log_line(gateway_id, keys[0], now - timedelta(seconds=n), rng)) for n in range(40)]
    assert deliver(messages)["accepted"] == 40
    assert deliver(messages) == {"accepted": 0, "duplicates": 40, "skipped": {}}
    fresh = [json.dumps(log_line(gateway_id, keys[0], now - timedelta(seconds=n), rng)) for n in range(5)]
    assert deliver(fresh + fresh) == {"accepted": 5, "duplicates": 5, "skipped": {}}  # a line twice: one request
    data = analytics(client, world.keys["acme"], now - timedelta(hours=1), now + timedelta(minutes=1))
    assert data["core_metrics"]["total_requests"] == 45


def test_what_cannot_be_counted_is_skipped_with_its_reason_and_the_rest_stored(client, world, gateway):
    gateway_id, keys, beta_key, now = gateway
    rng = random.Random(5)
    good = [log_line(gateway_id, keys[1], now, rng) for _ in range(5)]
    messages = [json.dumps(line) for line in good] + [
        "not json at all",
        json.dumps({"requestId": "x"}),  # not the format
        json.dumps(log_line(gateway_id, keys[1], now, rng) | {"status": "-"}),
        json.dumps(log_line("gwunbound", keys[1], now, rng)),
        json.dumps(log_line(gateway_id, beta_key, now, rng)),  # another organization's key: never counted here
        json.dumps(log_line(gateway_id, keys[1], now - timedelta(days=40), rng)),
        json.dumps(log_line(gateway_id, keys[1], now + timedelta(hours=1), rng)),
    ]
    result = deliver(messages)
    assert result["accepted"] == 5
    assert result["skipped"] == {
        "not_the_access_log_format": 3,
        "gateway_not_bound": 1,
        "unknown_api_key": 1,
        "too_old": 1,
        "in_the_future": 1,
    }
    acme = analytics(client, world.keys["acme"], now - timedelta(hours=1), now + timedelta(minutes=1))
    assert acme["core_metrics"]["total_requests"] == 5
    beta = analytics(client, world.keys["beta"], now - timedelta(hours=1), now + timedelta(minutes=1))
    assert beta["core_metrics"]["total_requests"] == 0


def test_a_delivery_the_store_cannot_take_raises_and_its_retry_completes_it(
    client, world, gateway, monkeypatch, busy_raw_table
):
    from keytally.storage import spill

    gateway_id, keys, _, now = gateway
    rng = random.Random(11)
    lines = [log_line(gateway_id, keys[2], now - timedelta(seconds=n), rng) for n in range(30)]
    busy_raw_table.refused = {line["requestId"] for line in lines[20:]}
    monkeypatch.setattr(spill, "send", lambda events: events)  # the spill queue refuses too
    with pytest.raises(ServiceUnavailable):  # Lambda invokes the function with the delivery again
        deliver([json.dumps(line) for line in lines])
    monkeypatch.undo()
    busy_raw_table.refused = set()
    assert deliver([json.dumps(line) for line in lines]) == {"accepted": 10, "duplicates": 20, "skipped": {}}
    data = analytics(client, world.keys["acme"], now - timedelta(hours=1), now + timedelta(minutes=1))
    assert data["core_metrics"]["total_requests"] == 30


def test_a_delivery_of_ten_thousand_log_events_counts_each_once_and_again_nothing(client, world, gateway):
    gateway_id, keys, _, now = gateway
    rng = random.Random(10_000)
    lines = [
        log_line(gateway_id, rng.choice([*keys, None]), now - timedelta(seconds=n % 3000), rng) for n in range(10_000)
    ]
    messages = [json.dumps(line) for line in lines]
    assert len(subscription_event("/aws/apigateway/protected-api", messages)["awslogs"]["data"]) < 1_500_000
    assert deliver(messages) == {"accepted": 10_000, "duplicates": 0, "skipped": {}}
    assert deliver(messages) == {"accepted": 0, "duplicates": 10_000, "skipped": {}}
    data = analytics(client, world.keys["acme"], now - timedelta(hours=1), now + timedelta(minutes=1))
    assert data["core_metrics"]["total_requests"] == 10_000
    assert used(data) == {key_id: sum(line["keyId"] == key_id for line in lines) for key_id in keys}


def test_logged_requests_count_in_organization_metrics_and_the_prometheus_export(client, world, gateway):
    gateway_id, keys, _, now = gateway
    acme = {"Authorization": f"Bearer {world.keys['acme']}"}

    def views() -> tuple[int, float]:
        metrics = client.post("/v1/organizations/metrics", headers=acme, json={"organizationSlug": ACME}).get_json()
        scraped = client.get("/v1/metrics", headers=acme).get_data(as_text=True)
        ingested = sum(
            sample.value
            for family in parse_text(scraped)
            for sample in family.samples
            if sample.name == "keytally_requests_total" and sample.labels["source"] == "ingested"
        )
        return metrics["data"]["requests"]["total"], ingested

    before = views()
    rng = random.Random(17)
    lines = [log_line(gateway_id, rng.choice([*keys, None]), now - timedelta(seconds=n), rng) for n in range(25)]
    assert deliver([json.dumps(line) for line in lines])["accepted"] == 25
    assert views() == (before[0] + 25, before[1] + 25)


FIELDS = ["requestId", "apiId", "routeKey", "path", "httpMethod", "status", "responseLatency", "requestTimeEpoch"]
ODD_VALUES = st.one_of(
    st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(), st.just("-")
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from([*FIELDS, "sourceIp", "keyId"]), ODD_VALUES, min_size=1))
@example(changes={"requestTimeEpoch": 253_402_300_800_000})  # the year 10000: the whole delivery failed
def test_a_line_with_odd_values_is_stored_or_skipped_never_an_error(gateway, changes):
    gateway_id, keys, _, now = gateway
    line = log_line(gateway_id, keys[0], now, random.Random(1)) | {"requestId": uuid.uuid4().hex} | changes
    result = deliver([json.dumps(line)])
    assert result["accepted"] + result["duplicates"] + sum(result["skipped"].values()) == 1
