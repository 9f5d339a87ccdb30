"""The raw events table (Timestream's memory store): every event for 35 days, by event time and by arrival.

Base table: pk `{org}#{kind}#{event month}`, sk `{event's five minutes}#{event_id}` — one Query reads any span of
five-minute buckets (or hours, days) of a month, in time order. Index ByReceipt, sparse: `rpk`
`{org}#{kind}#{arrival month}`, `rsk` `{received_at}#{event_id}` on late events only, those stored after their five
minutes had ended — so an event on time (nearly every verification and served request) costs one write, not two.
Whoever looks for what arrived since a moment reads the five-minute buckets since then for the events on time, and
the index for the late ones. Both project every attribute, so no read needs a second request. A verification's item
may carry the request event of the call that made it (`served_request`: same organization, five minutes and
arrival), so reads of requests read the verification partitions too, taking only the items that carry one. A month
key takes as many writes per second as an hour key would: at any moment an organization's writes go to one key and
the current end of its sort range, about 1,000 a second per organization and kind. Past that an organization's
events spread over shards (`#{shard}` on pk and rpk, shard 0 unsuffixed; the schedule and its rule in
timeseries/shards.py, kept in storage/raw_shards.py): an event's shard follows from its id and the count in force
at its time, and readers merge every shard the organization ever had. The table also holds the rollup's due
markers (storage/rollup_due.py), written in the same requests as the events that make them.
"""

from __future__ import annotations

import functools
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from keytally.settings import get_settings
from keytally.storage import raw_shards, rollup_due
from keytally.storage.dynamodb import (
    PATIENT,
    PageBudget,
    Retries,
    batch_get,
    bucket_label,
    query_items,
    stored_time,
    table,
    write_all,
)
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import RAW_BUCKET, Event, EventKind
from keytally.timeseries.shards import ShardSchedule

RAW_RETENTION = timedelta(days=35)


def month_partition(org_slug: str, kind: EventKind, moment: datetime, shard: int = 0) -> str:
    """Shard 0 has no suffix: an organization on one shard keeps the plain key."""
    base = f"{org_slug}#{kind.value}#{moment.astimezone(UTC):%Y-%m}"
    return f"{base}#{shard}" if shard else base


def primary_key(event: Event, schedule: ShardSchedule) -> dict[str, str]:
    """An event is its organization, kind, five minutes and id (and the shard those and the organization's schedule
    give): storing it again overwrites it with itself."""
    shard = schedule.shard_of(event.event_id, event.time)
    return {
        "pk": month_partition(event.org_slug, event.kind, event.time, shard),
        "sk": f"{bucket_label(RAW_BUCKET.floor(event.time))}#{event.event_id}",
    }


def is_late(event: Event) -> bool:
    """Stored after its five minutes had ended."""
    return RAW_BUCKET.floor(event.time) < RAW_BUCKET.floor(event.received_at)


def to_item(event: Event, schedule: ShardSchedule) -> dict[str, Any]:
    shard = schedule.shard_of(event.event_id, event.time)
    arrival = (
        {
            "rpk": month_partition(event.org_slug, event.kind, event.received_at, shard),
            "rsk": f"{stored_time(event.received_at)}#{event.event_id}",
        }
        if is_late(event)
        else {}
    )
    carried = {"served_request": _described(event.served_request)} if event.served_request else {}
    return {
        **primary_key(event, schedule),
        **arrival,
        **_described(event),
        "kind": event.kind.value,
        "org_slug": event.org_slug,
        "received_at": stored_time(event.received_at),
        **carried,
        "ttl": int((event.time + RAW_RETENTION).timestamp()),
    }


def _described(event: Event) -> dict[str, Any]:
    """What an event has of its own; a carried request shares the rest with its carrier."""
    return {
        "event_id": event.event_id,
        "time": stored_time(event.time),
        "dimensions": event.dimensions,
        "tags": list(event.tags),
        "measures": {name: Decimal(repr(value)) for name, value in event.measures.items()},
    }


def from_item(item: dict[str, Any]) -> Event:
    carried = item.get("served_request")
    return Event(
        kind=item["kind"],
        org_slug=item["org_slug"],
        received_at=item["received_at"],
        **_description(item),
        served_request=(
            Event(
                kind=EventKind.REQUEST,
                org_slug=item["org_slug"],
                received_at=item["received_at"],
                **_description(carried),
            )
            if carried
            else None
        ),
    )


def _description(described: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": described["event_id"],
        "time": described["time"],
        "dimensions": described.get("dimensions", {}),
        "tags": tuple(described.get("tags", ())),
        "measures": {name: float(value) for name, value in described.get("measures", {}).items()},
    }


def _carriers(kind: EventKind) -> tuple[EventKind, ...]:
    """The kinds of items that hold events of `kind`: requests ride on verifications too."""
    return (kind, EventKind.VERIFICATION) if kind is EventKind.REQUEST else (kind,)


def _only_carrying(kind: EventKind, carrier: EventKind) -> dict[str, ConditionBase]:
    """Of another kind's items, only those that carry an event of `kind` travel (all are read, and billed)."""
    return {} if carrier is kind else {"FilterExpression": Attr("served_request").exists()}


def _events_of(kind: EventKind, items: Iterable[dict[str, Any]]) -> Iterator[Event]:
    for item in items:
        event = from_item(item)
        if event.kind is kind:
            yield event
        elif event.served_request is not None and event.served_request.kind is kind:
            yield event.served_request


def _sources(org_slug: str, kind: EventKind) -> list[tuple[EventKind, int]]:
    """Where events of `kind` may be: each carrier kind's items, on every shard the organization ever had."""
    shards = raw_shards.schedule_of(org_slug).most
    return [(carrier, shard) for carrier in _carriers(kind) for shard in range(shards)]


def _merged(
    org_slug: str,
    kind: EventKind,
    read: Callable[[EventKind, int], Iterator[dict[str, Any]]],
    order: str,
    budget: PageBudget | None,
) -> Iterator[Event]:
    """The events of `kind` from every source, in the order of the items' `order` attribute (each source's items
    come in that order). A budget bounds the pages beyond each source's first: its Query, however empty."""
    streams = [read(carrier, shard) for carrier, shard in _sources(org_slug, kind)]
    if budget is not None:
        budget.pages += len(streams)
    items = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=itemgetter(order))
    return _events_of(kind, items)


def _schedules(events: list[Event]) -> dict[str, ShardSchedule]:
    return {org_slug: raw_shards.schedule_of(org_slug) for org_slug in {event.org_slug for event in events}}


def put_events(events: list[Event], *, retries: Retries = PATIENT) -> list[Event]:
    """Stores the events, with the rollup markers they make (storage/rollup_due.py) in the same requests; returns
    the events that could not be stored. An event's key is its organization, kind, five minutes and id, so storing
    it again (a retry) overwrites it with itself and it still counts once."""
    schedules = _schedules(events)
    items = [to_item(event, schedules[event.org_slug]) for event in events]
    markers = rollup_due.unwritten_markers(events)
    refused = write_all(get_settings().events_table, items + markers, retries=retries)
    unstored = {(item["pk"], item["sk"]) for item in refused}
    rollup_due.note_written(marker for marker in markers if (marker["pk"], marker["sk"]) not in unstored)
    return [event for event, item in zip(events, items, strict=True) if (item["pk"], item["sk"]) in unstored]


def already_stored(events: list[Event], *, consistent: bool = False) -> list[Event]:
    """Those of the events whose organization, kind, five minutes and id are in the table already (as of a moment
    ago, or now when `consistent`)."""
    schedules = _schedules(events)
    keys = [primary_key(event, schedules[event.org_slug]) for event in events]
    found = {(item["pk"], item["sk"]) for item in batch_get(get_settings().events_table, keys, consistent=consistent)}
    return [event for event, key in zip(events, keys, strict=True) if (key["pk"], key["sk"]) in found]


def events_in_buckets(
    org_slug: str,
    kind: EventKind,
    starts: Iterable[datetime],
    granularity: Granularity = Granularity.HOUR,
    *,
    budget: PageBudget | None = None,
) -> Iterator[Event]:
    """Every stored event of the given buckets (five minutes or coarser), in time order of their five minutes
    (strongly consistent): one Query per month, carrier kind and shard, from its first to its last requested
    bucket. A key sorts after its bucket's label and before the next bucket's, so BETWEEN takes whole buckets."""
    wanted = set(starts)
    by_month: dict[datetime, list[datetime]] = defaultdict(list)
    for start in sorted(wanted):
        by_month[Granularity.MONTH.floor(start)].append(start)
    for month_starts in by_month.values():
        read = functools.partial(_items_of_buckets, org_slug, kind, granularity, month_starts, budget=budget)
        for event in _merged(org_slug, kind, read, "sk", budget):
            if granularity.floor(event.time) in wanted:
                yield event


def _items_of_buckets(
    org_slug: str,
    kind: EventKind,
    granularity: Granularity,
    starts: list[datetime],
    carrier: EventKind,
    shard: int,
    *,
    budget: PageBudget | None,
) -> Iterator[dict[str, Any]]:
    """The carrier kind's items (those holding events of `kind`) on one shard, from the first to the last of the
    buckets of one month."""
    condition = Key("pk").eq(month_partition(org_slug, carrier, starts[0], shard)) & Key("sk").between(
        bucket_label(starts[0]), bucket_label(granularity.next(starts[-1]))
    )
    return query_items(
        table(get_settings().events_table),
        budget=budget,
        KeyConditionExpression=condition,
        ConsistentRead=True,
        **_only_carrying(kind, carrier),
    )


def late_events_received(
    org_slug: str, kind: EventKind, after: datetime, until: datetime, *, budget: PageBudget | None = None
) -> Iterator[Event]:
    """Late events that arrived in (after, until], in arrival order."""
    read = functools.partial(_received_items, org_slug, kind, after=after, until=until, budget=budget)
    return _merged(org_slug, kind, read, "rsk", budget)


def buckets_of_late_events(
    org_slug: str, kind: EventKind, after: datetime, until: datetime, granularity: Granularity
) -> set[datetime]:
    """The buckets of the late events that arrived in (after, until]; only their `time` travels (a carried
    request's bucket is its carrier's)."""
    return {
        granularity.floor(datetime.fromisoformat(item["time"]))
        for carrier, shard in _sources(org_slug, kind)
        for item in _received_items(
            org_slug,
            kind,
            carrier,
            shard,
            after=after,
            until=until,
            ProjectionExpression="#time",
            ExpressionAttributeNames={"#time": "time"},
        )
    }


def _received_items(
    org_slug: str,
    kind: EventKind,
    carrier: EventKind,
    shard: int,
    *,
    after: datetime,
    until: datetime,
    budget: PageBudget | None = None,
    **projection: Any,
) -> Iterator[dict[str, Any]]:
    """Late items of the carrier kind (those holding events of `kind`) on one shard: one Query per arrival month.
    Bounds are bare stamps, which sort just before every `{stamp}#{event_id}` of that moment."""
    just_after, just_after_until = after + timedelta(microseconds=1), until + timedelta(microseconds=1)
    for month in Granularity.MONTH.starts(Granularity.MONTH.floor(after), just_after_until):
        condition = Key("rpk").eq(month_partition(org_slug, carrier, month, shard)) & Key("rsk").between(
            stored_time(just_after), stored_time(just_after_until)
        )
        yield from query_items(
            table(get_settings().events_table),
            budget=budget,
            IndexName="ByReceipt",
            KeyConditionExpression=condition,
            **_only_carrying(kind, carrier),
            **projection,
        )
