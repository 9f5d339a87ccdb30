"""Each organization's raw-event shard schedule (timeseries/shards.py) in the entity table: item `ORG#{slug}` /
`RAW_SHARDS`, attribute `steps` [{effective_from, count}]; none for an organization on one shard.

A container keeps what it read for CACHE_FOR, well under a step's notice, so an event is always keyed by the
schedule that will be in force at its time. A step is added on the condition that the steps are still those it was
decided on: of two rollups racing, one adds it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from keytally.storage.dynamodb import ConditionFailed, entity_table, org_partition, stored_time, translated_errors
from keytally.timeseries.shards import STEP_NOTICE, ShardSchedule, ShardStep

CACHE_FOR = timedelta(minutes=5)
assert CACHE_FOR < STEP_NOTICE

_cached: dict[str, tuple[float, ShardSchedule]] = {}  # org slug -> (monotonic time read, schedule)


def schedule_of(org_slug: str) -> ShardSchedule:
    """The organization's schedule as of at most CACHE_FOR ago (one GetItem per container and organization per
    CACHE_FOR)."""
    found = _cached.get(org_slug)
    if found is not None and time.monotonic() - found[0] < CACHE_FOR.total_seconds():
        return found[1]
    with translated_errors():
        item = entity_table().get_item(Key=_key(org_slug)).get("Item")
    schedule = ShardSchedule(
        tuple(
            ShardStep(datetime.fromisoformat(step["effective_from"]), int(step["count"]))
            for step in (item or {}).get("steps", ())
        )
    )
    _cached[org_slug] = (time.monotonic(), schedule)
    return schedule


def grow(org_slug: str, count: int, now: datetime) -> ShardStep | None:
    """Adds a step to `count` shards (effective after the notice) unless the organization has that many; returns
    the step added, or None (nothing to add, or a concurrent run added one first)."""
    _cached.pop(org_slug, None)
    current = schedule_of(org_slug)
    grown = current.grown_to(count, now)
    if grown is None:
        return None
    steps = [{"effective_from": stored_time(step.effective_from), "count": step.count} for step in grown.steps]
    try:
        with translated_errors():
            entity_table().put_item(
                Item={**_key(org_slug), "steps": steps},
                ConditionExpression="attribute_not_exists(pk) OR size(steps) = :known",
                ExpressionAttributeValues={":known": len(current.steps)},
            )
    except ConditionFailed:
        return None
    finally:
        _cached.pop(org_slug, None)
    return grown.steps[-1]


def forget_cached() -> None:
    """What this container read: a test starts as a new container."""
    _cached.clear()


def _key(org_slug: str) -> dict[str, str]:
    return {"pk": org_partition(org_slug), "sk": "RAW_SHARDS"}
