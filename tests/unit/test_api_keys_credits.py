"""A key's credits raised or lowered as moves of its counter shards (api_keys/credits.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from keytally.api_keys.credits import credit_moves
from keytally.models import KeyKind, KeyRecord, Refill, Refilled, ShardCounters, Shifted
from keytally.storage import key_counters

NOW = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
DAILY = Refill(interval="daily", amount=12)
TODAY = DAILY.period_start(NOW)


def product(**changes) -> KeyRecord:
    return KeyRecord(
        api_key_id="ak_1",
        key_hash="0" * 64,
        key_start="kt_prd_abc",
        key_type=KeyKind.PRODUCT,
        org_slug="acme",
        api_id="api_1",
        created_time=NOW - timedelta(days=3),
        **changes,
    )


def applied(shard: ShardCounters, move: Refilled | Shifted | None) -> ShardCounters:
    """The shard after a move, as storage applies it; a move's condition that fails on the shard fails the test."""
    match move:
        case Refilled(balance, period):
            assert shard.last_refill_at is None or shard.last_refill_at < period
            return shard.model_copy(update={"remaining": balance, "last_refill_at": period})
        case Shifted(delta, period):
            assert shard.remaining is not None and shard.remaining + delta >= 0
            assert period is None or (shard.last_refill_at is not None and shard.last_refill_at >= period)
            return shard.model_copy(update={"remaining": shard.remaining + delta})
    return shard


@given(st.data())
def test_a_change_moves_the_whole_balance_by_delta_never_below_zero(data):
    parts = data.draw(st.integers(1, 8), label="shards")
    refill = data.draw(st.sampled_from([None, DAILY]), label="refill")
    record = product(counter_shards=parts, refill=refill, state_version=1 if parts > 1 else 0)
    shards = [
        ShardCounters(
            remaining=data.draw(st.integers(0, 9), label=f"credits {index}"),
            last_refill_at=data.draw(st.sampled_from([TODAY, TODAY - timedelta(days=1)])) if refill else None,
        )
        for index in range(parts)
    ]
    delta = data.draw(st.integers(-60, 60), label="delta")
    before = key_counters.summed(record, list(shards), NOW).remaining
    assert before is not None
    moves = credit_moves(record, shards, delta, NOW)
    after = [applied(shard, moves.get(index)) for index, shard in enumerate(shards)]
    assert key_counters.summed(record, list(after), NOW).remaining == max(0, before + delta)
    assert all(shard.remaining is not None and shard.remaining >= 0 for shard in after)


def test_a_raise_goes_to_the_first_shard_a_cut_is_taken_in_order():
    record = product(counter_shards=3, state_version=1)
    shards = [ShardCounters(remaining=2), ShardCounters(remaining=5), ShardCounters(remaining=1)]
    assert credit_moves(record, shards, 4, NOW) == {0: Shifted(4, None)}
    assert credit_moves(record, shards, -4, NOW) == {0: Shifted(-2, None), 1: Shifted(-2, None)}
    assert credit_moves(record, shards, 0, NOW) == {}


def test_a_due_refill_is_made_as_the_shard_moves():
    record = product(refill=DAILY)
    yesterday = [ShardCounters(remaining=1, last_refill_at=TODAY - timedelta(days=1))]
    assert credit_moves(record, yesterday, 3, NOW) == {0: Refilled(12 + 3, TODAY)}
    assert credit_moves(record, yesterday, -20, NOW) == {0: Refilled(0, TODAY)}
