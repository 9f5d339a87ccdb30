"""keytally.auth.rate_limit: hourly windows and the X-RateLimit-* headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keytally.auth.rate_limit import DEFAULT_LIMIT, MAX_LIMIT, WINDOW, Quota, Window

T = datetime(2024, 3, 5, 14, 37, 12, 345678, tzinfo=UTC)
HOUR_START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
HOUR_END = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


def test_constants() -> None:
    assert WINDOW == timedelta(hours=1)
    assert DEFAULT_LIMIT == 5000
    assert MAX_LIMIT == 10000


@pytest.mark.parametrize(
    "now",
    [
        T,
        HOUR_START,
        HOUR_END - timedelta(microseconds=1),
        datetime(2024, 3, 5, 14, 59, 59, tzinfo=UTC),
    ],
)
def test_containing_truncates_to_the_hour(now: datetime) -> None:
    window = Window.containing(now)

    assert window.start == HOUR_START
    assert window.end == HOUR_END
    assert window.start.tzinfo is UTC


def test_containing_the_end_instant_is_the_next_window() -> None:
    assert Window.containing(HOUR_END).start == HOUR_END


@pytest.mark.parametrize(
    ("start", "label"),
    [
        (HOUR_START, "2024030514"),
        (datetime(2024, 1, 2, 3, tzinfo=UTC), "2024010203"),
        (datetime(2025, 12, 31, 23, tzinfo=UTC), "2025123123"),
        (datetime(2024, 1, 1, 0, tzinfo=UTC), "2024010100"),
    ],
)
def test_label_is_yyyymmddhh(start: datetime, label: str) -> None:
    assert Window(start).label == label


def test_label_is_the_same_across_the_hour_and_changes_at_its_end() -> None:
    assert Window.containing(HOUR_START).label == Window.containing(HOUR_END - timedelta(microseconds=1)).label
    assert Window.containing(HOUR_END).label == "2024030515"


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        pytest.param(HOUR_START, 3600, id="window-start"),
        pytest.param(HOUR_START + timedelta(minutes=30), 1800, id="half-way"),
        pytest.param(HOUR_END - timedelta(seconds=90), 90, id="whole-seconds-left"),
        pytest.param(HOUR_END - timedelta(seconds=1.8), 2, id="fraction-rounds-up"),
        pytest.param(HOUR_END - timedelta(seconds=1.2), 2, id="small-fraction-rounds-up"),
        pytest.param(HOUR_END - timedelta(seconds=1), 1, id="one-second-left"),
        pytest.param(HOUR_END - timedelta(milliseconds=500), 1, id="half-second-left"),
        pytest.param(HOUR_END - timedelta(microseconds=1), 1, id="one-microsecond-left"),
        pytest.param(HOUR_END, 1, id="exactly-at-end-never-zero"),
        pytest.param(HOUR_END + timedelta(minutes=5), 1, id="past-end-never-negative"),
    ],
)
def test_seconds_left(now: datetime, seconds: int) -> None:
    assert Window(HOUR_START).seconds_left(now) == seconds


def test_seconds_left_is_the_ceiling_for_tiny_fractions() -> None:
    now = HOUR_END - timedelta(seconds=11, microseconds=500)
    assert Window(HOUR_START).seconds_left(now) == 12


def test_seconds_left_is_at_least_one_for_every_second_of_the_last_minute() -> None:
    window = Window(HOUR_START)
    for tenths in range(600):
        now = HOUR_END - timedelta(milliseconds=100 * tenths)
        left = window.seconds_left(now)
        assert left >= 1
        assert left >= (HOUR_END - now).total_seconds()


def test_expires_epoch_is_one_window_past_the_end() -> None:
    window = Window(HOUR_START)

    assert window.expires_epoch() == int(datetime(2024, 3, 5, 16, 0, tzinfo=UTC).timestamp())
    assert window.expires_epoch() == 1709654400
    assert window.expires_epoch() - int(window.end.timestamp()) == 3600


@pytest.mark.parametrize(("limit", "remaining"), [(5000, 4999), (10000, 0), (1, 1)])
def test_quota_headers(limit: int, remaining: int) -> None:
    assert Quota(limit=limit, remaining=remaining).headers() == {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
    }


def test_quota_headers_are_strings() -> None:
    headers = Quota(limit=5000, remaining=12).headers()

    assert headers == {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "12"}
    assert all(isinstance(value, str) for value in headers.values())


def test_verifications_have_their_own_budget():
    from keytally.auth.rate_limit import VERIFICATION_LIMIT, Budget
    from keytally.models import Scope

    assert Budget.of_scope(Scope.KEYS_VERIFY) is Budget.VERIFICATION
    assert {Budget.of_scope(scope) for scope in Scope if scope is not Scope.KEYS_VERIFY} == {Budget.MANAGEMENT}
    assert Budget.VERIFICATION.limit(100) == VERIFICATION_LIMIT == 3_600_000
    assert Budget.MANAGEMENT.limit(100) == 100
