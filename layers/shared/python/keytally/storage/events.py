"""The raw events table (Timestream's memory store): every event for 35 days, by event hour and by arrival.

Base table: pk `{org}#{kind}#{event hour}`, sk `{event_id}` — a rollup reads one hour of one organization.
Index ByReceipt: `rpk` `{org}#{kind}#{arrival hour}`, `rsk` `{received_at}#{event_id}` — what arrived since the
last rollup. Both project every attribute, so neither read needs a second request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from keytally.settings import get_settings
from keytally.storage.dynamodb import existing_keys, table, translated_errors, write_all
from keytally.timeseries.buckets import Granularity, label, stamp
from keytally.timeseries.records import Event, EventKind

RAW_RETENTION = timedelta(days=35)


def hour_partition(org_slug: str, kind: EventKind, hour: datetime) -> str:
    return f"{org_slug}#{kind.value}#{label(hour)}"


def primary_key(event: Event) -> dict[str, str]:
    return {"pk": hour_partition(event.org_slug, event.kind, Granularity.HOUR.floor(event.time)), "sk": event.event_id}


def to_item(event: Event) -> dict[str, Any]:
    return {
        **primary_key(event),
        "rpk": hour_partition(event.org_slug, event.kind, Granularity.HOUR.floor(event.received_at)),
        "rsk": f"{stamp(event.received_at)}#{event.event_id}",
        "event_id": event.event_id,
        "kind": event.kind.value,
        "org_slug": event.org_slug,
        "time": stamp(event.time),
        "received_at": stamp(event.received_at),
        "dimensions": event.dimensions,
        "tags": list(event.tags),
        "measures": {name: Decimal(repr(value)) for name, value in event.measures.items()},
        "ttl": int((event.time + RAW_RETENTION).timestamp()),
    }


def from_item(item: dict[str, Any]) -> Event:
    return Event(
        event_id=item["event_id"],
        kind=item["kind"],
        org_slug=item["org_slug"],
        time=item["time"],
        received_at=item["received_at"],
        dimensions=item.get("dimensions", {}),
        tags=tuple(item.get("tags", ())),
        measures={name: float(value) for name, value in item.get("measures", {}).items()},
    )


def put_events(events: list[Event]) -> list[Event]:
    """Stores the events; returns those that could not be stored. An event's key is its organization, kind,
    hour and id, so storing it again (a retry) overwrites it with itself and it still counts once."""
    items = [to_item(event) for event in events]
    unstored = {(item["pk"], item["sk"]) for item in write_all(get_settings().events_table, items)}
    return [event for event, item in zip(events, items) if (item["pk"], item["sk"]) in unstored]


def already_stored(events: list[Event]) -> list[Event]:
    """Those of the events whose organization, kind, hour and id are in the table already."""
    keys = [primary_key(event) for event in events]
    found = {(item["pk"], item["sk"]) for item in existing_keys(get_settings().events_table, keys)}
    return [event for event, key in zip(events, keys) if (key["pk"], key["sk"]) in found]


def _query_all(**query: Any) -> list[dict[str, Any]]:
    events_table = table(get_settings().events_table)
    items: list[dict[str, Any]] = []
    while True:
        with translated_errors():
            page = events_table.query(**query)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def events_in_hour(org_slug: str, kind: EventKind, hour: datetime) -> list[Event]:
    """Every stored event of the hour, in event-id order (strongly consistent)."""
    items = _query_all(KeyConditionExpression=Key("pk").eq(hour_partition(org_slug, kind, hour)), ConsistentRead=True)
    return [from_item(item) for item in items]


def events_received(org_slug: str, kind: EventKind, after: datetime, until: datetime) -> list[Event]:
    """Events that arrived in (after, until], in arrival order."""
    events: list[Event] = []
    for hour in Granularity.HOUR.starts(Granularity.HOUR.floor(after), until + timedelta(microseconds=1)):
        condition = Key("rpk").eq(hour_partition(org_slug, kind, hour)) & Key("rsk").between(
            stamp(after + timedelta(microseconds=1)), stamp(until) + "#~"
        )
        events.extend(from_item(item) for item in _query_all(IndexName="ByReceipt", KeyConditionExpression=condition))
    return events
