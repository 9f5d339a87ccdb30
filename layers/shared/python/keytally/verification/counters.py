"""A product key's counters, decided in plain Python: its rate-limit window and its credits with refill.

The plan is one conditional update of the key item; its condition is the state the decision was made on, so a
concurrent verification that changed it makes the update fail and the decision is made again on the new state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keytally.models import LAST_USED_PRECISION, KeyRecord, Refill
from keytally.verification.outcomes import Code


def refill_period(refill: Refill, now: datetime) -> datetime:
    """Start of the refill interval `now` is in: midnight UTC, or the first of the month."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day if refill.interval == "daily" else day.replace(day=1)


def ratelimit_window(record: KeyRecord, now: datetime) -> int:
    return int(now.timestamp() * 1000) // record.ratelimit.duration


@dataclass
class Plan:
    refused: Code | None = None
    assignments: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def update(self) -> str:
        return "SET " + ", ".join(self.assignments)

    @property
    def condition(self) -> str:
        return " AND ".join(f"({condition})" for condition in self.conditions) or "attribute_exists(pk)"


def plan(record: KeyRecord, cost: int, now: datetime) -> Plan:
    result = Plan()
    if record.ratelimit is not None:
        window = ratelimit_window(record, now)
        result.values.update({":window": window, ":one": 1})
        if record.ratelimit_window == window:
            if record.ratelimit_count >= record.ratelimit.limit:
                return Plan(refused=Code.RATE_LIMITED)
            result.assignments.append("ratelimit_count = ratelimit_count + :one")
            result.conditions.append("ratelimit_window = :window AND ratelimit_count < :limit")
            result.values[":limit"] = record.ratelimit.limit
        else:
            result.assignments.append("ratelimit_window = :window, ratelimit_count = :one")
            result.conditions.append("attribute_not_exists(ratelimit_window) OR ratelimit_window < :window")
    if record.remaining is not None:
        period = refill_period(record.refill, now) if record.refill else None
        due = period is not None and (record.last_refill_at is None or record.last_refill_at < period)
        balance = record.refill.amount if due else record.remaining
        if balance < cost:
            return Plan(refused=Code.USAGE_EXCEEDED)
        if due:
            result.assignments.append("remaining = :refilled, last_refill_at = :period")
            result.conditions.append("attribute_not_exists(last_refill_at) OR last_refill_at < :period")
            result.values.update({":refilled": balance - cost, ":period": stored_time(period)})
        else:
            result.assignments.append("remaining = remaining - :cost")
            result.conditions.append("remaining >= :cost")
            result.values[":cost"] = cost
            if period is not None:  # the balance decided on must not have been refilled meanwhile
                result.conditions.append("last_refill_at >= :period")
                result.values[":period"] = stored_time(period)
    if record.last_used_at is None or record.last_used_at < now - LAST_USED_PRECISION:
        result.assignments.append("last_used_at = :now")
        result.values[":now"] = stored_time(now)
    return result


def stored_time(moment: datetime) -> str:
    """As pydantic stores datetimes in key items, so DynamoDB's string comparisons order them correctly."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
