"""A product key's credits raised or lowered by an amount, as moves of its counter shards (storage/key_counters.py).

Every move is relative where it can be (a shard's balance plus or minus what it gives or takes) and holds only on
the state it was decided on, so a verification spending meanwhile is neither lost nor refunded: it fails the change,
which reads again. A balance never goes below zero: lowering it by more than it holds takes what is left. A refill
due on a shard is counted as made first (the shard is refilled as it moves).
"""

from __future__ import annotations

from datetime import datetime

from keytally.models import KeyRecord, Refilled, ShardCounters, Shifted
from keytally.storage.key_counters import balance


def credit_moves(
    record: KeyRecord, shards: list[ShardCounters | None], delta: int, now: datetime
) -> dict[int, Refilled | Shifted]:
    """The moves that change the key's credits by `delta` (a raise goes to the first shard, a cut is taken from the
    shards in order); none when nothing changes. The key must have credits (not unlimited)."""
    period = record.refill.period_start(now) if record.refill else None
    moves: dict[int, Refilled | Shifted] = {}
    left = delta
    for index, shard in enumerate(shards):
        if shard is None or shard.remaining is None:
            continue
        held = balance(record, shard, index, now) or 0
        change = left if left > 0 else -min(held, -left)
        left -= change
        due = record.refill is not None and record.refill.is_due(shard.last_refill_at, now)
        if due and period is not None:
            moves[index] = Refilled(held + change, period)
        elif change:
            moves[index] = Shifted(change, period)
        if left == 0:
            break
    return moves
