"""POST /v1/events through the local API: per-event results, idempotency, tenancy, limits, partial failure."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind

from world import ACME, BETA


def post(client, key: str, body: dict):
    response = client.post(
        "/v1/events", headers={"Authorization": f"Bearer {key}"}, data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, json.loads(response.get_data())


HOUR = Granularity.HOUR.floor(datetime.now(UTC))  # one hour for every default event, so no test straddles two


def request_log(api_key_id: str | None, **fields) -> dict:
    return {
        "event_id": f"req_{uuid.uuid4().hex}",
        "time": HOUR.isoformat(),
        "api_key_id": api_key_id,
        "endpoint": "/v1/things/{id}",
        "method": "GET",
        "status": 200,
        "latency_ms": 12.5,
        "ip": "203.0.113.9",
        **fields,
    }


def stored(org: str, hour: datetime | None = None) -> list:
    """The ingested events (keytally's own request events, one per call, have ids of their own)."""
    events = list(raw.events_in_buckets(org, EventKind.REQUEST, [Granularity.HOUR.floor(hour or HOUR)]))
    return [event for event in events if event.event_id.startswith("req_")]


def test_a_retried_batch_is_answered_duplicate_and_stored_once(client, world):
    batch = [request_log(world.ids["acme"], status=status) for status in (200, 404, 500)]
    status, body = post(client, world.keys["acme"], {"events": batch})
    assert status == 200, body
    assert body["data"]["accepted"] == 3 and body["data"]["duplicates"] == 0 and body["data"]["rejected"] == 0
    assert [r["event_id"] for r in body["data"]["results"]] == [e["event_id"] for e in batch]

    status, again = post(client, world.keys["acme"], {"events": [*batch, request_log(world.ids["acme"])]})
    assert [r["result"] for r in again["data"]["results"]] == ["duplicate"] * 3 + ["accepted"]
    events = stored(ACME)
    assert len(events) == 4
    first = next(event for event in events if event.event_id == batch[1]["event_id"])
    assert first.dimensions == {
        "source": "ingested",
        "key_id": world.ids["acme"],
        "endpoint": "/v1/things/{id}",
        "method": "GET",
        "ip": "203.0.113.9",
        "status": "404",
    }
    assert first.measures == {"latency_ms": 12.5}


def test_a_repeated_event_id_within_a_batch_counts_once(client, world):
    event = request_log(world.ids["acme"])
    _, body = post(client, world.keys["acme"], {"events": [event, {**event, "status": 500}]})
    assert [r["result"] for r in body["data"]["results"]] == ["accepted", "duplicate"]
    assert [e.dimensions["status"] for e in stored(ACME)] == ["200"]


def test_another_organizations_key_is_rejected_and_never_stored(client, world):
    foreign = request_log(world.ids["beta"])
    unknown = request_log("ak_doesnotexist")
    users = request_log(world.ids["owner"])  # a user's key belongs to no organization
    _, body = post(client, world.keys["acme"], {"events": [foreign, unknown, users, request_log(world.ids["acme"])]})
    results = body["data"]["results"]
    assert [(r["result"], r.get("reason")) for r in results[:3]] == [("rejected", "unknown_api_key")] * 3
    assert results[3]["result"] == "accepted"
    assert len(stored(ACME)) == 1 and stored(BETA) == []


def test_a_request_made_with_no_key_is_stored_under_no_key(client, world):
    without, null = request_log(world.ids["acme"]), request_log(None)
    del without["api_key_id"]
    _, body = post(client, world.keys["acme"], {"events": [without, null]})
    assert [r["result"] for r in body["data"]["results"]] == ["accepted", "accepted"]
    assert [event.dimensions["key_id"] for event in stored(ACME)] == ["", ""]
    assert stored(BETA) == []


def test_events_beyond_retention_or_ahead_of_the_clock_are_rejected(client, world):
    now = datetime.now(UTC)
    key = world.ids["acme"]
    batch = [
        request_log(key, time=(now - timedelta(days=35, minutes=1)).isoformat()),
        request_log(key, time=(now + timedelta(minutes=10)).isoformat()),
        request_log(key, time=(now - timedelta(days=34)).isoformat()),
        request_log(key, time=int((now + timedelta(minutes=2)).timestamp())),
    ]
    _, body = post(client, world.keys["acme"], {"events": batch})
    assert [(r["result"], r.get("reason"), r.get("retryable")) for r in body["data"]["results"]] == [
        ("rejected", "too_old", False),
        ("rejected", "in_the_future", False),
        ("accepted", None, None),
        ("accepted", None, None),
    ]
    assert len(stored(ACME, now - timedelta(days=34))) == 1


def test_a_malformed_batch_is_422_and_stores_nothing(client, world):
    good = request_log(world.ids["acme"])
    for bad in (
        {"status": 99},
        {"method": "FETCH"},
        {"ip": "not-an-ip"},
        {"time": "2026-11-23T10:00:00"},
        {"event_id": "has space"},
        {"latency_ms": -1},
        {"surprise": 1},
    ):
        status, body = post(client, world.keys["acme"], {"events": [good, {**request_log(world.ids["acme"]), **bad}]})
        assert status == 422, (bad, body)
        assert body["error"]["code"] == "UNPROCESSABLE_ENTITY" and "events" in body["error"]["description"]
    assert post(client, world.keys["acme"], {"events": []})[0] == 422
    assert post(client, world.keys["acme"], {"events": [good] * 1001})[0] == 422
    assert stored(ACME) == []


def test_who_may_ingest_where(client, world):
    event = request_log(world.ids["acme"])
    assert post(client, world.keys["org-no-scope"], {"events": [event]})[0] == 403
    assert post(client, world.keys["beta"], {"events": [event], "organizationSlug": ACME})[0] == 403
    assert post(client, world.keys["owner"], {"events": [event]})[0] == 422  # which organization?
    assert post(client, world.keys["nobody"], {"events": [event], "organizationSlug": ACME})[0] == 403
    status, body = post(client, world.keys["owner"], {"events": [event], "organizationSlug": ACME})
    assert status == 200 and body["data"]["accepted"] == 1
    # beta's own key writes to beta only: acme's key id is unknown there
    _, body = post(client, world.keys["beta"], {"events": [request_log(world.ids["acme"])]})
    assert body["data"]["results"][0]["reason"] == "unknown_api_key"


def test_events_neither_the_store_nor_its_spill_queue_takes_are_not_acknowledged_and_a_resend_completes(
    client, world, monkeypatch, busy_raw_table
):
    from keytally.storage import spill

    batch = [request_log(world.ids["acme"]) for _ in range(30)]
    busy_raw_table.refused = {event["event_id"] for event in batch[20:]}
    monkeypatch.setattr(spill, "send", lambda events: events)  # the queue refuses too (it takes them otherwise)
    _, body = post(client, world.keys["acme"], {"events": batch})
    assert body["data"]["accepted"] == 20 and body["data"]["rejected"] == 10
    assert {r["event_id"] for r in body["data"]["results"] if r["result"] == "rejected"} == busy_raw_table.refused
    assert all(r["reason"] == "not_stored" and r["retryable"] for r in body["data"]["results"][20:])
    assert len(stored(ACME)) == 20

    monkeypatch.undo()
    busy_raw_table.refused = set()
    _, body = post(client, world.keys["acme"], {"events": batch})
    assert body["data"]["duplicates"] == 20 and body["data"]["accepted"] == 10
    assert len(stored(ACME)) == 30


def test_a_batch_of_unknown_key_ids_is_resolved_in_a_handful_of_requests(client, world, dynamodb_calls):
    beta_key = world.ids["beta"]  # another organization's key reads exactly like an unknown one
    batch = [request_log(f"ak_unknown{n:04d}") for n in range(999)] + [request_log(beta_key)]
    post(client, world.keys["acme"], {"events": [request_log("ak_warm_up")]})  # the key's first use is recorded
    dynamodb_calls.clear()
    status, body = post(client, world.keys["acme"], {"events": batch})
    assert status == 200 and body["data"]["rejected"] == 1000
    assert {result["reason"] for result in body["data"]["results"]} == {"unknown_api_key"}
    # the caller's key 2 + ids resolved 100 at a time 10 + this call's request event 1
    assert dynamodb_calls == {"UpdateItem": 1, "BatchGetItem": 1 + 10, "BatchWriteItem": 1}
    assert stored(BETA) == [] and stored(ACME) == []


def test_a_route_template_is_what_analytics_count_a_request_under(client, world):
    logs = [request_log(world.ids["acme"], endpoint=f"/v1/orders/{n}", route="/v1/orders/{id}") for n in range(3)]
    logs.append(request_log(world.ids["acme"], endpoint="/v1/health"))
    _, body = post(client, world.keys["acme"], {"events": logs})
    assert body["data"]["accepted"] == 4
    by_id = {event.event_id: event.dimensions for event in stored(ACME)}
    assert [by_id[log["event_id"]]["endpoint"] for log in logs] == ["/v1/orders/{id}"] * 3 + ["/v1/health"]
    assert [by_id[log["event_id"]].get("path") for log in logs] == [
        "/v1/orders/0",
        "/v1/orders/1",
        "/v1/orders/2",
        None,
    ]
    window = {"start": int(HOUR.timestamp() * 1000), "end": int((HOUR + timedelta(hours=1)).timestamp() * 1000)}
    analytics = client.get(
        "/v1/analytics/api_keys", query_string=window, headers={"Authorization": f"Bearer {world.keys['acme']}"}
    ).get_json()["data"]
    assert analytics["core_metrics"]["unique_endpoints"] == 2
    routed = client.get(
        "/v1/analytics/api_keys",
        query_string={**window, "endpoint": "/v1/orders/{id}"},
        headers={"Authorization": f"Bearer {world.keys['acme']}"},
    ).get_json()["data"]
    assert routed["core_metrics"]["total_requests"] == 3
