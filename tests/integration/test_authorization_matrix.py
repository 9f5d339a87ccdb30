"""Every credential kind against its own organization, another one, and in every unusable state."""

from __future__ import annotations

import pytest

from keytally.auth.rate_limit import REFUSED_LIMIT

from world import ACME, BETA

CHAINPATROL_403 = "You do not have permission to access metrics for this organization"


def list_keys(client, key: str | None, org: str | None = None, **headers):
    query = {"organizationSlug": org} if org else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return client.get("/v1/api_keys", query_string=query, headers=headers)


@pytest.mark.parametrize(
    ("credential", "org", "status", "chainpatrol"),
    [
        ("acme", ACME, 200, False),  # organization key, own org
        ("acme", BETA, 403, True),  # organization key, other org
        ("owner", ACME, 200, False),  # user key, owner of the org
        ("owner", BETA, 403, True),  # user key, not a member
        ("admin", ACME, 200, False),  # user key, admin
        ("both", ACME, 200, False),  # member of both: owner here...
        ("both", BETA, 403, False),  # ...plain member there: role lacks keys:read, not a foreign org
        ("nobody", ACME, 403, True),  # user key of a user in no organization
        ("staff", ACME, 200, False),  # staff: everywhere
        ("staff", BETA, 200, False),
        ("org-right-ip", ACME, 200, False),
        ("user-right-ip", ACME, 200, False),
    ],
)
def test_organization_access(client, world, credential, org, status, chainpatrol):
    response = list_keys(client, world.keys[credential], org)
    assert response.status_code == status, response.json
    if status == 403:
        assert response.json["error"]["code"] == "FORBIDDEN"
        assert (response.json["error"]["message"] == CHAINPATROL_403) is chainpatrol
    if status == 200:
        assert {key["organizationSlug"] for key in response.json["data"]} == {org}


@pytest.mark.parametrize("kind", ["org", "user"])
@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        ("disabled", 401, "disabled"),
        ("expired", 401, "expired"),
        ("revoked", 401, "revoked"),
        ("wrong-ip", 403, "IP address"),
        ("no-scope", 403, "keys:read"),
    ],
)
def test_unusable_credentials(client, world, kind, state, status, reason):
    response = list_keys(client, world.keys[f"{kind}-{state}"], ACME)
    assert response.status_code == status
    assert reason in response.json["error"]["description"]
    if status == 401:
        assert response.json["error"]["code"] == "UNAUTHORIZED"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_missing_credentials_are_401(client, world):
    unknown = world.keys["acme"][:-10] + "A" * 10  # well formed only if the checksum matches: it does not
    from keytally.auth.secrets import generate_key
    from keytally.models import KeyKind

    remaining = []
    for key in (None, "", "not-a-key", unknown, generate_key(KeyKind.ORGANIZATION)):
        response = list_keys(client, key)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # as the Supermetrics document shows: the address's budget of refused credentials this hour
        assert response.headers["X-RateLimit-Limit"] == str(REFUSED_LIMIT)
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [REFUSED_LIMIT - n for n in range(1, 6)]


def test_an_address_sending_refused_credentials_past_its_budget_waits(client, world, monkeypatch):
    from keytally.auth import rate_limit

    monkeypatch.setattr(rate_limit, "REFUSED_LIMIT", 3)
    statuses = [list_keys(client, "not-a-key").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    waited = list_keys(client, "not-a-key")
    assert waited.status_code == 429 and int(waited.headers["Retry-After"]) > 0
    assert list_keys(client, world.keys["acme"]).status_code == 200  # a valid key is not held back


def test_x_api_key_header_is_accepted(client, world):
    response = client.get("/v1/api_keys", headers={"X-API-Key": world.keys["acme"]})
    assert response.status_code == 200


def test_malformed_key_is_rejected_without_reading_dynamodb(client, world, dynamodb_calls):
    key = world.keys["acme"]
    mistyped = key[:20] + ("B" if key[20] != "B" else "C") + key[21:]
    for _ in range(10):
        assert list_keys(client, mistyped).status_code == 401
    # no read; the address's refusals are counted in the container, written once to learn the shared count
    assert dynamodb_calls == {"UpdateItem": 1}


def test_foreign_key_is_indistinguishable_from_missing(client, world):
    """Another organization's key id answers 404, exactly like an id that does not exist."""
    foreign = client.get(f"/v1/api_keys/{world.ids['beta']}", headers={"Authorization": f"Bearer {world.keys['acme']}"})
    missing = client.get("/v1/api_keys/ak_doesnotexist", headers={"Authorization": f"Bearer {world.keys['acme']}"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json["error"]["code"] == missing.json["error"]["code"] == "NOT_FOUND"
