"""Personal access tokens (ShellUI's PATs) through the local API: who may create them, what they may do, and that
revocation, flag changes and a changed user take effect on the very next request."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from keytally import admin
from keytally.models import Role
from keytally.settings import get_settings
from keytally.storage import signing_key
from keytally.storage.dynamodb import entity_table
from keytally.tokens.models import CreatePersonalAccessToken

from world import ACME, BETA

PATS = "/v1/personal-access-tokens"


def call(client, method: str, path: str, credential: str | None, body: dict | None = None, **params):
    return client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {credential}"} if credential else {},
        query_string=params,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def create(client, credential: str, **body) -> dict:
    response = call(client, "POST", PATS, credential, {"name": "test", **body})
    assert response.status_code == 201, response.json
    return response.json["data"]


def set_row(pat_id: str, **attributes) -> None:
    """Changes the token's row behind the API's back, as an operator's database edit would."""
    names = {f"#{name}": name for name in attributes}
    entity_table().update_item(
        Key={"pk": f"PAT#{pat_id}", "sk": "PAT"},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in attributes),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{name}": value for name, value in attributes.items()},
    )


def test_a_user_key_creates_a_token_shown_once_that_works_as_its_user(client, world):
    created = create(client, world.keys["owner"], expires_in_days=30)
    token = created["access_token"]
    assert set(created) == {
        "pat_id", "name", "access_token", "read_only", "access_global_metrics", "organization_slug", "scope_names",
        "created_at", "expires_at", "last_used_at", "revoked_at",
    }  # fmt: skip
    assert (created["read_only"], created["access_global_metrics"], created["organization_slug"]) == (
        False,
        False,
        None,
    )
    assert created["last_used_at"] is None
    lifetime = datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert lifetime == timedelta(days=30)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"sub", "pat_id", "pat_ro", "pat_agm", "jti", "iat", "exp"}
    assert (claims["pat_id"], claims["pat_ro"], claims["pat_agm"]) == (created["pat_id"], False, False)

    keys = call(client, "GET", "/v1/api_keys", token, organizationSlug=ACME)
    assert keys.status_code == 200
    assert call(client, "GET", "/v1/api_keys", token, organizationSlug=BETA).status_code == 403  # not a member

    listed = call(client, "GET", PATS, world.keys["owner"]).json["data"]
    assert [item["pat_id"] for item in listed] == [created["pat_id"]]
    assert listed[0]["access_token"] is None and token not in json.dumps(listed)
    assert listed[0]["last_used_at"] is not None  # the calls above recorded their use


def test_the_token_never_has_more_scopes_than_its_creator(client, world):
    token = create(client, world.keys["user-no-scope"])["access_token"]  # a user key holding analytics:read only
    assert call(client, "GET", "/v1/api_keys", token, organizationSlug=ACME).status_code == 403
    assert call(client, "GET", "/v1/analytics/verifications", token, organizationSlug=ACME).status_code != 403


def test_read_only_tokens_may_only_read(client, world):
    token = create(client, world.keys["owner"], read_only=True)["access_token"]
    assert call(client, "GET", "/v1/api_keys", token, organizationSlug=ACME).status_code == 200
    refused = call(client, "POST", "/v1/api_keys", token, {"key_type": "organization", "organizationSlug": ACME})
    assert refused.status_code == 403
    assert "read-only" in refused.json["error"]["description"]
    assert call(client, "POST", PATS, token, {"name": "child"}).status_code == 403
    assert call(client, "DELETE", f"{PATS}/pat_anything", token).status_code == 403


def test_a_writable_token_creates_tokens_bound_like_itself(client, world):
    bound = create(client, world.keys["both"], organizationSlug=ACME)
    assert bound["organization_slug"] == ACME
    assert jwt.decode(bound["access_token"], options={"verify_signature": False})["org"] == ACME
    assert call(client, "GET", "/v1/api_keys", bound["access_token"]).status_code == 200  # its org by default
    assert call(client, "GET", "/v1/api_keys", bound["access_token"], organizationSlug=BETA).status_code == 403

    child = create(client, bound["access_token"])
    assert child["organization_slug"] == ACME
    escape = call(client, "POST", PATS, bound["access_token"], {"name": "x", "organizationSlug": BETA})
    assert escape.status_code == 403


@pytest.mark.parametrize(
    ("creator", "body", "status"),
    [
        ("owner", {"access_global_metrics": True}, 403),  # only staff
        ("staff", {"access_global_metrics": True}, 201),
        ("owner", {"organizationSlug": BETA}, 403),  # not a member
        ("nobody", {"organizationSlug": ACME}, 403),
        ("staff", {"organizationSlug": BETA}, 201),  # staff: any organization
        ("staff", {"organizationSlug": "no-such-org"}, 404),
        ("acme", {}, 403),  # organization keys have no user
        ("owner", {"expires_in_days": 0}, 422),
        ("owner", {"expires_in_days": 366}, 422),
        ("owner", {"read_only": "yes"}, 422),
        ("owner", {"name": ""}, 422),
    ],
)
def test_who_may_create_which_token(client, world, creator, body, status):
    response = call(client, "POST", PATS, world.keys[creator], {"name": "test", **body})
    assert response.status_code == status, response.json
    if status == 403 and "organizationSlug" in body:
        assert response.json["error"]["message"] == "You do not have permission to access metrics for this organization"


def test_revocation_counts_on_the_very_next_request(client, world):
    created = create(client, world.keys["owner"])
    token, pat_id = created["access_token"], created["pat_id"]
    assert call(client, "GET", PATS, token).status_code == 200
    assert call(client, "DELETE", f"{PATS}/{pat_id}", world.keys["admin"]).status_code == 404  # not theirs
    revoked = call(client, "DELETE", f"{PATS}/{pat_id}", token)  # a token may revoke itself
    assert revoked.status_code == 200 and revoked.json["data"]["revoked_at"] is not None
    refused = call(client, "GET", PATS, token)
    assert refused.status_code == 401 and "revoked" in refused.json["error"]["description"]
    again = call(client, "DELETE", f"{PATS}/{pat_id}", world.keys["owner"])
    assert again.json["data"]["revoked_at"] == revoked.json["data"]["revoked_at"]  # idempotent


@pytest.mark.parametrize(
    "change",
    [
        {"read_only": True},  # the row's flags no longer equal the claims
        {"access_global_metrics": True},
        {"org_slug": ACME},
        {"jti": "jti_reissued"},
    ],
)
def test_a_row_that_no_longer_equals_the_claims_refuses_the_token(client, world, change):
    created = create(client, world.keys["staff"])
    assert call(client, "GET", PATS, created["access_token"]).status_code == 200
    set_row(created["pat_id"], **change)
    assert call(client, "GET", PATS, created["access_token"]).status_code == 401


def test_authorization_reads_the_live_user_not_the_claims(client, world):
    token = create(client, world.keys["both"], organizationSlug=ACME)["access_token"]
    assert call(client, "GET", "/v1/api_keys", token).status_code == 200
    admin.add_member(ACME, "both@test.test", Role.MEMBER)  # demoted: members may not read keys
    assert call(client, "GET", "/v1/api_keys", token).status_code == 403
    both = admin.find_user("both@test.test").user_id
    entity_table().delete_item(Key={"pk": f"USER#{both}", "sk": f"MEMBER#{ACME}"})
    assert call(client, "GET", "/v1/api_keys", token).status_code == 403  # no longer a member at all


def test_forged_expired_and_deleted_tokens_are_401(client, world):
    created = create(client, world.keys["owner"])
    claims = jwt.decode(created["access_token"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "pat_ro": False}, "not-the-signing-key-" * 3, algorithm="HS256")
    assert call(client, "GET", PATS, forged).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert call(client, "GET", PATS, unsigned).status_code == 401
    incomplete = jwt.encode({"sub": claims["sub"], "exp": claims["exp"]}, signing_key.pat_signing_key(), "HS256")
    assert call(client, "GET", PATS, incomplete).status_code == 401
    assert call(client, "GET", PATS, created["access_token"] + "x").status_code == 401

    past = datetime.now(UTC) - timedelta(days=2)
    _, expired = admin.create_token("owner@acme.test", CreatePersonalAccessToken(name="old", expires_in_days=1), past)
    refused = call(client, "GET", PATS, expired)
    assert refused.status_code == 401 and "expired" in refused.json["error"]["description"]

    entity_table().delete_item(Key={"pk": f"PAT#{created['pat_id']}", "sk": "PAT"})
    assert call(client, "GET", PATS, created["access_token"]).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(client, world, dynamodb_calls):
    token = create(client, world.keys["owner"])["access_token"]
    dynamodb_calls.clear()
    call(client, "GET", PATS, token)
    first = dynamodb_calls["UpdateItem"]
    call(client, "GET", PATS, token)
    assert dynamodb_calls["UpdateItem"] == first * 2 - 1  # the rate counter again, not the last use


def test_the_cli_creates_and_revokes_tokens_under_the_same_rules(client, world, capsys):
    from devtools.cli import main

    assert main(["--json", "pat", "create", "--user", "owner@acme.test", "--org", ACME, "--read-only"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert (created["organization_slug"], created["read_only"]) == (ACME, True)
    assert call(client, "GET", "/v1/api_keys", created["access_token"]).status_code == 200
    assert main(["pat", "create", "--user", "owner@acme.test", "--global-metrics"]) == 1
    assert "only staff" in capsys.readouterr().err
    assert main(["pat", "create", "--user", "owner@acme.test", "--org", BETA]) == 1
    capsys.readouterr()
    assert main(["pat", "revoke", created["pat_id"]]) == 0
    assert call(client, "GET", "/v1/api_keys", created["access_token"]).status_code == 401


def test_the_signing_key_comes_from_the_configured_secret(world):
    assert get_settings().pat_secret == "PatSigningSecret"
    assert len(signing_key.pat_signing_key()) == 64


def test_a_bound_token_stays_in_its_organization_even_for_staff(client, world):
    token = create(client, world.keys["staff"], organizationSlug=ACME)["access_token"]
    listed = call(client, "GET", "/v1/api_keys", token).json["data"]
    assert listed and {key["organizationSlug"] for key in listed} == {ACME}
    assert call(client, "GET", f"/v1/api_keys/{world.ids['beta']}", token).status_code == 404
    assert call(client, "GET", "/v1/api_keys", token, organizationSlug=BETA).status_code == 403
    user_key = call(client, "POST", "/v1/api_keys", token, {"key_type": "user"})
    assert user_key.status_code == 403  # a user key would reach beyond the binding
    assert call(client, "POST", "/v1/api_keys", token, {"key_type": "organization"}).status_code == 201
