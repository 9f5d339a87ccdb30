"""The key-management API through the local API and the api_keys handler, against moto."""

from __future__ import annotations

import re

import pytest

from world import ACME, BETA

REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_success_envelope_and_headers(client, world):
    response = client.get("/v1/api_keys", headers=auth(world.keys["acme"]))
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"meta", "data"}
    assert REQUEST_ID.match(body["meta"]["request_id"])
    assert response.headers["X-Request-Id"] == body["meta"]["request_id"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-RateLimit-Limit"] == "5000"
    assert int(response.headers["X-RateLimit-Remaining"]) == 4999
    first = body["data"][0]
    for field in (
        "@type",
        "api_key_id",
        "created_time",
        "description",
        "key_type",
        "key_start",
        "key_value",
        "scope_names",
        "allow_ips",
        "is_enabled",
        "behalf_of_user_info",
        "last_used_at",
        "expires_at",
    ):
        assert field in first
    assert all(key["key_value"] is None for key in body["data"])


def test_create_returns_the_secret_once_and_it_works(client, world):
    created = client.post(
        "/v1/api_keys", json={"description": "ci", "scope_names": ["keys:read"]}, headers=auth(world.keys["acme"])
    )
    assert created.status_code == 201
    key = created.json["data"]
    assert key["key_value"].startswith(key["key_start"]) and len(key["key_start"]) == 10
    assert key["organizationSlug"] == ACME and key["scope_names"] == ["keys:read"]
    fetched = client.get(f"/v1/api_keys/{key['api_key_id']}", headers=auth(world.keys["acme"]))
    assert fetched.json["data"]["key_value"] is None
    assert client.get("/v1/api_keys", headers=auth(key["key_value"])).status_code == 200
    assert client.post("/v1/api_keys", json={}, headers=auth(key["key_value"])).status_code == 403


def test_user_key_creation_acts_for_the_caller(client, world):
    created = client.post("/v1/api_keys", json={"key_type": "user"}, headers=auth(world.keys["owner"]))
    assert created.status_code == 201
    assert created.json["data"]["behalf_of_user_info"]["email"] == "owner@acme.test"
    assert created.json["data"]["behalf_of_user_info"]["@type"] == "user"
    by_org_key = client.post("/v1/api_keys", json={"key_type": "user"}, headers=auth(world.keys["acme"]))
    assert by_org_key.status_code == 403


def test_a_key_cannot_grant_more_than_it_holds(client, world):
    weak = client.post(
        "/v1/api_keys", json={"scope_names": ["keys:write", "keys:read"]}, headers=auth(world.keys["acme"])
    )
    weak_key = weak.json["data"]["key_value"]
    response = client.post("/v1/api_keys", json={"scope_names": ["metrics:read"]}, headers=auth(weak_key))
    assert response.status_code == 403 and "metrics:read" in response.json["error"]["description"]
    admin = client.post(
        "/v1/api_keys",
        json={"organizationSlug": ACME, "scope_names": ["metrics:read"]},
        headers=auth(world.keys["admin"]),
    )
    assert admin.status_code == 403  # admins do not hold metrics:read (owners only)


def test_tenancy_listing_never_shows_another_organization(client, world):
    for credential, expected in (("acme", {ACME}), ("beta", {BETA})):
        listed = client.get("/v1/api_keys?limit=1000", headers=auth(world.keys[credential])).json["data"]
        assert {key["organizationSlug"] for key in listed} == expected
    owner_view = client.get("/v1/api_keys?limit=1000", headers=auth(world.keys["owner"])).json["data"]
    assert {key["organizationSlug"] for key in owner_view} == {ACME, None}
    assert {k["behalf_of_user_info"]["email"] for k in owner_view if k["behalf_of_user_info"]} == {"owner@acme.test"}
    staff_view = client.get("/v1/api_keys?limit=1000", headers=auth(world.keys["staff"])).json["data"]
    assert {key["organizationSlug"] for key in staff_view} == {ACME, BETA, None}


def test_tenancy_other_organizations_keys_cannot_be_changed(client, world):
    beta_id = world.ids["beta"]
    for method in ("patch", "delete"):
        kwargs = {"json": {"description": "pwned"}} if method == "patch" else {}
        response = getattr(client, method)(f"/v1/api_keys/{beta_id}", headers=auth(world.keys["acme"]), **kwargs)
        assert response.status_code == 404
    unchanged = client.get(f"/v1/api_keys/{beta_id}", headers=auth(world.keys["beta"])).json["data"]
    assert unchanged["description"] == "beta" and unchanged["revoked_at"] is None
    assert client.get("/v1/api_keys", headers=auth(world.keys["beta"])).status_code == 200


def test_patch_changes_only_the_fields_sent_and_is_idempotent(client, world):
    key_id = world.ids["org-no-scope"]
    change = {"description": "renamed", "allow_ips": ["192.168.1.7/24"], "expires_at": "2030-01-01T00:00:00Z"}
    first = client.patch(f"/v1/api_keys/{key_id}", json=change, headers=auth(world.keys["acme"]))
    second = client.patch(f"/v1/api_keys/{key_id}", json=change, headers=auth(world.keys["acme"]))
    assert first.status_code == second.status_code == 200
    assert first.json["data"] == second.json["data"]
    data = first.json["data"]
    assert data["description"] == "renamed" and data["allow_ips"] == ["192.168.1.0/24"]
    assert data["scope_names"] == ["analytics:read"]
    cleared = client.patch(f"/v1/api_keys/{key_id}", json={"expires_at": None}, headers=auth(world.keys["acme"]))
    assert cleared.json["data"]["expires_at"] is None and cleared.json["data"]["description"] == "renamed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allow_ips": ["999.1.1.1"]}, "allow_ips"),
        ({"scope_names": ["root"]}, "scope_names"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"nonsense": 1}, "nonsense"),
        ({"description": None}, "description"),
    ],
)
def test_patch_validation_names_the_field(client, world, body, field):
    response = client.patch(f"/v1/api_keys/{world.ids['acme']}", json=body, headers=auth(world.keys["acme"]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "UNPROCESSABLE_ENTITY"
    assert field in response.json["error"]["description"]
    assert "X-RateLimit-Remaining" in response.headers


def test_revoke_takes_effect_on_the_next_request_and_repeats_harmlessly(client, world):
    victim = world.keys["owner"]
    assert client.get("/v1/api_keys", headers=auth(victim)).status_code == 200
    first = client.delete(f"/v1/api_keys/{world.ids['owner']}", headers=auth(world.keys["acme"]))
    assert first.status_code == 404  # a user's key belongs to the user, not to the organization
    first = client.delete(f"/v1/api_keys/{world.ids['owner']}", headers=auth(victim))
    assert first.status_code == 200 and first.json["data"]["revoked_at"]
    assert client.get("/v1/api_keys", headers=auth(victim)).status_code == 401
    again = client.delete(f"/v1/api_keys/{world.ids['owner']}", headers=auth(world.keys["staff"]))
    assert again.json["data"]["revoked_at"] == first.json["data"]["revoked_at"]
    listed = client.get("/v1/api_keys?limit=1000", headers=auth(world.keys["staff"])).json["data"]
    assert world.ids["owner"] not in {key["api_key_id"] for key in listed}
    assert (
        client.patch(
            f"/v1/api_keys/{world.ids['owner']}", json={"description": "x"}, headers=auth(world.keys["staff"])
        ).status_code
        == 404
    )


def test_pagination_visits_every_key_once(client, world):
    for index in range(7):
        client.post("/v1/api_keys", json={"description": f"page {index}"}, headers=auth(world.keys["acme"]))
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/api_keys", query_string=query, headers=auth(world.keys["owner"])).json
        assert len(page["data"]) <= 3
        seen += [key["api_key_id"] for key in page["data"]]
        cursor, pages = page["meta"]["next_cursor"], pages + 1
        if cursor is None:
            break
    everything = client.get("/v1/api_keys?limit=1000", headers=auth(world.keys["owner"])).json["data"]
    assert len(seen) == len(set(seen)) == len(everything) and pages >= 4
    assert set(seen) == {key["api_key_id"] for key in everything}


def test_cursor_of_another_listing_or_garbage_is_400(client, world):
    for _ in range(3):
        client.post("/v1/api_keys", json={}, headers=auth(world.keys["beta"]))
    beta_cursor = client.get("/v1/api_keys?limit=1", headers=auth(world.keys["beta"])).json["meta"]["next_cursor"]
    assert beta_cursor
    for cursor in (beta_cursor, "garbage!", "eyJzIjo5fQ"):
        response = client.get("/v1/api_keys", query_string={"cursor": cursor}, headers=auth(world.keys["acme"]))
        assert response.status_code == 400, cursor
        assert response.json["error"]["code"] == "BAD_REQUEST"


def test_key_type_filter(client, world):
    response = client.get("/v1/api_keys?key_type=user&limit=1000", headers=auth(world.keys["staff"]))
    assert {key["key_type"] for key in response.json["data"]} == {"user"}
    assert client.get("/v1/api_keys?key_type=bogus", headers=auth(world.keys["staff"])).status_code == 422
    api = client.post("/v1/apis", headers=auth(world.keys["acme"]), json={"name": "shop"}).json["data"]["api_id"]
    product = client.post("/v1/api_keys", headers=auth(world.keys["acme"]), json={"api_id": api}).json["data"]
    listed = client.get("/v1/api_keys?key_type=product", headers=auth(world.keys["acme"])).json["data"]
    assert [key["api_key_id"] for key in listed] == [product["api_key_id"]]


def test_malformed_json_is_400_and_oversize_body_is_413(client, world):
    headers = {**auth(world.keys["acme"]), "Content-Type": "application/json"}
    assert client.post("/v1/api_keys", data="{not json", headers=headers).status_code == 400
    huge = '{"description": "' + "x" * (1024 * 1024) + '"}'
    response = client.post("/v1/api_keys", data=huge, headers=headers)
    assert response.status_code == 413 and response.json["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_unauthenticated_invalid_input_is_401_not_422(client, world):
    response = client.get("/v1/api_keys?limit=0")
    assert response.status_code == 401


def test_a_missing_scope_outranks_invalid_input(client, world):
    """Input is validated before route middlewares run; the route's scope is still checked first."""
    reader = auth(world.keys["org-no-scope"])  # analytics:read only
    assert client.get("/v1/api_keys?limit=0", headers=reader).status_code == 403
    patched = client.patch(f"/v1/api_keys/{world.ids['acme']}", json={"is_enabled": "nope"}, headers=reader)
    assert patched.status_code == 403 and patched.json["error"]["code"] == "FORBIDDEN"
    valid_scope = client.get("/v1/api_keys?limit=0", headers=auth(world.keys["acme"]))
    assert valid_scope.status_code == 422 and "limit" in valid_scope.json["error"]["description"]


def test_unknown_route_is_an_enveloped_404(client, world):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json["error"]["code"] == "NOT_FOUND"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_every_error_links_to_the_docs(client, world):
    """As Unkey's errors do (`error.docs`): the Swagger UI of the API that answered."""
    for response in (
        client.get("/v1/nothing-here"),
        client.get("/v1/api_keys"),
        client.get("/v1/analytics/verifications", headers=auth(world.keys["acme"])),
    ):
        docs = response.json["error"]["docs"]
        assert docs == "http://localhost/v1/docs", response.json
        assert client.get(docs.removeprefix("http://localhost")).status_code == 200


def test_rate_limit_429_with_retry_after(client, world):
    limited = client.post("/v1/api_keys", json={"rate_limit": 3}, headers=auth(world.keys["acme"])).json["data"]
    remaining = [
        client.get("/v1/api_keys", headers=auth(limited["key_value"])).headers["X-RateLimit-Remaining"]
        for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    refused = client.get("/v1/api_keys", headers=auth(limited["key_value"]))
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["X-RateLimit-Remaining"] == "0" and refused.headers["X-RateLimit-Limit"] == "3"


def test_rate_limit_is_one_conditional_update(tables, dynamodb_calls):
    """The counter is a single conditional UpdateItem, which DynamoDB applies atomically: refused requests are
    not counted, so the count can never pass the limit however requests interleave."""
    from keytally.storage import rate_limits

    results = [rate_limits.count_request("ak_test", "management", "2026112317", 2, 0) for _ in range(4)]
    assert results == [1, 2, None, None]
    assert dynamodb_calls == {"UpdateItem": 4}


def test_last_used_at_is_written_at_most_once_a_minute(client, world, dynamodb_calls):
    for _ in range(5):
        client.get("/v1/api_keys", headers=auth(world.keys["acme"]))
    # per request: BatchGetItem (key), UpdateItem (rate counter), Query (listing); plus one last_used_at write
    assert dynamodb_calls["UpdateItem"] == 5 + 1
    key = client.get(f"/v1/api_keys/{world.ids['acme']}", headers=auth(world.keys["acme"])).json["data"]
    assert key["last_used_at"] is not None


def test_apis(client, world):
    created = client.post("/v1/apis", json={"name": "Payments"}, headers=auth(world.keys["acme"]))
    assert created.status_code == 201 and created.json["data"]["organizationSlug"] == ACME
    listed = client.get("/v1/apis", headers=auth(world.keys["acme"])).json["data"]
    assert [api["name"] for api in listed] == ["Payments"]
    assert client.get("/v1/apis?organizationSlug=beta-org", headers=auth(world.keys["acme"])).status_code == 403
    assert client.get("/v1/apis", headers=auth(world.keys["owner"])).status_code == 422
    assert client.get("/v1/apis?organizationSlug=acme-org", headers=auth(world.keys["owner"])).status_code == 200


def test_a_product_key_names_its_apis_organization_or_none(client, world):
    api = client.post("/v1/apis", json={"name": "Payments"}, headers=auth(world.keys["acme"])).json["data"]["api_id"]
    for slug, status in ((None, 201), (ACME, 201), (BETA, 404), ("no-such-org", 404)):
        body = {"api_id": api} | ({"organizationSlug": slug} if slug else {})
        created = client.post("/v1/api_keys", json=body, headers=auth(world.keys["acme"]))
        assert created.status_code == status, (slug, created.json)


def test_unexpected_errors_are_500_without_details(client, world, monkeypatch):
    from keytally.api_keys import service

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "list_keys", explode)
    response = client.get("/v1/api_keys", headers=auth(world.keys["acme"]))
    assert response.status_code == 500
    assert response.json["error"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert "request_id" in response.json["error"]["description"]


def test_throttled_store_is_503(client, world, monkeypatch):
    from botocore.exceptions import ClientError

    from keytally.storage import api_keys

    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Query")

    monkeypatch.setattr(api_keys.entity_table(), "query", throttled)
    response = client.get("/v1/api_keys", headers=auth(world.keys["acme"]))
    assert response.status_code == 503 and response.json["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_key_may_change_or_revoke_only_keys_no_stronger_than_itself(client, world):
    manager = client.post(
        "/v1/api_keys", json={"scope_names": ["keys:read", "keys:write"]}, headers=auth(world.keys["acme"])
    ).json["data"]
    weaker = client.post("/v1/api_keys", json={"scope_names": ["keys:read"]}, headers=auth(world.keys["acme"])).json
    as_manager = auth(manager["key_value"])
    full = world.ids["acme"]  # every scope
    for refused in (
        client.patch(f"/v1/api_keys/{full}", json={"is_enabled": False}, headers=as_manager),
        client.patch(f"/v1/api_keys/{full}", json={"description": "mine now"}, headers=as_manager),
        client.delete(f"/v1/api_keys/{full}", headers=as_manager),
    ):
        assert refused.status_code == 403 and "analytics:read" in refused.json["error"]["description"]
    assert client.get(f"/v1/api_keys/{full}", headers=auth(world.keys["acme"])).json["data"]["is_enabled"] is True
    weaker_id = weaker["data"]["api_key_id"]
    assert client.patch(f"/v1/api_keys/{weaker_id}", json={"is_enabled": False}, headers=as_manager).status_code == 200
    assert client.delete(f"/v1/api_keys/{weaker_id}", headers=as_manager).status_code == 200
    assert client.delete(f"/v1/api_keys/{manager['api_key_id']}", headers=as_manager).status_code == 200  # itself
    assert client.get("/v1/api_keys", headers=as_manager).status_code == 401
