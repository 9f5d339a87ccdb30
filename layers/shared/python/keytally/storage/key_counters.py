"""A product key's counters: credits, last refill, rate-limit window and count, last use. They live on their own items,
which no index holds, so a verification rewrites one small item and never the key item the indexes copy.

A key never split has one, `KEY#{sha256}` / `COUNTERS`, beside the key item. A split key (`counter_shards` N, set at
creation or by PATCH) has N, `KEY#{sha256}#{i}` / `COUNTERS` for 1 <= i <= N, each its own partition key so that
DynamoDB can place them apart from each other and from the key item: one partition takes about 1,000 writes and
3,000 read units a second, N of them N times that. Shard i holds its share (models.share_of) of the credits, of the
refill amount and of the rate limit; the key's balance is their sum.

A split key and every one of its shards carry the same `state_version` (> 0), which every change of the key raises
on all of them in one transaction. A verification of a split key reads the key and its shards eventually consistently
(so no item is read strongly at the key's rate) and spends on one shard on the condition that the shard's version is
the one it read: a key changed meanwhile (revoked, disabled, a permission taken) is never answered VALID on its old
state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keytally.models import (
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
from keytally.storage.dynamodb import ConditionFailed, entity_table, stored_time, to_item, translated_errors

COUNTERS = ("remaining", "last_refill_at", "ratelimit_window", "ratelimit_count", "last_used_at")


def counters_key(key_hash: str, shard: int = 0, *, apart: bool = False) -> dict[str, str]:
    """Shard 0 of a key never split lives in the key item's partition; a split key's shards each in their own."""
    return {"pk": f"KEY#{key_hash}#{shard + 1}" if apart else f"KEY#{key_hash}", "sk": "COUNTERS"}


def shard_key(record: KeyRecord, shard: int) -> dict[str, str]:
    return counters_key(record.key_hash, shard, apart=record.state_version > 0)


def shard_of(item: dict[str, Any]) -> int:
    """Which shard a counters item is (its partition key's suffix, less one; none for a key never split)."""
    parts = item["pk"].split("#")
    return int(parts[2]) - 1 if len(parts) > 2 else 0


def layout(record: KeyRecord, shards: int) -> list[ShardCounters]:
    """The key's counters (as in `record`, summed over its shards) laid over `shards` items: each its share of the
    credits and of the current window's count (never more than its share of the limit), the last use on shard 0."""
    used = record.ratelimit_count
    laid = []
    for index in range(shards):
        count = 0
        if record.ratelimit is not None:
            count = min(used, share_of(record.ratelimit.limit, shards, index))
            used -= count
        laid.append(
            ShardCounters(
                remaining=None if record.remaining is None else share_of(record.remaining, shards, index),
                last_refill_at=record.last_refill_at,
                ratelimit_window=record.ratelimit_window,
                ratelimit_count=count,
                last_used_at=record.last_used_at if index == 0 else None,
                state_version=record.state_version,
            )
        )
    return laid


def balance(record: KeyRecord, shard: ShardCounters, index: int, now: datetime) -> int | None:
    """The credits a shard holds at `now`, a refill due counted as made (its share of the amount); None: unlimited."""
    if record.refill is not None and record.refill.is_due(shard.last_refill_at, now):
        return share_of(record.refill.amount, record.counter_shards, index)
    return shard.remaining


def summed(record: KeyRecord, shards: list[ShardCounters | None], now: datetime | None = None) -> KeyRecord:
    """The key with its shards' counters as one: credits summed, the latest window's counts summed (as of `now`,
    when given: due refills counted as made, and the current window's counts), the last use."""
    found = [(index, shard) for index, shard in enumerate(shards) if shard is not None]
    if not found:
        return record
    credits = [
        balance(record, shard, index, now) if now else shard.remaining
        for index, shard in found
        if shard.remaining is not None
    ]
    windows = [shard.ratelimit_window for _, shard in found if shard.ratelimit_window is not None]
    window = record.ratelimit.window_of(now) if now and record.ratelimit else max(windows, default=None)
    uses = [shard.last_used_at for _, shard in found if shard.last_used_at is not None]
    refills = [shard.last_refill_at for _, shard in found if shard.last_refill_at is not None]
    if now and record.refill:
        refills = [record.refill.period_start(now)]
    return record.model_copy(
        update={
            "remaining": sum(credit or 0 for credit in credits) if credits else None,
            "last_refill_at": min(refills) if refills else None,
            "ratelimit_window": window,
            "ratelimit_count": sum(shard.ratelimit_count for _, shard in found if shard.ratelimit_window == window),
            "last_used_at": max(uses) if uses else None,
        }
    )


def exactly(shard: ShardCounters | None) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition (expression, names, values) that a counters item is stored exactly as `shard` (None: absent)."""
    if shard is None:
        return "attribute_not_exists(pk)", {}, {}
    stored = to_item(shard)
    names = {f"#{name}": name for name in (*COUNTERS, "state_version")}
    clauses = [f"#{name} = :{name}" if name in stored else f"attribute_not_exists(#{name})" for name in names.values()]
    values = {f":{name}": stored[name] for name in names.values() if name in stored}
    return " AND ".join(["attribute_exists(pk)", *clauses]), names, values


def shard_items(record: KeyRecord, shards: list[ShardCounters]) -> list[dict[str, Any]]:
    return [to_item(shard, **shard_key(record, index)) for index, shard in enumerate(shards)]


KEEP: Any = object()  # change_writes: the credits stay as they are


def change_writes(record: KeyRecord, remaining: int | None = KEEP) -> list[dict[str, Any]]:
    """Transaction items raising every shard's version to the key's next one (and setting each its share of a new
    balance, or removing the balance): they go with the write that changes a split key."""
    writes = []
    for index in range(record.counter_shards):
        update: dict[str, Any] = {
            "TableName": entity_table().name,
            "Key": shard_key(record, index),
            "UpdateExpression": "ADD state_version :one",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {":one": 1},
        }
        if remaining is None:
            update["UpdateExpression"] = "REMOVE remaining ADD state_version :one"
        elif remaining is not KEEP:
            update["UpdateExpression"] = "SET remaining = :share ADD state_version :one"
            update["ExpressionAttributeValues"][":share"] = share_of(remaining, record.counter_shards, index)
        writes.append({"Update": update})
    return writes


def move_credits(record: KeyRecord, moves: dict[int, Refilled | Shifted], *, raised: bool = False) -> None:
    """Moves credits between a split key's shards in one transaction, each shard on the condition of the key's
    version and of what its move was decided on. A move is relative where it can be, so a verification spending on
    a shard meanwhile fails it only if it took what the move needed. ConditionFailed when it did.

    `raised`: the key's credits rise, which a refusal remembered on its version (verify/service.py) must not survive,
    so a split key's version rises on the key and every shard with the moves."""
    bump = raised and record.state_version > 0
    writes = []
    for index in range(record.counter_shards) if bump else moves:
        values: dict[str, Any] = {":version": record.state_version}
        conditions = ["state_version = :version"]
        update = ""
        match moves.get(index):
            case Refilled(balance, period):
                update = "SET remaining = :balance, last_refill_at = :period"
                conditions.append("(attribute_not_exists(last_refill_at) OR last_refill_at < :period)")
                values |= {":balance": balance, ":period": stored_time(period)}
            case Shifted(delta, period):
                update = "SET remaining = remaining + :delta"
                values[":delta"] = delta
                if delta < 0:
                    conditions.append("remaining >= :taken")
                    values[":taken"] = -delta
                if period is not None:
                    conditions.append("last_refill_at >= :period")
                    values[":period"] = stored_time(period)
        if bump:
            update += " ADD state_version :one"
            values[":one"] = 1
        writes.append(
            {
                "Update": {
                    "TableName": entity_table().name,
                    "Key": shard_key(record, index),
                    "UpdateExpression": update.strip(),
                    "ConditionExpression": " AND ".join(conditions),
                    "ExpressionAttributeValues": values,
                }
            }
        )
    if bump:
        writes.append(
            {
                "Update": {
                    "TableName": entity_table().name,
                    "Key": {"pk": f"KEY#{record.key_hash}", "sk": "KEY"},
                    "UpdateExpression": "ADD state_version :one",
                    "ConditionExpression": "state_version = :version",
                    "ExpressionAttributeValues": {":one": 1, ":version": record.state_version},
                }
            }
        )
    with translated_errors():
        entity_table().meta.client.transact_write_items(TransactItems=writes)


def spend(record: KeyRecord, shard: int, changes: CounterChanges) -> tuple[bool, ShardCounters | None]:
    """Applies a verification's counter changes to one shard, each on the condition it was decided on (and, for a
    split key, on the key's version as read), in one request: one write unit, no index holds the item.

    Returns (True, the shard as updated), or (False, the shard as it is now) with nothing changed when a condition
    failed — DynamoDB returns the shard with the failure, so deciding to refuse or retry costs no read.
    """
    expression = render(changes, record.state_version)
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key=shard_key(record, shard),
                UpdateExpression=expression.update,
                ConditionExpression=expression.condition,
                ExpressionAttributeValues=expression.values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
    except ConditionFailed as failure:
        return False, ShardCounters.model_validate(failure.item) if failure.item else None
    return True, ShardCounters.model_validate(result["Attributes"])


@dataclass
class CounterExpression:
    """Counter changes as one UpdateItem: SET assignments, the conditions they were decided on, their values."""

    assignments: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def update(self) -> str:
        return "SET " + ", ".join(self.assignments)

    @property
    def condition(self) -> str:
        return " AND ".join(f"({condition})" for condition in self.conditions) or "attribute_exists(pk)"


def render(changes: CounterChanges, state_version: int = 0) -> CounterExpression:
    expression = CounterExpression()
    assignments, conditions, values = expression.assignments, expression.conditions, expression.values
    if state_version:
        conditions.append("state_version = :version")
        values[":version"] = state_version
    match changes.rate_limit:
        case StartWindow(window):
            assignments.append("ratelimit_window = :window, ratelimit_count = :one")
            conditions.append("attribute_not_exists(ratelimit_window) OR ratelimit_window < :window")
            values.update({":window": window, ":one": 1})
        case CountInWindow(window, limit):
            assignments.append("ratelimit_count = ratelimit_count + :one")
            conditions.append("ratelimit_window = :window AND ratelimit_count < :limit")
            values.update({":window": window, ":one": 1, ":limit": limit})
    match changes.credits:
        case RefillCredits(balance, period):
            assignments.append("remaining = :refilled, last_refill_at = :period")
            conditions.append("attribute_not_exists(last_refill_at) OR last_refill_at < :period")
            values.update({":refilled": balance, ":period": stored_time(period)})
        case SpendCredits(cost, refilled_in):
            assignments.append("remaining = remaining - :cost")
            conditions.append("remaining >= :cost")
            values[":cost"] = cost
            if refilled_in is not None:  # the balance decided on must not have been refilled meanwhile
                conditions.append("last_refill_at >= :period")
                values[":period"] = stored_time(refilled_in)
    if changes.last_used_at is not None:
        assignments.append("last_used_at = :now")
        values[":now"] = stored_time(changes.last_used_at)
    return expression
