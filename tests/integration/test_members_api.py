"""/v1/organizations/{organizationSlug}/members through the local API: owners manage their team with least
privilege (as for keys), every change counts from the member's next request, the last owner stays, another
organization's team is out of reach — per credential kind."""

from __future__ import annotations

import pytest

from keytally import admin
from keytally.tokens.models import CreatePersonalAccessToken

from world import ACME, BETA

MEMBERS = f"/v1/organizations/{ACME}/members"


def call(client, credential: str, method: str, path: str = MEMBERS, body: dict | None = None):
    return client.open(path, method=method, headers={"Authorization": f"Bearer {credential}"}, json=body)


def user_id(email: str) -> str:
    return admin.find_user(email).user_id


def team(client, credential: str, org: str = ACME) -> list[tuple[str, str, bool]]:
    response = call(client, credential, "GET", f"/v1/organizations/{org}/members")
    assert response.status_code == 200, response.json
    return [(member["email"], member["role"], member["is_active"]) for member in response.json["data"]]


def test_an_owner_lists_adds_changes_and_removes_members_and_each_change_counts_at_once(client, world):
    owner = world.keys["owner"]
    assert team(client, owner) == [
        ("admin@acme.test", "admin", True),
        ("both@test.test", "owner", True),
        ("owner@acme.test", "owner", True),
    ]
    nobody = world.keys["nobody"]
    assert call(client, nobody, "GET", "/v1/api_keys?organizationSlug=acme-org").status_code == 403
    added = call(client, owner, "POST", body={"email": "Nobody@Test.test", "role": "admin"})
    assert added.status_code == 201 and added.json["data"]["role"] == "admin", added.json
    assert call(client, nobody, "GET", "/v1/api_keys?organizationSlug=acme-org").status_code == 200
    again = call(client, owner, "POST", body={"email": "nobody@test.test", "role": "member"})
    assert again.status_code == 409 and again.json["error"]["code"] == "CONFLICT_ERROR"

    path = f"{MEMBERS}/{user_id('nobody@test.test')}"
    lowered = call(client, owner, "PATCH", path, {"role": "member"})
    assert lowered.status_code == 200 and lowered.json["data"]["email"] == "nobody@test.test"
    assert call(client, nobody, "GET", "/v1/api_keys?organizationSlug=acme-org").status_code == 403
    assert call(client, owner, "PATCH", path, {"role": "member"}).json["data"] == lowered.json["data"]  # idempotent
    assert call(client, owner, "PATCH", path, {"is_active": False}).json["data"]["is_active"] is False
    assert call(client, nobody, "GET", "/v1/analytics/api_keys?organizationSlug=acme-org").status_code == 403
    assert call(client, owner, "DELETE", path).status_code == 200
    assert call(client, owner, "DELETE", path).status_code == 404
    assert ("nobody@test.test", "member", False) not in team(client, owner)


@pytest.mark.parametrize(
    ("credential", "method", "expected"),
    [
        ("admin", "GET", 200),
        ("admin", "POST admin", 201),
        ("admin", "POST owner", 403),  # an admin cannot make an owner
        ("admin", "PATCH owner", 403),  # nor change one
        ("admin", "DELETE owner", 403),
        ("acme", "POST owner", 201),  # the organization's own key holds every scope
        ("beta", "GET", 403),  # another organization's key
        ("both bound to beta", "GET", 403),  # a token bound to another organization
        ("both", "GET beta", 200),  # a plain member sees the team...
        ("both", "POST beta", 403),  # ...but cannot change it
        ("owner read-only token", "GET", 200),
        ("owner read-only token", "POST admin", 403),
        ("staff", "POST owner", 201),
        ("nobody", "GET", 403),
        ("org-no-scope", "GET", 403),  # analytics:read only
    ],
)
def test_who_may_see_and_change_the_team(client, world, credential, method, expected):
    tokens = {
        "both bound to beta": lambda: admin.create_token(
            "both@test.test", CreatePersonalAccessToken(name="b", organizationSlug=BETA), _now()
        )[1],
        "owner read-only token": lambda: admin.create_token(
            "owner@acme.test", CreatePersonalAccessToken(name="r", read_only=True), _now()
        )[1],
    }
    value = tokens[credential]() if credential in tokens else world.keys[credential]
    verb, _, target = method.partition(" ")
    org = BETA if target == "beta" else ACME
    members = f"/v1/organizations/{org}/members"
    if verb == "GET":
        response = call(client, value, "GET", members)
    elif verb == "POST":
        role = "member" if target == "beta" else target
        response = call(client, value, "POST", members, {"email": "nobody@test.test", "role": role})
    elif verb == "PATCH":
        response = call(client, value, "PATCH", f"{members}/{user_id('owner@acme.test')}", {"role": "admin"})
    else:
        response = call(client, value, "DELETE", f"{members}/{user_id('owner@acme.test')}")
    assert response.status_code == expected, response.json


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_the_last_active_owner_stays_and_anyone_may_leave(client, world):
    both, owner = world.keys["both"], world.keys["owner"]
    assert (
        call(client, both, "DELETE", f"/v1/organizations/{BETA}/members/{user_id('both@test.test')}").status_code == 200
    )
    assert call(client, both, "GET", f"/v1/organizations/{BETA}/members").status_code == 403  # left: no access
    assert call(client, owner, "DELETE", f"{MEMBERS}/{user_id('both@test.test')}").status_code == 200
    path = f"{MEMBERS}/{user_id('owner@acme.test')}"
    for method, body in (("PATCH", {"role": "admin"}), ("PATCH", {"is_active": False}), ("DELETE", None)):
        refused = call(client, owner, method, path, body)
        assert refused.status_code == 409 and "no active owner" in refused.json["error"]["description"]
    assert team(client, owner) == [("admin@acme.test", "admin", True), ("owner@acme.test", "owner", True)]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", MEMBERS, {"email": "nobody@test.test", "role": "root"}, 422),
        ("POST", MEMBERS, {"email": "nobody@test.test"}, 422),
        ("POST", MEMBERS, {"email": "ghost@test.test", "role": "member"}, 404),
        ("POST", MEMBERS, {"email": "nobody@test.test", "role": "member", "extra": 1}, 422),
        ("PATCH", f"{MEMBERS}/usr_missing", {"role": "member"}, 404),
        ("PATCH", f"{MEMBERS}/bad%20id", {"role": "member"}, 422),
        ("PATCH", f"{MEMBERS}/usr_missing", {"is_active": "yes"}, 422),
        ("GET", "/v1/organizations/ghost-org/members", None, 403),
        ("GET", "/v1/organizations/Bad Slug/members", None, 422),
    ],
)
def test_bad_input_is_a_clean_4xx(client, world, method, path, body, status):
    response = call(client, world.keys["owner"], method, path, body)
    assert response.status_code == status, response.json
