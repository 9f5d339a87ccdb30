"""Each organization's key census (timeseries/key_census.py) in the entity table: pk `CENSUS#{org}`, sk the bucket's
label (`M#2026-12`, `D#2026-12-06`, `H#…T10`, `N#…T10:35`, `S#…T10:35:07`), one number per state and `created`,
each a sum of deltas (ADD, never a read-modify-write). The deltas of a key's change are written in the very
transaction that changes the key (storage/api_keys.py), so the census and the keys never disagree; minute and second
buckets are read only within their hour and expire two days after it (TTL), the others are kept for good. Item
`COMPLETE` says every key of the organization is counted (new organizations: from their creation; older ones once
storage/api_keys.py's `count_uncounted_keys` has counted theirs); without it readers count keys one by one.

Reading the counts at a moment: one Query per level with buckets before it (at most five, a few dozen small items
besides one per month of the organization's life)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from keytally.settings import get_settings
from keytally.storage.dynamodb import query_items, table, translated_errors
from keytally.timeseries.key_census import CREATED, STATES, Level, bucket_labels, ranges_before, total

SHORT_LIVED = {Level.MINUTE.value, Level.SECOND.value}
KEPT_AFTER = timedelta(days=2)
COUNTS = (*STATES, CREATED)


def partition(org_slug: str) -> str:
    return f"CENSUS#{org_slug}"


def complete_item(org_slug: str) -> dict[str, str]:
    return {"pk": partition(org_slug), "sk": "COMPLETE"}


def writes(org_slug: str, deltas: dict[datetime, Counter[str]]) -> list[dict[str, Any]]:
    """Transaction items adding the deltas to every bucket they fall in (one item per bucket)."""
    by_label: dict[str, Counter[str]] = {}
    expiry: dict[str, int] = {}
    for moment, step in deltas.items():
        for label in bucket_labels(moment):
            by_label.setdefault(label, Counter()).update(step)
            if label[0] in SHORT_LIVED:
                expiry[label] = int((Level.HOUR.floor(moment) + timedelta(hours=1) + KEPT_AFTER).timestamp())
    name = get_settings().table_name
    items = []
    for label, step in sorted(by_label.items()):
        changes = {count: step[count] for count in COUNTS if step[count]}
        if not changes:
            continue
        update: dict[str, Any] = {
            "TableName": name,
            "Key": {"pk": partition(org_slug), "sk": label},
            "UpdateExpression": "ADD " + ", ".join(f"#{count} :{count}" for count in changes),
            "ExpressionAttributeNames": {f"#{count}": count for count in changes},
            "ExpressionAttributeValues": {f":{count}": value for count, value in changes.items()},
        }
        if label in expiry:
            update["UpdateExpression"] += " SET #ttl = :ttl"
            update["ExpressionAttributeNames"]["#ttl"] = "ttl"
            update["ExpressionAttributeValues"][":ttl"] = expiry[label]
        items.append({"Update": update})
    return items


_complete: set[str] = set()  # organizations seen complete: a census never becomes incomplete again


def is_complete(org_slug: str) -> bool:
    if org_slug not in _complete:
        with translated_errors():
            item = table(get_settings().table_name).get_item(Key=complete_item(org_slug), ProjectionExpression="pk")
        if "Item" in item:
            _complete.add(org_slug)
    return org_slug in _complete


def forget_cached() -> None:
    _complete.clear()


def mark_complete(org_slug: str) -> None:
    with translated_errors():
        table(get_settings().table_name).put_item(Item=complete_item(org_slug))


def counts_at(org_slug: str, moment: datetime) -> Counter[str]:
    """The organization's keys per state (and `created`, all it ever made) at `moment`, once its census is complete
    (`is_complete`)."""
    entities = table(get_settings().table_name)
    buckets = []
    for bucket_range in ranges_before(moment):
        condition = Key("pk").eq(partition(org_slug)) & Key("sk").between(bucket_range.first, bucket_range.last)
        for item in query_items(entities, KeyConditionExpression=condition):
            if item["sk"] != bucket_range.last:
                buckets.append(Counter({count: int(item.get(count, 0)) for count in COUNTS}))
    return total(buckets)
