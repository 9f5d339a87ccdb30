"""Unkey's API through the local API: keys.verifyKey in v1's and v2's shapes, with keytally keys as root keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devtools.template import Template
from keytally.auth.secrets import hash_key
from keytally.storage import api_keys
from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind

from world import ACME, BETA


def call(client, path: str, root_key: str | None, body: dict) -> tuple[int, dict, dict]:
    headers = {"Authorization": f"Bearer {root_key}"} if root_key else {}
    response = client.post(path, headers=headers, data=json.dumps(body), content_type="application/json")
    return response.status_code, json.loads(response.get_data()), dict(response.headers)


@pytest.fixture
def acme_api(client, world):
    def keytally(path: str, body: dict) -> dict:
        answer = call(client, path, world.keys["acme"], body)
        assert answer[0] == 201, answer
        return answer[1]["data"]

    api = keytally("/v1/apis", {"name": "payments"})["api_id"]

    def product(**fields) -> tuple[str, str]:
        issued = keytally("/v1/api_keys", {"api_id": api, **fields})
        return issued["key_value"], issued["api_key_id"]

    return api, product


def v2(client, root_key: str | None, body: dict) -> tuple[int, dict, dict]:
    return call(client, "/v2/keys.verifyKey", root_key, body)


def test_v2_verifies_in_the_keys_own_api_and_answers_in_unkeys_envelope(client, world, acme_api):
    _, product = acme_api
    key, key_id = product(remaining=10, permissions=["read", "write"], external_id="cust_1", description="ci")
    status, body, headers = v2(client, world.keys["acme"], {"key": key, "credits": {"cost": 3}, "tags": ["a"]})
    assert status == 200, body
    assert body["meta"]["requestId"] == headers["Unkey-Request-Id"] == headers["X-Request-Id"]
    data = body["data"]
    assert data["valid"] is True and data["code"] == "VALID" and data["keyId"] == key_id
    assert data["credits"] == 7 and data["name"] == "ci" and data["enabled"] is True
    assert data["identity"]["externalId"] == "cust_1" and sorted(data["permissions"]) == ["read", "write"]
    assert None not in data.values()  # absent, not null: the SDK's schemas refuse null


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("read AND write", "VALID"),
        ("read AND admin", "INSUFFICIENT_PERMISSIONS"),
        ("admin OR write", "VALID"),
        ("admin OR read AND write", "VALID"),
        ("(admin OR read) AND deploy", "INSUFFICIENT_PERMISSIONS"),
    ],
)
def test_v2_permission_queries(client, world, acme_api, query, code):
    key, _ = acme_api[1](permissions=["read", "write"])
    status, body, _ = v2(client, world.keys["acme"], {"key": key, "permissions": query})
    assert status == 200 and body["data"]["code"] == code, body


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"key": "x", "apiId": "api_1"}, "body.apiId"),  # v2 has no apiId: the key's own API
        ({"key": "x", "permissions": "read AND"}, "body.permissions"),
        ({}, "body.key"),
    ],
)
def test_v2_invalid_input_is_a_400_listing_each_field(client, world, body, location):
    status, answer, _ = v2(client, world.keys["acme"], body)
    assert status == 400, answer
    error = answer["error"]
    assert error["status"] == 400 and error["title"] == "Bad Request" and error["type"].endswith("/invalid_input")
    assert [problem["location"] for problem in error["errors"]] == [location]
    assert answer["meta"]["requestId"]


def test_v2_root_keys_missing_unknown_and_without_the_scope(client, world):
    body = {"key": "x"}
    for root_key in (None, "kt_nosuchkey"):
        status, answer, _ = v2(client, root_key, body)
        assert status == 401 and answer["error"]["title"] == "Unauthorized" and "errors" not in answer["error"]
    no_scope = v2(client, world.keys["org-no-scope"], body)
    assert no_scope[0] == 403 and no_scope[1]["error"]["type"].endswith("/insufficient_permissions")


def test_v2_tenancy_per_credential_kind(client, world, acme_api):
    """Another organization's root key, or a user without access to the key's organization, finds nothing and
    spends nothing; a user key of the organization's owner verifies as the organization's key does."""
    key, _ = acme_api[1](remaining=5)
    for outsider in ("beta", "nobody"):
        status, body, _ = v2(client, world.keys[outsider], {"key": key})
        assert status == 200 and body["data"] == {"valid": False, "code": "NOT_FOUND"}, (outsider, body)
    for insider, left in (("owner", 4), ("acme", 3)):
        status, body, _ = v2(client, world.keys[insider], {"key": key})
        assert body["data"]["code"] == "VALID" and body["data"]["credits"] == left, (insider, body)
    token, read_only = (issue_token(client, world.keys["owner"], read_only=flag) for flag in (False, True))
    assert v2(client, token, {"key": key})[1]["data"]["credits"] == 2  # a personal access token, as its user
    status, body, _ = v2(client, read_only, {"key": key})  # verifying spends: not for a read-only token
    assert status == 403 and body["error"]["status"] == 403
    assert v2(client, token, {"key": key})[1]["data"]["credits"] == 1


def issue_token(client, user_key: str, read_only: bool) -> str:
    body = {"name": "sdk", "read_only": read_only}
    status, answer, _ = call(client, "/v1/personal-access-tokens", user_key, body)
    assert status == 201, answer
    return answer["data"]["access_token"]


def test_v2_a_revoked_key_is_not_found(client, world, acme_api):
    key, key_id = acme_api[1]()
    revoked = client.delete(f"/v1/api_keys/{key_id}", headers={"Authorization": f"Bearer {world.keys['acme']}"})
    assert revoked.status_code in (200, 204)
    assert v2(client, world.keys["acme"], {"key": key})[1]["data"] == {"valid": False, "code": "NOT_FOUND"}


def test_v2_rate_limits_by_name(client, world, acme_api):
    key, _ = acme_api[1](ratelimit={"limit": 1, "duration": 60_000})
    first = v2(client, world.keys["acme"], {"key": key, "ratelimits": [{"name": "default"}]})[1]["data"]
    assert first["code"] == "VALID"
    (limit,) = first["ratelimits"]
    assert limit["name"] == "default" and limit["limit"] == 1 and limit["remaining"] == 0 and not limit["exceeded"]
    second = v2(client, world.keys["acme"], {"key": key})[1]["data"]
    assert second["code"] == "RATE_LIMITED" and second["ratelimits"][0]["exceeded"] is True
    for asked in ({"name": "burst"}, {"name": "default", "cost": 2}, {"name": "default", "limit": 5}):
        status, body, _ = v2(client, world.keys["acme"], {"key": key, "ratelimits": [asked]})
        assert status == 400 and body["error"]["errors"][0]["location"].startswith("body.ratelimits.0."), body
    status, body, _ = v2(client, world.keys["acme"], {"key": key, "migrationId": "m1"})
    assert status == 400 and "migrationId" in body["error"]["detail"]


def test_v1_verify_key_bare_body_and_unkeys_codes(client, world, acme_api):
    api, product = acme_api
    key, key_id = product(permissions=["read", "write"], remaining=2)
    acme = world.keys["acme"]
    status, body, headers = call(client, "/v1/keys.verifyKey", acme, {"key": key, "apiId": api})
    assert status == 200 and body["valid"] is True and body["code"] == "VALID" and body["keyId"] == key_id
    assert body["remaining"] == 1 and body["requestId"] == headers["Unkey-Request-Id"]
    asked = {"key": key, "authorization": {"permissions": {"and": ["read", {"or": ["admin", "write"]}]}}}
    assert call(client, "/v1/keys.verifyKey", acme, asked)[1]["code"] == "VALID"  # apiId optional
    other_api = call(client, "/v1/apis", acme, {"name": "other"})[1]["data"]["api_id"]
    other = call(client, "/v1/keys.verifyKey", acme, {"key": key, "apiId": other_api})[1]
    assert other == {"valid": False, "code": "FORBIDDEN", "requestId": other["requestId"]}


def test_permission_queries_nested_too_deep_are_a_400(client, world):
    deep: object = "read"
    for _ in range(12):
        deep = {"and": [deep]}
    asked = {"key": "x", "authorization": {"permissions": deep}}
    status, body, _ = call(client, "/v1/keys.verifyKey", world.keys["acme"], asked)
    assert status == 400 and "nested deeper" in body["error"]["message"], body
    text = "(" * 12 + "read" + ")" * 12
    status, body, _ = v2(client, world.keys["acme"], {"key": "x", "permissions": text})
    assert status == 400 and body["error"]["errors"][0]["location"] == "body.permissions", body


def test_v1_errors_in_unkeys_shape(client, world):
    status, body, _ = call(client, "/v1/keys.verifyKey", world.keys["acme"], {"apiId": "api_x"})
    assert status == 400
    assert body["error"]["code"] == "BAD_REQUEST" and body["error"]["message"].startswith("body.key: ")
    assert body["error"]["docs"].endswith("/BAD_REQUEST") and body["error"]["requestId"]
    status, body, _ = call(client, "/v1/keys.verifyKey", None, {"key": "x"})
    assert status == 401 and body["error"]["code"] == "UNAUTHORIZED"
    status, body, _ = call(client, "/v1/keys.verifyKey", world.keys["acme"], {"key": "x", "apiId": "api_nope"})
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    bad_query = {"key": "x", "authorization": {"permissions": {"xor": ["a"]}}}
    status, body, _ = call(client, "/v1/keys.verifyKey", world.keys["acme"], bad_query)
    assert status == 400 and "permissions" in body["error"]["message"]


def test_verifications_count_in_the_keys_organization_only(client, world, acme_api):
    """A verification asked without an API is counted in the key's API, as one asked with it; an outsider's finds
    nothing and is counted nowhere (there is no API of its to count it under)."""
    api, product = acme_api
    key, key_id = product()
    for _ in range(3):
        assert v2(client, world.keys["acme"], {"key": key})[1]["data"]["code"] == "VALID"
    assert v2(client, world.keys["beta"], {"key": key})[1]["data"]["code"] == "NOT_FOUND"
    hour = Granularity.HOUR.floor(datetime.now(UTC))
    buckets = [hour - timedelta(hours=1), hour]
    recorded = list(raw.events_in_buckets(ACME, EventKind.VERIFICATION, buckets))
    assert [(event.dimensions["api_id"], event.dimensions["key_id"]) for event in recorded] == [(api, key_id)] * 3
    assert not list(raw.events_in_buckets(BETA, EventKind.VERIFICATION, buckets))


def test_v2_a_split_key_is_verified_in_its_own_api(client, world, acme_api):
    """A hot key's counters are split over items (docs/architecture.md): asked without an API, it is read once to
    find its own, then decided as any split key."""
    key, key_id = acme_api[1](remaining=3, counter_shards=2)
    spent = [v2(client, world.keys["acme"], {"key": key})[1]["data"] for _ in range(4)]
    assert [answer["code"] for answer in spent] == ["VALID"] * 3 + ["USAGE_EXCEEDED"]
    assert spent[0]["keyId"] == key_id and spent[-1]["credits"] == 0
    assert v2(client, world.keys["beta"], {"key": key})[1]["data"] == {"valid": False, "code": "NOT_FOUND"}


def get(client, path: str, root_key: str, **query) -> tuple[int, dict]:
    response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {root_key}"})
    return response.status_code, json.loads(response.get_data())


def test_keys_and_apis_read_in_both_versions(client, world, acme_api):
    api, product = acme_api
    key, key_id = product(
        remaining=5, permissions=["read"], external_id="cust_2", description="billing", ratelimit={"limit": 9,
        "duration": 1000}
    )  # fmt: skip
    acme = world.keys["acme"]
    status, v1_key = get(client, "/v1/keys.getKey", acme, keyId=key_id)
    assert status == 200 and v1_key["id"] == key_id and v1_key["apiId"] == api and v1_key["workspaceId"] == ACME
    assert (v1_key["name"], v1_key["ownerId"], v1_key["remaining"], v1_key["permissions"]) == (
        "billing", "cust_2", 5, ["read"]
    )  # fmt: skip
    assert v1_key["ratelimit"]["limit"] == 9 and v1_key["ratelimit"]["async"] is False
    assert key.startswith(v1_key["start"])
    status, v2_key, _ = call(client, "/v2/keys.getKey", acme, {"keyId": key_id})
    data = v2_key["data"]
    assert status == 200 and data["keyId"] == key_id and data["credits"] == {"remaining": 5}
    assert data["identity"]["externalId"] == "cust_2" and data["ratelimits"][0]["name"] == "default"
    assert None not in data.values() and isinstance(data["createdAt"], int)
    assert get(client, "/v1/apis.getApi", acme, apiId=api)[1] == {"id": api, "workspaceId": ACME, "name": "payments"}
    assert call(client, "/v2/apis.getApi", acme, {"apiId": api})[1]["data"] == {"id": api, "name": "payments"}


def test_reads_reveal_nothing_across_organizations_or_of_other_kinds_of_key(client, world, acme_api):
    api, product = acme_api
    _, key_id = product()
    for path, root_key, asked in (
        ("/v1/keys.getKey", world.keys["beta"], {"keyId": key_id}),
        ("/v1/keys.getKey", world.keys["acme"], {"keyId": world.ids["acme"]}),  # an organization key: not Unkey's
        ("/v1/apis.getApi", world.keys["beta"], {"apiId": api}),
    ):
        status, body = get(client, path, root_key, **asked)
        assert status == 404 and body["error"]["code"] == "NOT_FOUND", (path, body)
    status, body, _ = call(client, "/v2/keys.getKey", world.keys["beta"], {"keyId": key_id})
    assert status == 404 and body["error"]["type"].endswith("/data/key_not_found")
    status, body, _ = call(client, "/v2/apis.getApi", world.keys["nobody"], {"apiId": api})
    assert status == 404 and body["error"]["type"].endswith("/data/api_not_found")
    status, body, _ = call(client, "/v2/keys.getKey", world.keys["acme"], {"keyId": key_id, "decrypt": True})
    assert status == 400 and body["error"]["errors"][0]["location"] == "body.decrypt"


def test_delete_revokes_at_once_and_is_refused_where_it_may_not(client, world, acme_api):
    _, product = acme_api
    acme = world.keys["acme"]
    for path in ("/v1/keys.deleteKey", "/v2/keys.deleteKey"):
        key, key_id = product()
        assert call(client, path, world.keys["beta"], {"keyId": key_id})[0] == 404  # another organization's
        read_only = world.keys["org-no-scope"]  # analytics:read only
        assert call(client, path, read_only, {"keyId": key_id})[0] == 403
        status, body, _ = call(client, path, acme, {"keyId": key_id, "permanent": True})
        assert status == 400 and "body.permanent" in json.dumps(body), body
        assert v2(client, acme, {"key": key})[1]["data"]["code"] == "VALID"
        status, body, _ = call(client, path, acme, {"keyId": key_id})
        assert status == 200 and (body == {} if path.startswith("/v1/") else body["data"] == {}), body
        assert v2(client, acme, {"key": key})[1]["data"]["code"] == "NOT_FOUND"  # the very next request
        assert call(client, path, acme, {"keyId": key_id})[0] == 404  # deleted: gone from Unkey's view


def test_v2_sql_analytics_is_a_clear_501(client, world):
    status, body, _ = call(client, "/v2/analytics.getVerifications", world.keys["acme"], {"query": "SELECT 1"})
    assert status == 501 and body["error"]["status"] == 501
    assert "/v1/analytics/verifications" in body["error"]["detail"]


def test_create_key_in_both_versions_verifies_as_created(client, world, acme_api):
    api, _ = acme_api
    acme = world.keys["acme"]
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp() * 1000)
    v1_asked = {
        "apiId": api, "name": "ci", "ownerId": "cust_3", "expires": expires, "remaining": 2, "permissions": ["read"],
        "refill": {"interval": "monthly", "amount": 2, "refillDay": 1}, "ratelimit": {"limit": 5, "duration": 60000},
    }  # fmt: skip
    status, created, _ = call(client, "/v1/keys.createKey", acme, v1_asked)
    assert status == 200 and set(created) == {"keyId", "key"}, created
    v1_key = get(client, "/v1/keys.getKey", acme, keyId=created["keyId"])[1]
    assert (v1_key["name"], v1_key["ownerId"], v1_key["expires"], v1_key["remaining"]) == ("ci", "cust_3", expires, 2)
    assert v1_key["refill"]["amount"] == 2 and v1_key["ratelimit"]["limit"] == 5
    v2_asked = {
        "apiId": api, "externalId": "cust_4", "credits": {"remaining": 3}, "enabled": True,
        "ratelimits": [{"name": "default", "limit": 1, "duration": 1000, "autoApply": True}],
    }  # fmt: skip
    status, answer, _ = call(client, "/v2/keys.createKey", acme, v2_asked)
    assert status == 200, answer
    verified = v2(client, acme, {"key": answer["data"]["key"]})[1]["data"]
    assert verified["keyId"] == answer["data"]["keyId"] and verified["credits"] == 2
    assert verified["identity"]["externalId"] == "cust_4"


@pytest.mark.parametrize(
    ("path", "asked", "location"),
    [
        ("/v2/keys.createKey", {"prefix": "sk"}, "body.prefix"),
        ("/v2/keys.createKey", {"meta": {"plan": "x" * 2048}}, "body.meta"),
        ("/v2/keys.createKey", {"roles": ["admin"]}, "body.roles"),
        ("/v2/keys.createKey", {"recoverable": True}, "body.recoverable"),
        ("/v2/keys.createKey", {"ratelimits": [{"name": "burst", "limit": 1, "duration": 1000}]}, "body.ratelimits"),
        ("/v1/keys.createKey", {"byteLength": 64}, "body.byteLength"),
        ("/v2/keys.createKey", {"ratelimits": [{"name": "default", "limit": 1, "duration": 1000}]}, "body.ratelimits"),
        ("/v1/keys.createKey", {"environment": "test"}, "body.environment"),
        ("/v1/keys.createKey", {"refill": {"interval": "monthly", "amount": 1, "refillDay": 15}}, "body.refill"),
    ],
)
def test_create_key_refuses_what_keytally_does_not_keep(client, world, acme_api, path, asked, location):
    status, body, _ = call(client, path, world.keys["acme"], {"apiId": acme_api[0], **asked})
    assert status == 400, body
    where = body["error"]["errors"][0]["location"] if path.startswith("/v2/") else body["error"]["message"]
    assert where.startswith(location), body


def test_create_key_only_in_an_api_the_root_key_may_write_in(client, world, acme_api):
    api, _ = acme_api
    for root_key, status in (("beta", 404), ("nobody", 404), ("org-no-scope", 403)):
        answer = call(client, "/v2/keys.createKey", world.keys[root_key], {"apiId": api})
        assert answer[0] == status, (root_key, answer)


def stored_versions(key: str) -> list[int]:
    record, shards = api_keys.get_split_key(hash_key(key), consistent=True)
    assert record is not None
    return [record.state_version, *(shard.state_version for shard in shards if shard is not None)]


def remaining(client, root_key: str, key_id: str) -> int | None:
    return get(client, "/v1/keys.getKey", root_key, keyId=key_id)[1].get("remaining")


@pytest.mark.parametrize("shards", [1, 4])
def test_credits_set_raised_and_lowered_in_both_versions(client, world, acme_api, shards):
    root = world.keys["acme"]
    key, key_id = acme_api[1](remaining=10, counter_shards=shards)
    assert v2(client, root, {"key": key, "credits": {"cost": 3}})[1]["data"]["credits"] == 7
    status, body, _ = call(client, "/v1/keys.updateRemaining", root, {"keyId": key_id, "op": "increment", "value": 5})
    assert (status, body) == (200, {"remaining": 12})
    status, body, _ = call(
        client, "/v2/keys.updateCredits", root, {"keyId": key_id, "operation": "decrement", "value": 2}
    )
    assert status == 200 and body["data"] == {"remaining": 10}, body
    status, body, _ = call(
        client, "/v2/keys.updateCredits", root, {"keyId": key_id, "operation": "decrement", "value": 99}
    )
    assert body["data"] == {"remaining": 0}, body  # never below zero
    assert v2(client, root, {"key": key})[1]["data"]["code"] == "USAGE_EXCEEDED"
    versions = stored_versions(key)
    call(client, "/v1/keys.updateRemaining", root, {"keyId": key_id, "op": "increment", "value": 1})
    assert v2(client, root, {"key": key})[1]["data"]["code"] == "VALID"
    # a split key's refusal is remembered on its version (verify/service.py): a raise moves the version on
    assert stored_versions(key) == ([version + 1 for version in versions] if shards > 1 else versions)
    status, body, _ = call(client, "/v1/keys.updateRemaining", root, {"keyId": key_id, "op": "set", "value": 40})
    assert (status, body) == (200, {"remaining": 40}) and remaining(client, root, key_id) == 40
    status, body, _ = call(client, "/v2/keys.updateCredits", root, {"keyId": key_id, "operation": "set"})
    assert body["data"] == {"remaining": None} and remaining(client, root, key_id) is None  # unlimited


def test_credits_of_an_unlimited_key_cannot_be_raised_and_amounts_are_checked(client, world, acme_api):
    root = world.keys["acme"]
    _, key_id = acme_api[1]()
    status, body, _ = call(
        client, "/v2/keys.updateCredits", root, {"keyId": key_id, "operation": "increment", "value": 1}
    )
    assert status == 400 and "unlimited" in body["error"]["detail"], body
    for asked in ({"op": "increment", "value": None}, {"op": "decrement", "value": -1}, {"op": "add", "value": 1}):
        status, body, _ = call(client, "/v1/keys.updateRemaining", root, {"keyId": key_id, **asked})
        assert status == 400 and body["error"]["code"] == "BAD_REQUEST", (asked, body)


def test_credits_change_only_where_the_root_key_may_write(client, world, acme_api):
    _, key_id = acme_api[1](remaining=5)
    raise_one = {"keyId": key_id, "op": "increment", "value": 1}
    assert call(client, "/v1/keys.updateRemaining", world.keys["beta"], raise_one)[0] == 404
    reader = call(client, "/v1/api_keys", world.keys["acme"], {"organizationSlug": ACME, "scope_names": ["keys:read"]})[
        1
    ]["data"]["key_value"]
    assert call(client, "/v1/keys.updateRemaining", reader, raise_one)[0] == 403
    assert remaining(client, world.keys["acme"], key_id) == 5


def test_update_key_changes_only_what_is_sent_and_null_clears(client, world, acme_api):
    root = world.keys["acme"]
    key, key_id = acme_api[1](
        remaining=5, permissions=["read"], external_id="cust_1", description="before", meta={"plan": "free"}
    )
    changed = {"keyId": key_id, "name": "after", "meta": {"plan": "pro", "seats": 2.5}, "remaining": 9}
    status, body, _ = call(client, "/v1/keys.updateKey", root, changed | {"permissions": [{"name": "write"}]})
    assert (status, body) == (200, {}), body
    got = get(client, "/v1/keys.getKey", root, keyId=key_id)[1]
    assert (got["name"], got["meta"], got["remaining"], got["permissions"], got["ownerId"]) == (
        "after", {"plan": "pro", "seats": 2.5}, 9, ["write"], "cust_1"
    )  # fmt: skip
    cleared = {"keyId": key_id, "externalId": None, "meta": None, "credits": None, "ratelimits": [], "enabled": False}
    status, body, _ = call(client, "/v2/keys.updateKey", root, cleared)
    assert status == 200 and body["data"] == {}, body
    data = call(client, "/v2/keys.getKey", root, {"keyId": key_id})[1]["data"]
    assert data["enabled"] is False and data["name"] == "after"
    assert not {"identity", "meta", "credits", "ratelimits"} & set(data), data
    assert v2(client, root, {"key": key})[1]["data"]["code"] == "DISABLED"


def test_meta_is_kept_exactly_and_answered_by_verify(client, world, acme_api):
    api, _ = acme_api
    meta = {"plan": "pro", "ratio": 0.1, "big": 12345678901234567890, "nested": {"a": [1, "ü", None]}}
    status, created, _ = call(client, "/v2/keys.createKey", world.keys["acme"], {"apiId": api, "meta": meta})
    assert status == 200, created
    key = created["data"]["key"]
    assert v2(client, world.keys["acme"], {"key": key})[1]["data"]["meta"] == meta
    v1 = call(client, "/v1/keys.verifyKey", world.keys["acme"], {"key": key, "apiId": api})[1]
    assert v1["meta"] == meta
    status, body, _ = call(client, "/v2/keys.createKey", world.keys["acme"], {"apiId": api, "meta": {"x": "y" * 3000}})
    assert status == 400 and body["error"]["errors"][0]["location"].startswith("body.meta"), body


def test_update_key_only_where_the_root_key_may_write_and_roles_refused(client, world, acme_api):
    _, key_id = acme_api[1](description="kept")
    assert call(client, "/v2/keys.updateKey", world.keys["beta"], {"keyId": key_id, "name": "x"})[0] == 404
    status, body, _ = call(
        client, "/v1/keys.updateKey", world.keys["acme"], {"keyId": key_id, "roles": [{"name": "a"}]}
    )
    assert status == 400 and body["error"]["code"] == "BAD_REQUEST", body
    assert get(client, "/v1/keys.getKey", world.keys["acme"], keyId=key_id)[1]["name"] == "kept"


def test_list_keys_pages_through_an_apis_live_keys_and_one_identitys(client, world, acme_api):
    api, product = acme_api
    root = world.keys["acme"]
    made = [product(external_id="cust_a" if index % 2 else None)[1] for index in range(5)]
    _, revoked = product(external_id="cust_a")
    call(client, "/v2/keys.deleteKey", root, {"keyId": revoked})
    other = call(client, "/v1/apis", root, {"name": "other"})[1]["data"]["api_id"]
    call(client, "/v1/api_keys", root, {"api_id": other})
    seen, cursor = [], None
    while True:
        status, body = get(
            client, "/v1/apis.listKeys", root, apiId=api, limit=2, **({"cursor": cursor} if cursor else {})
        )
        assert status == 200 and body["total"] == 5, body
        seen += [key["id"] for key in body["keys"]]
        cursor = body.get("cursor")
        if cursor is None:
            break
    assert seen == made  # oldest first, each once, the revoked one gone
    status, body, _ = call(client, "/v2/apis.listKeys", root, {"apiId": api, "externalId": "cust_a", "limit": 2})
    assert status == 200 and [key["keyId"] for key in body["data"]] == made[1::2], body
    assert body["pagination"] == {"hasMore": False}
    status, body, _ = call(client, "/v2/apis.listKeys", root, {"apiId": api, "limit": 4})
    assert body["pagination"]["hasMore"] is True and body["pagination"]["cursor"], body


def test_list_keys_moves_a_key_with_its_identity_and_refuses_foreign_cursors(client, world, acme_api):
    api, product = acme_api
    root = world.keys["acme"]
    _, key_id = product(external_id="cust_x")
    call(client, "/v2/keys.updateKey", root, {"keyId": key_id, "externalId": "cust_y"})
    listed = {
        ext: [
            key["keyId"]
            for key in call(client, "/v2/apis.listKeys", root, {"apiId": api, "externalId": ext})[1]["data"]
        ]
        for ext in ("cust_x", "cust_y")
    }
    assert listed == {"cust_x": [], "cust_y": [key_id]}
    product(), product()
    page = call(client, "/v2/apis.listKeys", root, {"apiId": api, "limit": 1})[1]
    cursor = page["pagination"]["cursor"]
    other = call(client, "/v1/apis", root, {"name": "other"})[1]["data"]["api_id"]
    status, body, _ = call(client, "/v2/apis.listKeys", root, {"apiId": other, "cursor": cursor})
    assert status == 400, body
    assert call(client, "/v2/apis.listKeys", world.keys["beta"], {"apiId": api})[0] == 404
    assert get(client, "/v1/apis.listKeys", root, apiId=api, decrypt="true")[0] == 400


def test_ratelimit_counts_each_identifier_exactly_in_both_versions(client, world):
    root = world.keys["acme"]
    asked = {"namespace": "email", "identifier": "user_1", "limit": 3, "duration": 60_000}
    answers = [call(client, "/v2/ratelimit.limit", root, asked | {"cost": cost})[1]["data"] for cost in (2, 2, 1, 0)]
    assert [(answer["success"], answer["remaining"]) for answer in answers] == [
        (True, 1), (False, 1), (True, 0), (True, 0)
    ]  # fmt: skip
    assert all(answer["reset"] == answers[0]["reset"] and answer["limit"] == 3 for answer in answers)
    status, v1, _ = call(client, "/v1/ratelimits.limit", root, asked | {"identifier": "user_2", "async": True})
    assert status == 200 and (v1["success"], v1["remaining"]) == (True, 2), v1
    # a namespace is its organization's: beta's user_1 is another identifier
    other = call(client, "/v2/ratelimit.limit", world.keys["beta"], asked)[1]["data"]
    assert (other["success"], other["remaining"]) == (True, 2)
    too_big = call(client, "/v2/ratelimit.limit", root, asked | {"identifier": "user_3", "cost": 4})[1]["data"]
    assert (too_big["success"], too_big["remaining"]) == (False, 3)


def test_ratelimit_refuses_what_it_does_not_do_and_needs_keys_verify(client, world):
    asked = {"identifier": "u", "limit": 1, "duration": 1000}
    for extra in ({"meta": {"a": 1}}, {"resources": [{"type": "t", "id": "i"}]}, {"duration": 10}):
        status, body, _ = call(client, "/v1/ratelimits.limit", world.keys["acme"], asked | extra)
        assert status == 400 and body["error"]["code"] == "BAD_REQUEST", (extra, body)
    assert call(client, "/v2/ratelimit.limit", world.keys["org-no-scope"], asked | {"namespace": "n"})[0] == 403
    assert call(client, "/v2/ratelimit.limit", None, asked | {"namespace": "n"})[0] == 401


def test_v1_analytics_counts_what_was_verified_with_comma_joined_arrays(client, world, acme_api):
    api, product = acme_api
    root = world.keys["acme"]
    key_a, id_a = product(remaining=2, external_id="cust_v")
    key_b, id_b = product()
    for key, tags in ((key_a, ["x", "y"]), (key_a, ["x"]), (key_a, ["x"]), (key_b, ["y"])):
        v2(client, root, {"key": key, "tags": tags})
    status, points = get(
        client, "/v1/analytics.getVerifications", root, apiId=api, keyId=f"{id_a},{id_b}", groupBy="key,tags"
    )
    assert status == 200, points
    counted = {(point["keyId"], tuple(point["tags"])): (point["valid"], point["usageExceeded"]) for point in points}
    assert counted == {(id_a, ("x", "y")): (1, 0), (id_a, ("x",)): (1, 1), (id_b, ("y",)): (1, 0)}, points
    assert all("identity" not in point and None not in point.values() for point in points)
    tagged = get(client, "/v1/analytics.getVerifications", root, apiId=api, tag="x,y")[1]
    assert [point["total"] for point in tagged] == [1]  # carrying both tags
    assert get(client, "/v1/analytics.getVerifications", root, apiId=api, groupBy="key,week")[0] == 400
    status, days = get(client, "/v1/keys.getVerifications", root, keyId=id_a)
    assert status == 200 and [(day["success"], day["usageExceeded"]) for day in days["verifications"]] == [(2, 1)]
    owned = get(client, "/v1/keys.getVerifications", root, ownerId="cust_v")[1]
    assert owned == days
    assert get(client, "/v1/keys.getVerifications", world.keys["beta"], keyId=id_a)[0] == 404
    assert get(client, "/v1/keys.getVerifications", root)[0] == 400


def unkey_requests(api: str, key: str, key_id: str) -> dict[tuple[str, str], dict]:
    """A request of every Unkey route naming acme's API or key (v1 GETs: the query)."""
    return {
        ("POST", "/v1/keys.verifyKey"): {"key": key, "apiId": api},
        ("POST", "/v2/keys.verifyKey"): {"key": key},
        ("POST", "/v1/keys.createKey"): {"apiId": api},
        ("POST", "/v2/keys.createKey"): {"apiId": api},
        ("GET", "/v1/keys.getKey"): {"keyId": key_id},
        ("POST", "/v2/keys.getKey"): {"keyId": key_id},
        ("POST", "/v1/keys.updateKey"): {"keyId": key_id, "name": "taken"},
        ("POST", "/v2/keys.updateKey"): {"keyId": key_id, "name": "taken"},
        ("POST", "/v1/keys.updateRemaining"): {"keyId": key_id, "op": "set", "value": 0},
        ("POST", "/v2/keys.updateCredits"): {"keyId": key_id, "operation": "decrement", "value": 5},
        ("POST", "/v1/keys.deleteKey"): {"keyId": key_id},
        ("POST", "/v2/keys.deleteKey"): {"keyId": key_id},
        ("GET", "/v1/apis.getApi"): {"apiId": api},
        ("POST", "/v2/apis.getApi"): {"apiId": api},
        ("GET", "/v1/apis.listKeys"): {"apiId": api},
        ("POST", "/v2/apis.listKeys"): {"apiId": api},
        ("GET", "/v1/keys.getVerifications"): {"keyId": key_id},
        ("GET", "/v1/analytics.getVerifications"): {"apiId": api},
    }


# What each kind of credential that may not reach acme's data gets: never acme's data, never a change to it
STRANGERS = {
    # v2 names no API: the key is NOT_FOUND (200, as Unkey answers); v1 names acme's, which is not found (404)
    "beta": (404, {"/v2/keys.verifyKey": 200}),
    "nobody": (404, {"/v2/keys.verifyKey": 200}),  # a user of no organization
    "org-revoked": (401, {}),
    "user-disabled": (401, {}),
    "org-no-scope": (403, {"/v1/keys.getVerifications": 404, "/v1/analytics.getVerifications": 200}),
}


@pytest.mark.parametrize("stranger", sorted(STRANGERS))
def test_no_unkey_route_reaches_another_organizations_keys(client, world, acme_api, stranger):
    """Every Unkey route, with every kind of credential that may not use acme's keys: the documented refusal, and
    acme's key as it was (verifiable, its credits, name and listing unchanged). org-no-scope holds analytics:read
    only: analytics answer it (keys.getVerifications finds no key it may read)."""
    api, product = acme_api
    key, key_id = product(remaining=5, description="kept")
    routes = {(route.method, route.path) for route in Template().http_routes() if "." in route.path.rsplit("/", 1)[-1]}
    routes.discard(("GET", "/v1/openapi.json"))
    requests = unkey_requests(api, key, key_id)
    assert routes - {("HEAD", path) for _, path in requests} - {("POST", "/v2/analytics.getVerifications")} == set(
        requests
    ) | {("POST", "/v1/ratelimits.limit"), ("POST", "/v2/ratelimit.limit")}  # rate limits name no acme data
    refused, except_for = STRANGERS[stranger]
    for (method, path), asked in requests.items():
        if method == "GET":
            status = get(client, path, world.keys[stranger], **asked)[0]
            body: dict = {}
        else:
            status, body, _ = call(client, path, world.keys[stranger], asked)
        assert status == except_for.get(path, refused), (path, status, body)
        if path.endswith("verifyKey") and status == 200:
            assert (body.get("data") or body)["code"] == "NOT_FOUND", body
    acme = world.keys["acme"]
    assert get(client, "/v1/keys.getKey", acme, keyId=key_id)[1]["name"] == "kept"
    assert v2(client, acme, {"key": key})[1]["data"]["credits"] == 4
    listed = call(client, "/v2/apis.listKeys", acme, {"apiId": api})[1]["data"]
    assert [listed_key["keyId"] for listed_key in listed] == [key_id]


def requests_of(dynamodb_calls, client, method: str, path: str, root_key: str, body: dict | None = None) -> dict:
    """The DynamoDB requests of one successful call, by operation."""
    dynamodb_calls.clear()
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {root_key}"}, json=body)
    assert response.status_code == 200, response.get_data()
    return dict(dynamodb_calls)


def test_unkey_writes_read_the_key_once_as_keytallys_own_routes_do(client, world, acme_api, dynamodb_calls):
    """An Unkey write costs what keytally's own route for the same change costs: the key is read once, its kind and
    the caller's rights checked on that one read (read twice, an updateKey sent 2 Query and 4 BatchGetItem requests
    where PATCH /v1/api_keys/{id} sends 1 and 3)."""
    root = world.keys["acme"]
    _, key_id = acme_api[1](remaining=5)
    requests_of(dynamodb_calls, client, "POST", "/v1/keys.updateKey", root, {"keyId": key_id, "name": "warm"})
    for unkey_path, unkey_body, own_body in (
        ("/v1/keys.updateKey", {"name": "v1"}, {"description": "v1"}),
        ("/v2/keys.updateKey", {"name": "v2"}, {"description": "v2"}),
        ("/v1/keys.updateRemaining", {"op": "set", "value": 7}, {"remaining": 7}),
        ("/v2/keys.updateCredits", {"operation": "set", "value": 8}, {"remaining": 8}),
    ):
        own = requests_of(dynamodb_calls, client, "PATCH", f"/v1/api_keys/{key_id}", root, own_body)
        unkey = requests_of(dynamodb_calls, client, "POST", unkey_path, root, {"keyId": key_id, **unkey_body})
        assert unkey == own, unkey_path
    raised = {"keyId": key_id, "operation": "increment", "value": 1}
    assert requests_of(dynamodb_calls, client, "POST", "/v2/keys.updateCredits", root, raised)["Query"] == 1
    for unkey_path in ("/v1/keys.deleteKey", "/v2/keys.deleteKey"):
        own = requests_of(dynamodb_calls, client, "DELETE", f"/v1/api_keys/{acme_api[1]()[1]}", root)
        unkey = requests_of(dynamodb_calls, client, "POST", unkey_path, root, {"keyId": acme_api[1]()[1]})
        assert unkey == own, unkey_path
