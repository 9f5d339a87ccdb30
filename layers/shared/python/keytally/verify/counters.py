"""A product key's counters, decided in plain Python: its rate-limit window and its credits with refill.

The plan is a set of typed changes that storage applies in one conditional write of a counters item; each change
holds only on the state it was decided on, so a concurrent verification that changed that state makes the write fail
and the decision is made again on the new state.

A split key (storage/key_counters.py) is planned shard by shard, each shard seeing its share of the rate limit and
of the refill amount: a verification spends on a shard with room, chosen at random; when none has room for the cost
but the shards together hold enough credits, they are gathered on one shard with room in the rate limit first. So a
split key refuses exactly when the key as a whole would: every shard is at its share of the window's limit, or the
credits of all shards together are fewer than the cost.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from keytally.models import (
    Code,
    CountInWindow,
    CounterChanges,
    KeyRecord,
    RefillCredits,
    Refilled,
    ShardCounters,
    Shifted,
    SpendCredits,
    StartWindow,
    share_of,
)
from keytally.storage import key_counters


class Plan(NamedTuple):
    refused: Code | None = None
    changes: CounterChanges = CounterChanges()


def plan(record: KeyRecord, cost: int, now: datetime) -> Plan:
    rate_limit: StartWindow | CountInWindow | None = None
    if record.ratelimit is not None:
        window = record.ratelimit.window_of(now)
        used = record.ratelimit_count if record.ratelimit_window == window else 0
        if used >= record.ratelimit.limit:  # (a shard's share of a small limit may be none)
            return Plan(refused=Code.RATE_LIMITED)
        if record.ratelimit_window != window:
            rate_limit = StartWindow(window)
        else:
            rate_limit = CountInWindow(window, record.ratelimit.limit)
    credits: RefillCredits | SpendCredits | None = None
    if record.remaining is not None:
        period = record.refill.period_start(now) if record.refill else None
        due = record.refill is not None and record.refill.is_due(record.last_refill_at, now)
        balance = record.refill.amount if due and record.refill else record.remaining
        if balance < cost:
            return Plan(refused=Code.USAGE_EXCEEDED)
        credits = RefillCredits(balance - cost, period) if due and period else SpendCredits(cost, period)
    last_used_at = now if record.last_use_is_stale(now) else None
    return Plan(changes=CounterChanges(rate_limit, credits, last_used_at))


def shard_view(record: KeyRecord, shard: ShardCounters, index: int) -> KeyRecord:
    """The key as one shard of its counters sees it: the shard's counters, its share of the refill amount and of the
    rate limit."""
    parts = record.counter_shards
    update: dict[str, Any] = shard.model_dump(exclude={"state_version"})
    if record.refill is not None:
        update["refill"] = record.refill.model_copy(update={"amount": share_of(record.refill.amount, parts, index)})
    if record.ratelimit is not None:
        limit = share_of(record.ratelimit.limit, parts, index)
        update["ratelimit"] = record.ratelimit.model_copy(update={"limit": limit})
    return record.model_copy(update=update)


class Choice(NamedTuple):
    """Spend on `shard` with `changes`; or refuse; or move credits (`moves`) and decide again."""

    shard: int = 0
    changes: CounterChanges = CounterChanges()
    refused: Code | None = None
    moves: dict[int, Refilled | Shifted] | None = None


Pick = Callable[[Sequence[int]], int]


def choose(
    record: KeyRecord, shards: list[ShardCounters | None], cost: int, now: datetime, pick: Pick = random.choice
) -> Choice:
    """How a verification of a split key goes on: spend on a shard with room (chosen by `pick`), refuse, or gather
    the credits first."""
    views = {index: shard_view(record, shard, index) for index, shard in enumerate(shards) if shard is not None}
    plans = {index: plan(view, cost, now) for index, view in views.items()}
    open_shards = [index for index, planned in plans.items() if planned.refused is None]
    if open_shards:
        index = pick(open_shards)
        changes = plans[index].changes  # always a write, even of the last use alone: it carries the version condition
        return Choice(shard=index, changes=changes if changes.any else changes._replace(last_used_at=now))
    rated = [index for index, planned in plans.items() if planned.refused is not Code.RATE_LIMITED]
    if not rated:
        return Choice(refused=Code.RATE_LIMITED)
    moves = _gathering(record, shards, pick(rated), cost, now)
    return Choice(refused=Code.USAGE_EXCEEDED) if moves is None else Choice(moves=moves)


def _gathering(
    record: KeyRecord, shards: list[ShardCounters | None], into: int, cost: int, now: datetime
) -> dict[int, Refilled | Shifted] | None:
    """Every shard's credits moved onto shard `into`, or None when all of them together are fewer than `cost`."""
    period = record.refill.period_start(now) if record.refill else None
    found = {index: shard for index, shard in enumerate(shards) if shard is not None}
    balances = {index: key_counters.balance(record, shard, index, now) or 0 for index, shard in found.items()}
    total = sum(balances.values())
    if total < cost:
        return None
    moves: dict[int, Refilled | Shifted] = {}
    for index, shard in found.items():
        held = balances[index]
        due = record.refill is not None and record.refill.is_due(shard.last_refill_at, now)
        if index == into:
            moves[index] = Refilled(total, period) if due and period else Shifted(total - held, period)
        elif due and period:
            moves[index] = Refilled(0, period)
        elif held:
            moves[index] = Shifted(-held, period)
    return moves
