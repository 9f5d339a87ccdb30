"""A privilege lasts exactly as long as its grant: staff revoked, a user disabled, a membership removed, deactivated
or lowered, a token's row expired — each counts from the very next request of every key and token of that user.
And a credential bound to one organization never reaches another, /v1/metrics/all included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keytally import admin
from keytally.models import Role
from keytally.settings import get_settings
from keytally.storage.dynamodb import stored_time, table
from keytally.tokens.models import CreatePersonalAccessToken

from world import ACME, BETA

STAFF, OWNER = "staff@keytally.test", "owner@acme.test"


def token(email: str, **fields) -> str:
    return admin.create_token(email, CreatePersonalAccessToken(name="t", **fields), datetime.now(UTC))[1]


def status(client, credential: str, path: str, **query) -> int:
    return client.get(path, headers={"Authorization": f"Bearer {credential}"}, query_string=query).status_code


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        ("staff user key", 200),
        ("staff token with access_global_metrics", 200),
        ("staff token without access_global_metrics", 403),
        ("staff token bound to acme, read-only", 403),
        ("staff token bound to acme, with access_global_metrics", 403),
        ("owner user key", 403),
        ("acme organization key", 403),
    ],
)
def test_every_organization_only_for_staff_unbound_and_tokens_made_for_it(client, world, credential, expected):
    credentials = {
        "staff user key": lambda: world.keys["staff"],
        "staff token with access_global_metrics": lambda: token(STAFF, access_global_metrics=True),
        "staff token without access_global_metrics": lambda: token(STAFF),
        "staff token bound to acme, read-only": lambda: token(STAFF, organizationSlug=ACME, read_only=True),
        "staff token bound to acme, with access_global_metrics": lambda: token(
            STAFF, organizationSlug=ACME, access_global_metrics=True
        ),
        "owner user key": lambda: world.keys["owner"],
        "acme organization key": lambda: world.keys["acme"],
    }
    assert status(client, credentials[credential](), "/v1/metrics/all") == expected


def test_staff_revoked_ends_every_staff_privilege_of_every_credential_at_once(client, world):
    global_token, plain_token = token(STAFF, access_global_metrics=True), token(STAFF)
    credentials = (world.keys["staff"], global_token, plain_token)
    assert [status(client, c, "/v1/api_keys", organizationSlug=BETA) for c in credentials] == [200, 200, 200]
    admin.update_user(STAFF, is_staff=False)
    assert [status(client, c, "/v1/metrics/all") for c in credentials] == [403, 403, 403]
    assert [status(client, c, "/v1/api_keys", organizationSlug=BETA) for c in credentials] == [403, 403, 403]
    organizations = client.get("/v1/organizations", headers={"Authorization": f"Bearer {world.keys['staff']}"})
    assert organizations.json["data"] == []
    admin.update_user(STAFF, is_staff=True)
    assert [status(client, c, "/v1/metrics/all") for c in credentials] == [200, 200, 403]


def test_a_disabled_user_is_refused_with_every_credential_until_enabled(client, world):
    credentials = (world.keys["owner"], token(OWNER), token(OWNER, organizationSlug=ACME))
    admin.update_user(OWNER, is_disabled=True)
    for credential in credentials:
        response = client.get("/v1/organizations", headers={"Authorization": f"Bearer {credential}"})
        assert response.status_code == 401 and response.json["error"]["code"] == "UNAUTHORIZED"
    assert status(client, world.keys["acme"], "/v1/api_keys") == 200  # the organization's own key is no user's
    admin.update_user(OWNER, is_disabled=False)
    assert [status(client, c, "/v1/organizations") for c in credentials] == [200, 200, 200]


@pytest.mark.parametrize(
    "change",
    ["removed", "deactivated", "lowered to member"],
)
def test_a_membership_ended_or_lowered_counts_from_the_next_request(client, world, change):
    credentials = (world.keys["owner"], token(OWNER), token(OWNER, organizationSlug=ACME))
    assert [status(client, c, "/v1/api_keys", organizationSlug=ACME) for c in credentials] == [200, 200, 200]
    if change == "removed":
        admin.remove_member(ACME, OWNER)
    elif change == "deactivated":
        admin.update_member(ACME, OWNER, is_active=False)
    else:
        admin.update_member(ACME, OWNER, role=Role.MEMBER)
    expected = 403
    assert [status(client, c, "/v1/api_keys", organizationSlug=ACME) for c in credentials] == [expected] * 3
    analytics = [status(client, c, "/v1/analytics/api_keys", organizationSlug=ACME) for c in credentials]
    assert analytics == ([200] * 3 if change == "lowered to member" else [403] * 3)


def test_a_token_whose_row_expired_is_refused_though_its_claim_has_not(client, world):
    """Defence in depth: were the signing secret to leak, a token's exp claim could say anything; its row decides."""
    record, value = admin.create_token(OWNER, CreatePersonalAccessToken(name="t"), datetime.now(UTC))
    assert status(client, value, "/v1/organizations") == 200
    table(get_settings().table_name).update_item(
        Key={"pk": f"PAT#{record.pat_id}", "sk": "PAT"},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": stored_time(datetime.now(UTC) - timedelta(minutes=1))},
    )
    response = client.get("/v1/organizations", headers={"Authorization": f"Bearer {value}"})
    assert response.status_code == 401 and "expired" in response.json["error"]["description"]
