"""How an organization's raw events spread over partitions: its shard schedule, and the rule that sizes it.

A DynamoDB partition takes about 1,000 write units a second; an organization's events of one kind and month share
a partition key, so past that rate they are split over `count` shards, an event's shard a hash of its id. The
count in force at an event's time decides its shard, so an event's key is a pure function of the event and the
schedule: storing it again, or asking whether it is stored, finds the same key. A schedule only grows, and a step
takes effect no sooner than STEP_NOTICE after it is decided, so every writer and reader (who cache a schedule for
less than that) knows a step before any event falls under it. Readers read every shard the schedule ever had.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from keytally.timeseries.buckets import Granularity

EVENTS_PER_SHARD = 500  # events a second one shard is sized for: half a partition's write capacity
MOST_SHARDS = 64  # 32,000 events a second of one kind per organization
STEP_NOTICE = timedelta(hours=1)


def shards_for(events_per_second: float) -> int:
    """The rule: the next power of two at or above events_per_second / EVENTS_PER_SHARD, from 1 to MOST_SHARDS."""
    needed = max(1, math.ceil(events_per_second / EVENTS_PER_SHARD))
    return min(MOST_SHARDS, 1 << (needed - 1).bit_length())


@dataclass(frozen=True)
class ShardStep:
    effective_from: datetime
    count: int


@dataclass(frozen=True)
class ShardSchedule:
    """Steps in time order, counts growing; one shard before the first."""

    steps: tuple[ShardStep, ...] = ()

    def count_at(self, moment: datetime) -> int:
        return max((step.count for step in self.steps if step.effective_from <= moment), default=1)

    @property
    def most(self) -> int:
        """Every shard an event may be in, whenever it happened."""
        return max((step.count for step in self.steps), default=1)

    def shard_of(self, event_id: str, moment: datetime) -> int:
        count = self.count_at(moment)
        return 0 if count == 1 else int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:8], "big") % count

    def grown_to(self, count: int, now: datetime) -> ShardSchedule | None:
        """The schedule with a step to `count` from the start of the first hour at least STEP_NOTICE away, or None
        when it has that many shards already (or a step to them pending)."""
        if count <= self.most:
            return None
        effective_from = Granularity.HOUR.ceil(now + STEP_NOTICE)
        return ShardSchedule((*self.steps, ShardStep(effective_from, count)))
