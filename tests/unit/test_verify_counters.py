"""keytally.verify.counters decides a valid verification's changes from the key's state; storage renders them as
one conditional update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from keytally.models import (
    Code,
    CountInWindow,
    CounterChanges,
    KeyKind,
    KeyRecord,
    ProductRateLimit,
    Refill,
    RefillCredits,
    ShardCounters,
    SpendCredits,
    StartWindow,
    share_of,
)
from keytally.storage import key_counters
from keytally.storage.dynamodb import stored_time
from keytally.storage.key_counters import CounterExpression, render
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


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_split_key_refuses_exactly_when_the_key_as_a_whole_would(data):
    """Each shard sees its share of the limit; the key refuses only when the whole window's limit is used, or all
    the credits together are fewer than the cost. Otherwise it spends on a shard with room, or gathers the credits
    (none lost, none made) on a shard with room in the window."""
    parts = data.draw(st.integers(1, 8), label="shards")
    limit = data.draw(st.integers(1, 40), label="limit")
    cost = data.draw(st.integers(1, 12), label="cost")
    record = product(counter_shards=parts, ratelimit=ProductRateLimit(limit=limit, duration=60_000), state_version=1)
    window = record.ratelimit.window_of(NOW)
    shards = [
        ShardCounters(
            remaining=data.draw(st.integers(0, 9), label=f"credits {index}"),
            ratelimit_window=data.draw(st.sampled_from([window - 1, window]), label=f"window {index}"),
            ratelimit_count=data.draw(st.integers(0, share_of(limit, parts, index)), label=f"count {index}"),
            state_version=1,
        )
        for index in range(parts)
    ]
    used = sum(shard.ratelimit_count for shard in shards if shard.ratelimit_window == window)
    credits = sum(shard.remaining or 0 for shard in shards)
    choice = counters.choose(record, list(shards), cost, NOW)
    room = [
        index
        for index, shard in enumerate(shards)
        if (shard.ratelimit_count if shard.ratelimit_window == window else 0) < share_of(limit, parts, index)
    ]
    if used >= limit:
        assert choice.refused is Code.RATE_LIMITED
    elif credits < cost:
        assert choice.refused is Code.USAGE_EXCEEDED
    elif choice.moves is None:
        assert choice.refused is None and choice.shard in room and (shards[choice.shard].remaining or 0) >= cost
    else:
        assert all((shard.remaining or 0) < cost for index, shard in enumerate(shards) if index in room)
        after = {index: (shards[index].remaining or 0) + move.delta for index, move in choice.moves.items()}
        holding = {index: left for index, left in after.items() if left}
        assert list(holding.values()) == [credits] and set(holding) <= set(room)
        assert not any(shard.remaining for index, shard in enumerate(shards) if index not in choice.moves)


def test_a_split_key_answers_for_all_its_shards():
    record = product(
        counter_shards=3,
        refill=Refill(interval="daily", amount=30),
        ratelimit=ProductRateLimit(limit=9, duration=60_000),
    )
    window = record.ratelimit.window_of(NOW)
    today = Refill(interval="daily", amount=30).period_start(NOW)
    shards = [
        ShardCounters(remaining=4, last_refill_at=today, ratelimit_window=window, ratelimit_count=2),
        ShardCounters(
            remaining=0, last_refill_at=today - timedelta(days=1), ratelimit_window=window - 1, ratelimit_count=3
        ),
        None,  # a shard not found counts for nothing
    ]
    merged = key_counters.summed(record, shards, NOW)
    assert (merged.remaining, merged.ratelimit_window, merged.ratelimit_count) == (4 + 10, window, 2)
