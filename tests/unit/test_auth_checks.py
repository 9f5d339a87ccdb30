"""keytally.auth.checks: a credential's own state and its source-IP allow-list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keytally.auth.checks import ip_allowed, require_allowed_ip, require_usable
from keytally.errors import Forbidden, Unauthorized
from keytally.models import KeyKind, KeyRecord

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def record(**changes) -> KeyRecord:
    fields = {
        "api_key_id": "ak_test",
        "key_hash": "0" * 64,
        "key_start": "kt_org_abc",
        "key_type": KeyKind.ORGANIZATION,
        "org_slug": "acme",
        "created_time": NOW - timedelta(days=30),
    }
    return KeyRecord(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        pytest.param({"revoked_at": NOW - timedelta(hours=1)}, "revoked", id="revoked"),
        pytest.param({"revoked_at": NOW + timedelta(hours=1)}, "revoked", id="revoked-any-time-set"),
        pytest.param({"is_enabled": False}, "disabled", id="disabled"),
        pytest.param({"expires_at": NOW - timedelta(seconds=1)}, "expired", id="expired"),
        pytest.param({"expires_at": NOW}, "expired", id="expires-exactly-now"),
        pytest.param(
            {"revoked_at": NOW - timedelta(hours=1), "is_enabled": False, "expires_at": NOW - timedelta(days=1)},
            "revoked",
            id="revoked-wins",
        ),
    ],
)
def test_require_usable_rejects_unusable_keys(changes: dict, word: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        require_usable(record(**changes), NOW)

    assert caught.value.status == 401
    assert word in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="no-expiry"),
        pytest.param({"expires_at": NOW + timedelta(microseconds=1)}, id="expires-just-after-now"),
        pytest.param({"expires_at": NOW + timedelta(days=365)}, id="expires-next-year"),
        pytest.param({"last_used_at": NOW - timedelta(days=400)}, id="long-unused"),
    ],
)
def test_require_usable_accepts_live_keys(changes: dict) -> None:
    assert require_usable(record(**changes), NOW) is None


@pytest.mark.parametrize(
    ("source_ip", "allow_ips", "allowed"),
    [
        pytest.param("203.0.113.9", [], True, id="empty-list-allows-v4"),
        pytest.param("2001:db8::1", [], True, id="empty-list-allows-v6"),
        pytest.param("10.1.2.3", ["10.0.0.0/8"], True, id="v4-cidr-inside"),
        pytest.param("11.0.0.1", ["10.0.0.0/8"], False, id="v4-cidr-outside"),
        pytest.param("10.0.0.1", ["10.0.0.1/8"], True, id="v4-cidr-host-bits-set"),
        pytest.param("192.0.2.7", ["192.0.2.7"], True, id="single-v4-same"),
        pytest.param("192.0.2.8", ["192.0.2.7"], False, id="single-v4-other"),
        pytest.param("192.0.2.8", ["198.51.100.0/24", "192.0.2.8/32"], True, id="second-entry-matches"),
        pytest.param("2001:db8:1::5", ["2001:db8::/32"], True, id="v6-cidr-inside"),
        pytest.param("2001:db9::5", ["2001:db8::/32"], False, id="v6-cidr-outside"),
        pytest.param("::1", ["::1"], True, id="single-v6"),
        pytest.param("::ffff:10.1.2.3", ["10.0.0.0/8"], True, id="v4-mapped-v6-inside-v4-cidr"),
        pytest.param("::ffff:11.1.2.3", ["10.0.0.0/8"], False, id="v4-mapped-v6-outside-v4-cidr"),
        pytest.param("not-an-ip", ["10.0.0.0/8"], False, id="garbage-source"),
        pytest.param("", ["10.0.0.0/8"], False, id="empty-source"),
        pytest.param("10.0.0.256", ["10.0.0.0/8"], False, id="out-of-range-octet"),
        pytest.param("10.0.0.1", ["2001:db8::/32", "::/0"], False, id="v4-source-v6-only-list"),
        pytest.param("2001:db8::1", ["0.0.0.0/0"], False, id="v6-source-v4-only-list"),
    ],
)
def test_ip_allowed(source_ip: str, allow_ips: list[str], allowed: bool) -> None:
    assert ip_allowed(source_ip, allow_ips) is allowed


def test_ip_allowed_accepts_a_tuple_like_the_stored_record() -> None:
    assert ip_allowed("10.0.0.5", ("10.0.0.0/24",)) is True
    assert ip_allowed("10.0.1.5", ("10.0.0.0/24",)) is False


def test_require_allowed_ip_raises_forbidden_outside_list() -> None:
    require_allowed_ip("10.0.0.5", ["10.0.0.0/24"])
    with pytest.raises(Forbidden) as caught:
        require_allowed_ip("10.0.1.5", ["10.0.0.0/24"])
    assert caught.value.status == 403
