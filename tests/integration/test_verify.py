"""POST /v1/keys/verify through the local API: Unkey's outcomes in order, atomic counters, tenancy, events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind

from world import ACME, BETA


def call(client, method: str, path: str, key: str, body: dict | None = None):
    response = client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {key}"},
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )
    return response.status_code, json.loads(response.get_data())


@pytest.fixture
def setup(client, world):
    acme, beta = world.keys["acme"], world.keys["beta"]
    api = call(client, "POST", "/v1/apis", acme, {"name": "payments"})[1]["data"]["api_id"]
    other_api = call(client, "POST", "/v1/apis", beta, {"name": "beta-api"})[1]["data"]["api_id"]

    def product(key: str = acme, **fields) -> tuple[str, str]:
        status, body = call(client, "POST", "/v1/api_keys", key, {"api_id": fields.pop("api", api), **fields})
        assert status == 201, body
        return body["data"]["key_value"], body["data"]["api_key_id"]

    return world, api, other_api, product


def verify(client, caller: str, key: str, api: str, **fields) -> dict:
    status, body = call(client, "POST", "/v1/keys/verify", caller, {"key": key, "apiId": api, **fields})
    assert status == 200, body
    return body["data"]


def test_each_outcome_in_unkey_order(client, setup):
    world, api, other_api, product = setup
    acme = world.keys["acme"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    cases = {
        "VALID": product(permissions=["read"])[0],
        "DISABLED": product(is_enabled=False)[0],
        "EXPIRED": product(expires_at=past, is_enabled=False)[0],  # disabled outranks expired
        "FORBIDDEN": product(allow_ips=["10.0.0.0/8"])[0],
        "INSUFFICIENT_PERMISSIONS": product(permissions=["read"])[0],
        "USAGE_EXCEEDED": product(remaining=0)[0],
        "UNAUTHORIZED": product(key=world.keys["beta"], api=other_api)[0],
    }
    assert verify(client, acme, cases["VALID"], api, permissions=["read"])["code"] == "VALID"
    assert verify(client, acme, cases["DISABLED"], api)["code"] == "DISABLED"
    assert verify(client, acme, cases["EXPIRED"], api)["code"] == "DISABLED"
    assert verify(client, acme, product(expires_at=past)[0], api)["code"] == "EXPIRED"
    assert verify(client, acme, cases["FORBIDDEN"], api)["code"] == "FORBIDDEN"
    assert verify(client, acme, cases["FORBIDDEN"], api, ip="10.1.2.3")["code"] == "VALID"
    assert verify(client, acme, cases["INSUFFICIENT_PERMISSIONS"], api, permissions=["read", "write"])["code"] == (
        "INSUFFICIENT_PERMISSIONS"
    )
    assert verify(client, acme, cases["USAGE_EXCEEDED"], api)["code"] == "USAGE_EXCEEDED"
    other = verify(client, acme, cases["UNAUTHORIZED"], api)
    assert other["code"] == "UNAUTHORIZED" and not other["valid"]
    assert {name for name, value in other.items() if value is not None} == {"valid", "code", "requestedAt"}
    assert verify(client, acme, "kt_prd_nonsense", api)["code"] == "NOT_FOUND"
    assert verify(client, acme, world.keys["acme"], api)["code"] == "NOT_FOUND"  # not a product key


def test_credits_and_rate_limit_are_spent_only_by_valid_verifications(client, setup):
    world, api, _, product = setup
    acme = world.keys["acme"]
    key, key_id = product(remaining=5, ratelimit={"limit": 3, "duration": 3_600_000}, external_id="cust_1")
    first = verify(client, acme, key, api, cost=2)
    assert first["valid"] and first["remaining"] == 3 and first["keyId"] == key_id
    assert first["ratelimit"]["limit"] == 3 and first["ratelimit"]["remaining"] == 2
    assert first["identity"]["externalId"] == "cust_1"
    refused = verify(client, acme, key, api, cost=4)
    assert refused["code"] == "USAGE_EXCEEDED" and refused["remaining"] == 3 and refused["ratelimit"]["remaining"] == 2
    assert verify(client, acme, key, api, cost=0)["remaining"] == 3
    assert verify(client, acme, key, api, cost=3)["remaining"] == 0
    limited = verify(client, acme, key, api, cost=0)
    assert limited["code"] == "RATE_LIMITED" and limited["ratelimit"]["remaining"] == 0
    assert call(client, "GET", f"/v1/api_keys/{key_id}", acme)[1]["data"]["remaining"] == 0


def test_refill_replaces_the_balance_at_the_start_of_each_interval(client, setup):
    world, api, _, product = setup
    key, _ = product(remaining=1, refill={"interval": "daily", "amount": 10})
    assert verify(client, world.keys["acme"], key, api)["remaining"] == 0
    assert verify(client, world.keys["acme"], key, api)["code"] == "USAGE_EXCEEDED"
    # the key was last refilled yesterday: the next verification refills to 10, then spends 1
    from keytally.auth.secrets import hash_key
    from keytally.storage.dynamodb import entity_table

    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    entity_table().update_item(
        Key={"pk": f"KEY#{hash_key(key)}", "sk": "COUNTERS"},  # a product key's counters live on their own item
        UpdateExpression="SET last_refill_at = :at",
        ExpressionAttributeValues={":at": yesterday.isoformat().replace("+00:00", "Z")},
    )
    assert verify(client, world.keys["acme"], key, api)["remaining"] == 9


def test_callers_need_rights_in_the_apis_organization(client, setup):
    world, api, _, product = setup
    key, _ = product()
    status, body = call(client, "POST", "/v1/keys/verify", world.keys["beta"], {"key": key, "apiId": api})
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    status, _ = call(client, "POST", "/v1/keys/verify", world.keys["org-no-scope"], {"key": key, "apiId": api})
    assert status == 403
    assert call(client, "POST", "/v1/keys/verify", world.keys["owner"], {"key": key, "apiId": api})[0] == 200
    status, body = call(client, "POST", "/v1/keys/verify", world.keys["acme"], {"key": key})
    assert status == 422 and "apiId" in body["error"]["description"]


def test_a_product_key_does_not_open_keytallys_api(client, setup):
    _, _, _, product = setup
    key, _ = product()
    status, body = call(client, "GET", "/v1/api_keys", key)
    assert status == 401 and "verify" in body["error"]["description"]


def test_every_verification_is_recorded_in_the_apis_organization_only(client, setup):
    world, api, other_api, product = setup
    key, key_id = product(external_id="cust_9")
    beta_key, _ = product(key=world.keys["beta"], api=other_api)
    verify(client, world.keys["acme"], key, api, tags=["path/a", "path/b"])
    verify(client, world.keys["acme"], beta_key, api)
    hour = Granularity.HOUR.floor(datetime.now(UTC))
    recorded = list(raw.events_in_buckets(ACME, EventKind.VERIFICATION, [hour - timedelta(hours=1), hour]))
    by_outcome = {event.dimensions["outcome"]: event for event in recorded}
    assert set(by_outcome) == {"VALID", "UNAUTHORIZED"}
    assert by_outcome["VALID"].dimensions == {"api_id": api, "key_id": key_id, "identity": "cust_9", "outcome": "VALID"}
    assert by_outcome["VALID"].tags == ("path/a", "path/b")
    assert by_outcome["UNAUTHORIZED"].dimensions["key_id"] == ""  # beta's key id is never written into acme
    assert not list(raw.events_in_buckets(BETA, EventKind.VERIFICATION, [hour - timedelta(hours=1), hour]))


def test_verifications_spend_their_own_hourly_budget_not_the_keys_management_quota(client, setup, monkeypatch):
    world, api, _, product = setup
    limited = client.post(
        "/v1/api_keys", json={"rate_limit": 2}, headers={"Authorization": f"Bearer {world.keys['acme']}"}
    )
    caller = limited.json["data"]["key_value"]
    product_key, _ = product()
    for _ in range(3):  # more verifications than the key's management rate_limit
        status, body = call(client, "POST", "/v1/keys/verify", caller, {"key": product_key, "apiId": api})
        assert status == 200 and body["data"]["valid"] is True
    verified = client.post(
        "/v1/keys/verify", json={"key": product_key, "apiId": api}, headers={"Authorization": f"Bearer {caller}"}
    )
    assert verified.headers["X-RateLimit-Limit"] == "3600000"
    assert verified.headers["X-RateLimit-Remaining"] == str(3_600_000 - 4)
    listed = client.get("/v1/api_keys", headers={"Authorization": f"Bearer {caller}"})
    assert listed.status_code == 200 and listed.headers["X-RateLimit-Limit"] == "2"
    assert listed.headers["X-RateLimit-Remaining"] == "1"  # the verifications spent none of it

    from keytally.auth import rate_limit

    monkeypatch.setattr(rate_limit, "VERIFICATION_LIMIT", 4)  # four verifications counted already
    refused = client.post(
        "/v1/keys/verify", json={"key": product_key, "apiId": api}, headers={"Authorization": f"Bearer {caller}"}
    )
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Limit"] == "4"
    assert int(refused.headers["Retry-After"]) >= 1


def test_tags_with_commas_filter_whole_and_several_tags_keep_what_carries_them_all(client, setup):
    """Payload 2.0 joins a repeated parameter's values with commas: keytally reads the raw query string instead."""
    world, api, _, product = setup
    acme = world.keys["acme"]
    key, _ = product()
    verify(client, acme, key, api, tags=["plan:pro,eu", "path/a"])
    verify(client, acme, key, api, tags=["plan:pro"])
    verify(client, acme, key, api, tags=["path/a"])

    def total(query: str) -> int:
        status, body = call(client, "GET", f"/v1/analytics/verifications?apiId={api}&{query}", acme)
        assert status == 200, body
        return sum(point["total"] for point in body["data"])

    assert total("tag=plan:pro,eu") == 1
    assert total("tag=plan%3Apro%2Ceu") == 1  # percent-encoded, the same tag
    assert total("tag=plan:pro") == 1
    assert total("tag=path/a") == 2
    assert total("tag=path/a&tag=plan:pro,eu") == 1  # Unkey's hasAll: every tag given
    assert total("tag=path/a&tag=plan:pro") == 0
    status, body = call(client, "GET", f"/v1/analytics/verifications?apiId={api}&groupBy=tag", acme)
    assert status == 200, body
    assert {point["tag"]: point["total"] for point in body["data"]} == {"plan:pro,eu": 1, "path/a": 2, "plan:pro": 1}


def test_key_ids_repeated_or_comma_joined_are_summed_and_a_malformed_one_is_422(client, setup):
    """Unkey's v1 SDK joins an array's values with commas; no key id holds one, so `keyId=a,b` is two keys and
    never a filter that silently matches nothing."""
    world, api, _, product = setup
    acme = world.keys["acme"]
    (first, first_id), (second, second_id) = product(), product()
    for key, times in ((first, 2), (second, 3)):
        for _ in range(times):
            verify(client, acme, key, api)

    def total(query: str) -> int:
        status, body = call(client, "GET", f"/v1/analytics/verifications?apiId={api}&{query}", acme)
        assert status == 200, body
        return sum(point["total"] for point in body["data"])

    assert total(f"keyId={first_id}") == 2
    assert total(f"keyId={first_id},{second_id}") == total(f"keyId={first_id}&keyId={second_id}") == 5
    assert total(f"keyId={first_id}%2C{second_id}") == 5
    for malformed in (f"{first_id},", f"{first_id};{second_id}", "ak_x y"):
        status, body = call(client, "GET", f"/v1/analytics/verifications?apiId={api}&keyId={malformed}", acme)
        assert status == 422 and body["error"]["description"].startswith("keyId: "), (malformed, body)
