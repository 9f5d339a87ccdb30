"""GET /v1/organizations through the local API: every kind of credential sees exactly the organizations it may
access (never another), with its role and the scopes it may use there; bad credentials get the envelope's 401."""

from __future__ import annotations

import pytest

from world import ACME, BETA

ALL = [
    "analytics:read",
    "events:write",
    "keys:read",
    "keys:verify",
    "keys:write",
    "members:read",
    "members:write",
    "metrics:read",
]  # an organization key has every scope


def organizations(client, credential: str) -> list[dict]:
    response = client.get("/v1/organizations", headers={"Authorization": f"Bearer {credential}"})
    assert response.status_code == 200, response.json
    assert set(response.json) == {"meta", "data"}
    return response.json["data"]


def seen(client, credential: str) -> list[tuple[str, str | None, bool]]:
    return [(org["organizationSlug"], org["role"], org["staff"]) for org in organizations(client, credential)]


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        ("acme", [(ACME, None, False)]),  # an organization key: its own
        ("beta", [(BETA, None, False)]),
        ("owner", [(ACME, "owner", False)]),
        ("both", [(ACME, "owner", False), (BETA, "member", False)]),
        ("nobody", []),  # a user without memberships
        ("staff", [(ACME, None, True), (BETA, None, True)]),  # staff: every organization
    ],
)
def test_each_credential_sees_exactly_the_organizations_it_may_access(client, world, credential, expected):
    assert seen(client, world.keys[credential]) == expected


def test_the_scopes_are_what_the_credential_may_do_there(client, world):
    (acme,) = organizations(client, world.keys["acme"])
    assert acme["scope_names"] == ALL and acme["name"] == ACME and acme["created_time"]
    by_slug = {org["organizationSlug"]: org for org in organizations(client, world.keys["both"])}
    assert "keys:write" in by_slug[ACME]["scope_names"]  # an owner
    assert "keys:write" not in by_slug[BETA]["scope_names"]  # a member reads
    (limited,) = organizations(client, world.keys["org-no-scope"])
    assert limited["scope_names"] == ["analytics:read"]


def test_a_token_bound_to_an_organization_lists_only_that_one_even_for_staff(client, world):
    created = client.post(
        "/v1/personal-access-tokens",
        headers={"Authorization": f"Bearer {world.keys['staff']}"},
        json={"name": "bound", "organizationSlug": BETA, "read_only": True},
    )
    assert created.status_code == 201, created.json
    assert seen(client, created.json["data"]["access_token"]) == [(BETA, None, True)]


@pytest.mark.parametrize("credential", ["org-disabled", "org-expired", "org-revoked", "user-revoked"])
def test_disabled_expired_and_revoked_credentials_are_401(client, world, credential):
    response = client.get("/v1/organizations", headers={"Authorization": f"Bearer {world.keys[credential]}"})
    assert response.status_code == 401 and response.json["error"]["code"]


def test_no_credential_is_401(client):
    assert client.get("/v1/organizations").status_code == 401


@pytest.mark.parametrize("slug", ["ghost-org", "öö", "__dict__"])
def test_staff_naming_an_organization_that_does_not_exist_get_404_and_nothing_is_written(client, world, tables, slug):
    from keytally.storage.dynamodb import table

    now = "2026-11-23T17:40:00Z"
    calls = [
        ("GET", "/v1/api_keys", {"organizationSlug": slug}, None),
        ("POST", "/v1/api_keys", None, {"organizationSlug": slug, "description": "x"}),
        ("GET", "/v1/apis", {"organizationSlug": slug}, None),
        ("POST", "/v1/apis", None, {"organizationSlug": slug, "name": "x"}),
        ("GET", "/v1/analytics/api_keys", {"organizationSlug": slug}, None),
        ("POST", "/v1/organizations/metrics", None, {"organizationSlug": slug}),
        (
            "POST",
            "/v1/events",
            None,
            {
                "organizationSlug": slug,
                "events": [
                    {
                        "event_id": "e1",
                        "time": now,
                        "endpoint": "/x",
                        "method": "GET",
                        "status": 200,
                        "latency_ms": 1.0,
                        "ip": "203.0.113.9",
                    }
                ],
            },
        ),
    ]
    headers = {"Authorization": f"Bearer {world.keys['staff']}"}
    for method, path, query, body in calls:
        response = client.open(path, method=method, headers=headers, query_string=query, json=body)
        assert response.status_code in (404, 422), (path, response.json)
        if response.status_code == 404:
            assert response.json["error"]["code"] == "NOT_FOUND"
    raw_items = table(tables["RawEventsTable"]).scan()["Items"]
    assert not [item for item in raw_items if slug in item["pk"] or slug in item.get("sk", "")]
    entity_items = table(tables["KeytallyTable"]).scan()["Items"]
    assert not [item for item in entity_items if slug in str(item.get("pk")) + str(item.get("gsi1pk"))]


def test_a_read_only_token_lists_only_the_scopes_it_can_use_and_reads_every_view(client, world):
    from datetime import UTC, datetime

    from keytally import admin
    from keytally.tokens.models import CreatePersonalAccessToken

    _, token = admin.create_token(
        "owner@acme.test", CreatePersonalAccessToken(name="ro", read_only=True), datetime.now(UTC)
    )
    (acme,) = organizations(client, token)
    assert acme["read_only"] is True
    assert acme["scope_names"] == ["analytics:read", "keys:read", "members:read", "metrics:read"]
    headers = {"Authorization": f"Bearer {token}"}
    metrics = client.post("/v1/organizations/metrics", headers=headers, json={"organizationSlug": ACME})
    assert metrics.status_code == 200, metrics.json  # a query sent as a POST: the overview's
    for path in (
        "/v1/api_keys",
        "/v1/analytics/api_keys?organizationSlug=acme-org",
        f"/v1/organizations/{ACME}/members",
    ):
        assert client.get(path, headers=headers).status_code == 200, path
    refused = client.post("/v1/api_keys", headers=headers, json={"organizationSlug": ACME})
    assert refused.status_code == 403 and "read-only" in refused.json["error"]["description"]
    assert client.post("/v1/personal-access-tokens", headers=headers, json={"name": "x"}).status_code == 403
