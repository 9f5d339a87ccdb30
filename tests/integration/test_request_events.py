"""Every authenticated call to keytally's own API leaves one `request` event in the organization it acted in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from keytally.settings import get_settings
from keytally.storage import events as raw
from keytally.storage.dynamodb import table
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind

from world import ACME, BETA


def call(client, method: str, path: str, key: str | None, body: dict | None = None, **params):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = client.open(
        path,
        method=method,
        headers=headers,
        query_string=params,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )
    return response.status_code


def request_events(org: str, kind: EventKind = EventKind.REQUEST) -> list:
    """This hour's and the last, so a call made just before the hour turned is still found."""
    hour = Granularity.HOUR.floor(datetime.now(UTC))
    return list(raw.events_in_buckets(org, kind, [hour - timedelta(hours=1), hour]))


def test_each_authenticated_call_is_recorded_with_its_route_status_and_caller(client, world):
    assert call(client, "GET", f"/v1/api_keys/{world.ids['acme']}", world.keys["acme"]) == 200
    assert call(client, "GET", "/v1/api_keys/ak_missing", world.keys["acme"]) == 404
    assert call(client, "POST", "/v1/apis", world.keys["acme"], {"name": 7}) == 422
    events = sorted(request_events(ACME), key=lambda event: event.dimensions["status"])
    assert [(e.dimensions["endpoint"], e.dimensions["method"], e.dimensions["status"]) for e in events] == [
        ("/v1/api_keys/{api_key_id}", "GET", "200"),
        ("/v1/api_keys/{api_key_id}", "GET", "404"),
        ("/v1/apis", "POST", "422"),
    ]
    assert {e.dimensions["key_id"] for e in events} == {world.ids["acme"]}
    assert all(e.dimensions["ip"] == "127.0.0.1" and e.measures["latency_ms"] > 0 for e in events)
    assert {e.dimensions["source"] for e in events} == {"keytally"}
    assert request_events(BETA) == []


def test_calls_that_are_not_authenticated_leave_nothing(client, world):
    assert call(client, "GET", "/v1/api_keys", None) == 401
    assert call(client, "GET", "/v1/api_keys", "kt_org_" + "x" * 43) == 401
    assert call(client, "GET", "/v1/api_keys", world.keys["org-revoked"]) == 401
    assert call(client, "GET", "/v1/nowhere", world.keys["acme"]) == 404
    assert request_events(ACME) == []


def test_a_users_call_counts_in_the_organization_it_acted_in(client, world):
    assert call(client, "GET", "/v1/api_keys", world.keys["both"], organizationSlug=BETA) == 403  # member role
    assert call(client, "GET", "/v1/api_keys", world.keys["both"], organizationSlug=ACME) == 200
    assert call(client, "GET", "/v1/api_keys", world.keys["both"]) == 200  # the user's keys across organizations
    assert [(e.dimensions["key_id"], e.dimensions["status"]) for e in request_events(ACME)] == [
        (world.ids["both"], "200")
    ]
    assert [e.dimensions["status"] for e in request_events(BETA)] == ["403"]


def test_a_call_into_a_foreign_organization_counts_only_in_the_callers_own(client, world):
    assert call(client, "GET", "/v1/api_keys", world.keys["beta"], organizationSlug=ACME) == 403
    assert call(client, "GET", "/v1/apis", world.keys["nobody"], organizationSlug=ACME) == 403
    assert call(client, "GET", f"/v1/api_keys/{world.ids['acme']}", world.keys["beta"]) == 404
    assert request_events(ACME) == []
    assert sorted(e.dimensions["status"] for e in request_events(BETA)) == ["403", "404"]  # beta's own key


def test_a_verification_and_its_request_event_are_one_item(client, world, dynamodb_calls):
    acme = world.keys["acme"]
    api = json.loads(
        client.post("/v1/apis", headers={"Authorization": f"Bearer {acme}"}, json={"name": "payments"}).get_data()
    )["data"]["api_id"]
    product = json.loads(
        client.post(
            "/v1/api_keys", headers={"Authorization": f"Bearer {acme}"}, json={"api_id": api, "remaining": 10}
        ).get_data()
    )["data"]["key_value"]
    call(client, "POST", "/v1/keys/verify", acme, {"key": product, "apiId": api})  # warms caches, last_used_at
    dynamodb_calls.clear()
    assert call(client, "POST", "/v1/keys/verify", acme, {"key": product, "apiId": api}) == 200
    # three round trips: the caller's key and the verified key with its counters (one BatchGetItem; the caller's
    # verification budget is counted in the container, written every 50th), UpdateItem of the counters, one event
    # write
    assert dynamodb_calls == {"BatchGetItem": 1, "UpdateItem": 1, "BatchWriteItem": 1}
    dynamodb_calls.clear()
    from keytally.auth.secrets import generate_key
    from keytally.models import KeyKind

    missing = generate_key(KeyKind.PRODUCT)  # well-formed, never issued
    body = json.loads(
        client.post(
            "/v1/keys/verify", headers={"Authorization": f"Bearer {acme}"}, json={"key": missing, "apiId": api}
        ).get_data()
    )
    assert body["data"]["code"] == "NOT_FOUND"
    assert dynamodb_calls["BatchGetItem"] == 1  # read as absent with the caller's key, not read again
    verifications = request_events(ACME, EventKind.VERIFICATION)
    assert len(verifications) == 3
    assert len(request_events(ACME)) == 5  # POST /v1/apis, POST /v1/api_keys, three verifications
    # each verify call's request event is stored on its verification's item: five items, not eight
    stored = table(get_settings().events_table).scan()["Items"]
    assert sorted(item["kind"] for item in stored if "kind" in item) == ["request"] * 2 + ["verification"] * 3
    carried = [event.served_request for event in verifications if event.served_request is not None]
    assert {(e.dimensions["endpoint"], e.dimensions["status"]) for e in carried} == {("/v1/keys/verify", "200")}
    assert {e.event_id for e in carried} <= {e.event_id for e in request_events(ACME)}
