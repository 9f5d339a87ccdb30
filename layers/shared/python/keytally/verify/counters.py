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
        due = period is not None and (record.last_refill_at is None or record.last_refill_at < period)
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
    update: dict[str, Any] = dict(shard.model_dump(exclude={"state_version"}))
    if record.refill is not None:
        update["refill"] = record.refill.model_copy(update={"amount": share_of(record.refill.amount, parts, index)})
    if record.ratelimit is not None:
        limit = share_of(record.ratelimit.limit, parts, index)
        update["ratelimit"] = record.ratelimit.model_copy(update={"limit": limit})
    return record.model_copy(update=update)


def _balance(view: KeyRecord, now: datetime) -> int:
    """The credits a shard holds at `now`, a refill due counted as made."""
    period = view.refill.period_start(now) if view.refill else None
    if view.refill and period and (view.last_refill_at is None or view.last_refill_at < period):
        return view.refill.amount
    return view.remaining or 0


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
    views = {index: shard_view(record, shard, index) for index, shard in enumerate(shards) if shard is not None}
    plans = {index: plan(view, cost, now) for index, view in views.items()}
    open_shards = [index for index, planned in plans.items() if planned.refused is None]
    if open_shards:
        index = pick(open_shards)
        return Choice(shard=index, changes=plans[index].changes)
    rated = [index for index, planned in plans.items() if planned.refused is not Code.RATE_LIMITED]
    if not rated:
        return Choice(refused=Code.RATE_LIMITED)
    moves = _gathering(record, views, pick(rated), cost, now)
    return Choice(refused=Code.USAGE_EXCEEDED) if moves is None else Choice(moves=moves)


def _gathering(
    record: KeyRecord, views: dict[int, KeyRecord], into: int, cost: int, now: datetime
) -> dict[int, Refilled | Shifted] | None:
    """Every shard's credits moved onto shard `into`, or None when all of them together are fewer than `cost`."""
    period = record.refill.period_start(now) if record.refill else None
    total = sum(_balance(view, now) for view in views.values())
    if total < cost:
        return None
    moves: dict[int, Refilled | Shifted] = {}
    for index, view in views.items():
        due = period is not None and (view.last_refill_at is None or view.last_refill_at < period)
        balance = _balance(view, now)
        if index == into:
            moves[index] = Refilled(total, period) if due and period else Shifted(total - balance, period)
        elif due and period:
            moves[index] = Refilled(0, period)
        elif balance:
            moves[index] = Shifted(-balance, period)
    return moves


def merged(record: KeyRecord, shards: list[ShardCounters | None], now: datetime) -> KeyRecord:
    """The key with its shards' counters as one at `now` (a due refill counted as made), as a verification answers."""
    views = [shard_view(record, shard, index) for index, shard in enumerate(shards) if shard is not None]
    window = record.ratelimit.window_of(now) if record.ratelimit else None
    uses = [view.last_used_at for view in views if view.last_used_at is not None]
    credits = any(view.remaining is not None for view in views)
    return record.model_copy(
        update={
            "remaining": sum(_balance(view, now) for view in views) if credits else None,
            "ratelimit_window": window,
            "ratelimit_count": sum(view.ratelimit_count for view in views if view.ratelimit_window == window),
            "last_used_at": max(uses) if uses else None,
        }
    )
