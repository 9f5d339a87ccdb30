"""keytally.verify.counters decides a valid verification's changes from the key's state; storage renders them as
one conditional update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from keytally.models import (
    Code,
    CountInWindow,
    CounterChanges,
    KeyKind,
    KeyRecord,
    ProductRateLimit,
    Refill,
    RefillCredits,
    SpendCredits,
    StartWindow,
)
from keytally.storage.api_keys import CounterExpression, render
from keytally.storage.dynamodb import stored_time
from keytally.verify import counters

NOW = datetime(2026, 11, 23, 15, 30, 0, tzinfo=UTC)


def product(**changes) -> KeyRecord:
    fields = {
        "api_key_id": "ak_1",
        "key_hash": "0" * 64,
        "key_start": "kt_prd_abc",
        "key_type": KeyKind.PRODUCT,
        "org_slug": "acme",
        "api_id": "api_1",
        "created_time": NOW - timedelta(days=3),
        "last_used_at": NOW - timedelta(seconds=5),
    }
    return KeyRecord(**{**fields, **changes})


@dataclass
class Planned(CounterExpression):
    """A plan as storage writes it, and what it refused."""

    refused: Code | None = None


def plan(record: KeyRecord, cost: int, now: datetime) -> Planned:
    decided = counters.plan(record, cost, now)
    return Planned(**vars(render(decided.changes)), refused=decided.refused)


def ratelimit_window(record: KeyRecord, now: datetime) -> int:
    assert record.ratelimit is not None
    return record.ratelimit.window_of(now)


def test_an_unlimited_key_writes_only_a_stale_last_use():
    assert plan(product(), 1, NOW).assignments == []
    stale = plan(product(last_used_at=NOW - timedelta(minutes=2)), 1, NOW)
    assert stale.assignments == ["last_used_at = :now"] and stale.values[":now"] == stored_time(NOW)
    assert stale.condition == "attribute_exists(pk)"


def test_rate_limit_counts_within_the_window_and_restarts_in_a_new_one():
    limit = ProductRateLimit(limit=3, duration=60_000)
    window = ratelimit_window(product(ratelimit=limit), NOW)
    used = plan(product(ratelimit=limit, ratelimit_window=window, ratelimit_count=2), 1, NOW)
    assert used.assignments == ["ratelimit_count = ratelimit_count + :one"]
    assert used.values[":limit"] == 3 and "ratelimit_count < :limit" in used.condition
    assert plan(product(ratelimit=limit, ratelimit_window=window, ratelimit_count=3), 1, NOW).refused is (
        Code.RATE_LIMITED
    )
    fresh = plan(product(ratelimit=limit, ratelimit_window=window - 1, ratelimit_count=3), 1, NOW)
    assert fresh.assignments == ["ratelimit_window = :window, ratelimit_count = :one"]
    assert fresh.values[":window"] == window and "ratelimit_window < :window" in fresh.condition


def test_credits_are_spent_only_when_enough_remain():
    spent = plan(product(remaining=5), 5, NOW)
    assert spent.assignments == ["remaining = remaining - :cost"] and spent.values[":cost"] == 5
    assert spent.condition == "(remaining >= :cost)"
    assert plan(product(remaining=4), 5, NOW).refused is Code.USAGE_EXCEEDED
    assert plan(product(remaining=0), 0, NOW).refused is None  # a free verification of an empty key is valid


def test_a_due_refill_replaces_the_balance_once_per_interval():
    refill = Refill(interval="daily", amount=100)
    yesterday = datetime(2026, 11, 22, tzinfo=UTC)
    due = plan(product(remaining=0, refill=refill, last_refill_at=yesterday), 3, NOW)
    assert due.assignments == ["remaining = :refilled, last_refill_at = :period"]
    assert due.values[":refilled"] == 97 and due.values[":period"] == stored_time(datetime(2026, 11, 23, tzinfo=UTC))
    assert "last_refill_at < :period" in due.condition
    done = plan(product(remaining=10, refill=refill, last_refill_at=datetime(2026, 11, 23, tzinfo=UTC)), 3, NOW)
    assert done.assignments == ["remaining = remaining - :cost"] and "last_refill_at >= :period" in done.condition
    monthly = plan(product(remaining=0, refill=Refill(interval="monthly", amount=50), last_refill_at=yesterday), 1, NOW)
    assert monthly.refused is Code.USAGE_EXCEEDED  # already refilled this month


def test_the_plan_is_typed_changes_each_on_the_state_it_was_decided_on():
    limit, refill = ProductRateLimit(limit=3, duration=60_000), Refill(interval="daily", amount=100)
    window = ratelimit_window(product(ratelimit=limit), NOW)
    today = datetime(2026, 11, 23, tzinfo=UTC)
    counting = counters.plan(product(ratelimit=limit, ratelimit_window=window, ratelimit_count=1, remaining=7), 2, NOW)
    assert counting.changes == CounterChanges(rate_limit=CountInWindow(window, 3), credits=SpendCredits(2))
    refilling = counters.plan(
        product(ratelimit=limit, remaining=0, refill=refill, last_refill_at=today - timedelta(days=1)), 3, NOW
    )
    assert refilling.changes == CounterChanges(rate_limit=StartWindow(window), credits=RefillCredits(97, today))
    assert counters.plan(product(remaining=1), 2, NOW) == counters.Plan(refused=Code.USAGE_EXCEEDED)
