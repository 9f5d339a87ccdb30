"""keytally.api_keys.models: request validation and the ApiKey response object."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from keytally.api_keys.models import ApiKey, CreateApiKey, UpdateApiKey
from keytally.auth.secrets import generate_key, key_start
from keytally.models import KeyKind, KeyRecord, Scope

CREATED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


# --- CreateApiKey ----------------------------------------------------------------------------------------


def test_create_defaults() -> None:
    body = CreateApiKey()

    assert body.key_type == "organization"
    assert body.organizationSlug is None
    assert body.description == ""
    assert body.scope_names is None
    assert body.allow_ips == []
    assert body.is_enabled is True
    assert body.expires_at is None
    assert body.rate_limit == 5000


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("10.0.0.1/8", "10.0.0.0/8"),
        ("10.0.0.1", "10.0.0.1/32"),
        ("192.168.1.0/24", "192.168.1.0/24"),
        (" 10.0.0.1 ", "10.0.0.1/32"),
        ("::1", "::1/128"),
        ("2001:DB8::1/32", "2001:db8::/32"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_create_allow_ips_are_normalised(given: str, normalised: str) -> None:
    assert CreateApiKey(allow_ips=[given]).allow_ips == [normalised]


def test_create_allow_ips_keeps_order_of_several() -> None:
    body = CreateApiKey(allow_ips=["::1", "10.0.0.1/8"])
    assert body.allow_ips == ["::1/128", "10.0.0.0/8"]


@pytest.mark.parametrize(
    "bad", ["not-an-ip", "10.0.0.256", "10.0.0.0/33", "::1/129", "10.0.0.0/8/8", "", "example.com"]
)
def test_create_invalid_ip_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CreateApiKey(allow_ips=["10.0.0.0/8", bad])

    [error] = caught.value.errors()
    assert error["loc"] == ("allow_ips", 1)


def test_create_scopes_are_parsed_to_enum() -> None:
    body = CreateApiKey(scope_names=["keys:read", "metrics:read"])
    assert body.scope_names == [Scope.KEYS_READ, Scope.METRICS_READ]


@pytest.mark.parametrize("bad", ["keys:admin", "KEYS:READ", "keys_read", ""])
def test_create_unknown_scope_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CreateApiKey(scope_names=["keys:read", bad])

    [error] = caught.value.errors()
    assert error["loc"] == ("scope_names", 1)


@pytest.mark.parametrize("limit", [1, 2, 5000, 9999, 10000])
def test_create_rate_limit_in_bounds(limit: int) -> None:
    assert CreateApiKey(rate_limit=limit).rate_limit == limit


@pytest.mark.parametrize("limit", [0, -1, 10001, 1_000_000])
def test_create_rate_limit_out_of_bounds(limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        CreateApiKey(rate_limit=limit)

    [error] = caught.value.errors()
    assert error["loc"] == ("rate_limit",)


@pytest.mark.parametrize("given", ["0003-01-01T00:01:00Z", "1969-12-31T23:59:59Z", "9999-12-31T00:00:00-05:00"])
@pytest.mark.parametrize("model", [CreateApiKey, UpdateApiKey])
def test_an_expiry_no_table_can_store_is_rejected(model: type, given: str) -> None:
    """The fuzz run once created a key expiring in the year 3, which was stored as '3-01-01...' and broke every
    later read of the organization's keys."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"expires_at": given})

    [error] = caught.value.errors()
    assert error["loc"] == ("expires_at",) and "1970-01-01 to 9999-12-30" in error["msg"]


@pytest.mark.parametrize("extra", [{"api_key_id": "ak_x"}, {"key_value": "kt_org_x"}, {"scopes": ["keys:read"]}])
def test_create_extra_fields_are_rejected(extra: dict) -> None:
    with pytest.raises(ValidationError) as caught:
        CreateApiKey(**extra)

    [error] = caught.value.errors()
    assert error["type"] == "extra_forbidden"


def test_create_key_type_is_organization_or_user() -> None:
    assert CreateApiKey(key_type="user").key_type == "user"
    with pytest.raises(ValidationError):
        CreateApiKey(key_type="admin")


def test_create_expires_at_must_be_timezone_aware() -> None:
    assert CreateApiKey(expires_at="2030-01-01T00:00:00Z").expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        CreateApiKey(expires_at="2030-01-01T00:00:00")


@pytest.mark.parametrize("slug", ["Acme", "-acme", "acme corp", "", "a" * 65])
def test_create_invalid_organization_slug_is_rejected(slug: str) -> None:
    with pytest.raises(ValidationError):
        CreateApiKey(organizationSlug=slug)


def test_create_from_json_like_the_handler() -> None:
    body = CreateApiKey.model_validate_json(
        json.dumps({"description": "ci", "allow_ips": ["10.0.0.1/8"], "rate_limit": 10000})
    )
    assert (body.description, body.allow_ips, body.rate_limit) == ("ci", ["10.0.0.0/8"], 10000)


def test_update_has_the_same_checks_and_no_defaults() -> None:
    body = UpdateApiKey(allow_ips=["::1"])
    assert body.allow_ips == ["::1/128"]
    assert body.model_fields_set == {"allow_ips"}
    with pytest.raises(ValidationError):
        UpdateApiKey(rate_limit=0)
    with pytest.raises(ValidationError):
        UpdateApiKey(allow_ips=["nope"])
    with pytest.raises(ValidationError):
        UpdateApiKey(key_type="user")


# --- ApiKey.of -------------------------------------------------------------------------------------------


def org_record(**changes) -> KeyRecord:
    fields = {
        "api_key_id": "ak_3xQabc",
        "key_hash": "f" * 64,
        "key_start": "kt_org_AbC",
        "key_type": KeyKind.ORGANIZATION,
        "org_slug": "acme",
        "description": "CI key",
        "scope_names": (Scope.KEYS_READ, Scope.ANALYTICS_READ),
        "allow_ips": ("10.0.0.0/8",),
        "rate_limit": 1200,
        "created_time": CREATED,
    }
    return KeyRecord(**{**fields, **changes})


def test_api_key_of_org_record_dumps_by_alias() -> None:
    dumped = ApiKey.of(org_record()).model_dump(by_alias=True)

    assert dumped["@type"] == "api_key"
    assert "type" not in dumped
    assert dumped["key_value"] is None
    assert dumped["api_key_id"] == "ak_3xQabc"
    assert dumped["key_type"] == "organization"
    assert dumped["key_start"] == "kt_org_AbC"
    assert dumped["scope_names"] == ["keys:read", "analytics:read"]
    assert dumped["allow_ips"] == ["10.0.0.0/8"]
    assert dumped["is_enabled"] is True
    assert dumped["behalf_of_user_info"] is None
    assert dumped["organizationSlug"] == "acme"
    assert dumped["rate_limit"] == 1200
    assert dumped["created_time"] == CREATED
    assert dumped["description"] == "CI key"
    assert dumped["last_used_at"] is None
    assert dumped["expires_at"] is None
    assert dumped["revoked_at"] is None


def test_api_key_json_uses_the_alias_by_default() -> None:
    dumped = json.loads(ApiKey.of(org_record()).model_dump_json())

    assert dumped["@type"] == "api_key"
    assert "type" not in dumped
    assert dumped["key_value"] is None
    assert dumped["created_time"] == "2024-05-06T07:08:09Z"


def test_api_key_of_with_key_value_only_on_create() -> None:
    key = generate_key(KeyKind.ORGANIZATION)
    record = org_record(key_start=key_start(key))

    assert ApiKey.of(record, key).key_value == key
    assert ApiKey.of(record).key_value is None


def test_api_key_of_user_record_names_the_user() -> None:
    record = org_record(
        key_type=KeyKind.USER, org_slug=None, user_id="u_alice", user_email="alice@example.com", key_start="kt_usr_AbC"
    )
    dumped = ApiKey.of(record).model_dump(by_alias=True, mode="json")

    assert dumped["key_type"] == "user"
    assert dumped["organizationSlug"] is None
    assert dumped["behalf_of_user_info"] == {"@type": "user", "user_id": "u_alice", "email": "alice@example.com"}


def test_api_key_of_carries_timestamps_and_disabled_state() -> None:
    used = datetime(2024, 6, 1, tzinfo=UTC)
    expires = datetime(2025, 1, 1, tzinfo=UTC)
    revoked = datetime(2024, 7, 1, tzinfo=UTC)
    api_key = ApiKey.of(org_record(is_enabled=False, last_used_at=used, expires_at=expires, revoked_at=revoked))

    assert api_key.is_enabled is False
    assert (api_key.last_used_at, api_key.expires_at, api_key.revoked_at) == (used, expires, revoked)
