"""A product key's counters, decided in plain Python: its rate-limit window and its credits with refill.

The plan is a set of typed changes that storage applies in one conditional write of the key item; each change holds
only on the state it was decided on, so a concurrent verification that changed that state makes the write fail and
the decision is made again on the new state.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from keytally.models import (
    Code,
    CountInWindow,
    CounterChanges,
    KeyRecord,
    RefillCredits,
    SpendCredits,
    StartWindow,
)


class Plan(NamedTuple):
    refused: Code | None = None
    changes: CounterChanges = CounterChanges()


def plan(record: KeyRecord, cost: int, now: datetime) -> Plan:
    rate_limit: StartWindow | CountInWindow | None = None
    if record.ratelimit is not None:
        window = record.ratelimit.window_of(now)
        if record.ratelimit_window != window:
            rate_limit = StartWindow(window)
        elif record.ratelimit_count >= record.ratelimit.limit:
            return Plan(refused=Code.RATE_LIMITED)
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
