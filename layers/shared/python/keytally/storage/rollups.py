"""The rollup tables (Timestream's magnetic store), one per granularity, and each organization's watermark.
Five-minute rows expire a week after their bucket (FIVE_MINUTE_RETENTION); hour rows of the views with a row per key,
identity, endpoint or IP (View.detail) 90 days after their bucket (DETAIL_HOUR_RETENTION: before that, such a view
answers for whole days only); the others are kept for good.

A row is one series of one view in one bucket: pk `{org}#{view}#{partition}`, sk `{bucket}#{series id}`. Rows are
written whole (PutItem), never incremented, so writing a bucket again replaces it exactly. Each row keeps `as_of`,
the arrival bound of the rollup run that wrote it: it counts every event of its bucket received by then, none after.

The daily and monthly tables also note, per organization, kind and open bucket, the partition keys with finer rows
in it (pk `{org}#{kind}#pending#{bucket}`, sk the partition key): the run that sees the bucket close writes its
rows for those. The monthly table also holds each partition's running total (views that keep one): sk
`running#{series id}`, the sum of every month row before `through` (its `bucket`), so a read from the partition's
beginning takes one row per series instead of one per month of history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import Binary

from keytally.errors import ServiceUnavailable
from keytally.settings import get_settings
from keytally.storage.dynamodb import (
    ConditionFailed,
    PageBudget,
    bucket_label,
    entity_table,
    org_partition,
    parse_bucket_label,
    query_items,
    stored_time,
    table,
    translated_errors,
    write_all,
)
from keytally.storage.events import RAW_RETENTION
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.ranking import Ranking
from keytally.timeseries.records import VIEW_NAMED, EventKind, View
from keytally.timeseries.rows import Row
from keytally.timeseries.sketch import from_bytes, new_sketch, to_bytes

# Five-minute rows are read only while their hour is the rollup's open one; kept a week in case the rollup stalls
FIVE_MINUTE_RETENTION = timedelta(days=7)
# Per-value hour rows are most of the rows kept (docs/cost.md); a quarter covers a month's window and the equal window
# before it that request analytics compare it with
DETAIL_HOUR_RETENTION = timedelta(days=90)
RUNNING = "running#"  # sorts after every bucket label, so bucket ranges never meet a running total


class StoredRow(NamedTuple):
    bucket: datetime  # a running total's: where it stops (`through`)
    row: Row
    as_of: datetime | None  # None: written before rows kept it


def _table_name(granularity: Granularity) -> str:
    settings = get_settings()
    return {
        Granularity.FIVE_MINUTES: settings.five_minute_table,
        Granularity.HOUR: settings.hourly_table,
        Granularity.DAY: settings.daily_table,
        Granularity.MONTH: settings.monthly_table,
    }[granularity]


def partition_key(org_slug: str, view: View, partition: str) -> str:
    return f"{org_slug}#{view.name}#{partition}"


def view_name_of(pk: str) -> str:
    return pk.split("#", 2)[1]


def _number(value: float) -> Decimal:
    return Decimal(int(value)) if float(value).is_integer() else Decimal(repr(float(value)))


def retention_of(granularity: Granularity, pk: str) -> timedelta | None:
    """How long after its bucket a row of this granularity and partition is kept; None: for good."""
    if granularity is Granularity.FIVE_MINUTES:
        return FIVE_MINUTE_RETENTION
    if granularity is Granularity.HOUR and VIEW_NAMED[view_name_of(pk)].detail:
        return DETAIL_HOUR_RETENTION
    return None


def to_item(
    pk: str, bucket: datetime, row: Row, as_of: datetime, *, running: bool = False, kept: timedelta | None = None
) -> dict[str, Any]:
    """Only what the row holds: a view without a sketch, series dimensions, tags, sums or a ranking stores none.
    `kept`: how long after its bucket the row expires (retention_of)."""
    item: dict[str, Any] = {
        "pk": pk,
        "sk": f"{RUNNING}{row.series}" if running else f"{bucket_label(bucket)}#{row.series}",
        "bucket": bucket_label(bucket),
        "as_of": stored_time(as_of),
        "counts": dict(sorted(row.counts.items())),
    }
    if row.dimensions:
        item["dimensions"] = row.dimensions
    if row.tags:
        item["tags"] = list(row.tags)
    if row.sums:
        item["sums"] = {name: _number(value) for name, value in sorted(row.sums.items())}
    if row.latency.count:
        item["latency"] = Binary(to_bytes(row.latency))
    if row.latency_min is not None and row.latency_max is not None:  # views that keep exact latency counts
        item["latency_min"], item["latency_max"] = _number(row.latency_min), _number(row.latency_max)
        item["under"] = {f"{bound:g}": count for bound, count in sorted(row.under.items())}
        item["at_most"] = {f"{bound:g}": count for bound, count in sorted(row.at_most.items())}
    if row.ranking is not None:
        item["ranking"] = Binary(row.ranking.to_bytes())
        if (sketch := row.ranking.sketch_bytes()) is not None:
            item["distinct"] = Binary(sketch)
    if kept is not None:
        item["ttl"] = int((bucket + kept).timestamp())
    return item


def from_item(item: dict[str, Any]) -> StoredRow:
    row = Row(
        dimensions=dict(item.get("dimensions", {})),
        tags=tuple(item.get("tags", ())),
        counts=Counter({name: int(count) for name, count in item["counts"].items()}),
        sums={name: float(value) for name, value in item.get("sums", {}).items()},
        latency=from_bytes(bytes(item["latency"].value)) if "latency" in item else new_sketch(),
        latency_min=float(item["latency_min"]) if "latency_min" in item else None,
        latency_max=float(item["latency_max"]) if "latency_max" in item else None,
        under=_bound_counts(item.get("under", {})),
        at_most=_bound_counts(item.get("at_most", {})),
        ranking=Ranking.from_bytes(bytes(item["ranking"].value), _bytes_of(item.get("distinct")))
        if "ranking" in item
        else None,
    )
    as_of = datetime.fromisoformat(item["as_of"]) if "as_of" in item else None
    return StoredRow(parse_bucket_label(item["bucket"]), row, as_of)


def _bytes_of(stored: Binary | None) -> bytes | None:
    return bytes(stored.value) if stored is not None else None


def _bound_counts(stored: dict[str, Any]) -> Counter[float]:
    return Counter({float(bound): int(count) for bound, count in stored.items()})


def put_rows(granularity: Granularity, rows: Mapping[str, Mapping[datetime, list[Row]]], *, as_of: datetime) -> None:
    """Writes each bucket's rows whole, for several partition keys (pk -> bucket -> rows) together, 25 to a request;
    a failure raises, and the rollup that called it runs again later."""
    items = [
        to_item(pk, bucket, row, as_of, kept=retention_of(granularity, pk))
        for pk, rows_by_bucket in rows.items()
        for bucket, bucket_rows in sorted(rows_by_bucket.items())
        for row in bucket_rows
    ]
    _write(_table_name(granularity), items)


def put_running(totals: Mapping[str, list[Row]], *, through: datetime, as_of: datetime) -> None:
    """Replaces each partition's running total (pk -> one row per series) with the sum of its months before
    `through`; a failure raises, like put_rows."""
    items = [to_item(pk, through, row, as_of, running=True) for pk, rows in totals.items() for row in rows]
    _write(_table_name(Granularity.MONTH), items)


def _write(table_name: str, items: list[dict[str, Any]]) -> None:
    if write_all(table_name, items):
        raise ServiceUnavailable("Rollup rows could not all be written; the next run rewrites them.")


def query_rows(
    granularity: Granularity, pk: str, start: datetime, end: datetime, *, budget: PageBudget | None = None
) -> list[StoredRow]:
    """Rows of buckets starting in [start, end): a row of bucket `end` sorts after its label, so BETWEEN
    leaves it out."""
    condition = Key("pk").eq(pk) & Key("sk").between(bucket_label(start), bucket_label(end))
    items = query_items(table(_table_name(granularity)), budget=budget, KeyConditionExpression=condition)
    return [from_item(item) for item in items]


def put_pending(granularity: Granularity, org_slug: str, kind: EventKind, pending: Mapping[datetime, set[str]]) -> None:
    """Notes the partition keys with finer rows in each open bucket (idempotent: a note is its bucket and key);
    they expire with the raw events, long after their bucket closed."""
    items = [
        {
            "pk": _pending_partition(org_slug, kind, bucket),
            "sk": pk,
            "ttl": int((granularity.next(bucket) + RAW_RETENTION).timestamp()),
        }
        for bucket, pks in sorted(pending.items())
        for pk in sorted(pks)
    ]
    _write(_table_name(granularity), items)


def pending_partitions(granularity: Granularity, org_slug: str, kind: EventKind, bucket: datetime) -> set[str]:
    """The partition keys noted as having finer rows in the bucket."""
    condition = Key("pk").eq(_pending_partition(org_slug, kind, bucket))
    items = query_items(table(_table_name(granularity)), KeyConditionExpression=condition, ProjectionExpression="sk")
    return {item["sk"] for item in items}


def _pending_partition(org_slug: str, kind: EventKind, bucket: datetime) -> str:
    return f"{org_slug}#{kind.value}#pending#{bucket_label(bucket)}"


def running_rows(pk: str, *, budget: PageBudget | None = None) -> list[StoredRow]:
    """The partition's running total, one row per series (none before its first month closes)."""
    condition = Key("pk").eq(pk) & Key("sk").begins_with(RUNNING)
    items = query_items(table(_table_name(Granularity.MONTH)), budget=budget, KeyConditionExpression=condition)
    return [from_item(item) for item in items]


class Progress(NamedTuple):
    """How far the rollup has come for an organization: its watermark, and the hour from which its detail views
    (timeseries/records.py) have five-minute rows too — set once the organization is busy, never unset."""

    watermark: datetime | None
    detailed_from: datetime | None = None


def get_progress(org_slug: str) -> Progress:
    """Every event received at or before the watermark, in an hour that had ended by then, is in the rollups; so is
    every one in a five-minute bucket that had ended by then, in the rows the watermark's hour has (detail views' only
    from `detailed_from`)."""
    with translated_errors():
        item = entity_table().get_item(
            Key={"pk": org_partition(org_slug), "sk": "ROLLUP#WATERMARK"}, ConsistentRead=True
        )
    found = item.get("Item")
    if not found:
        return Progress(None)
    detailed_from = found.get("detailed_from")
    return Progress(
        datetime.fromisoformat(found["watermark"]), datetime.fromisoformat(detailed_from) if detailed_from else None
    )


def get_watermark(org_slug: str) -> datetime | None:
    return get_progress(org_slug).watermark


def put_watermark(org_slug: str, watermark: datetime, detailed_from: datetime | None = None) -> None:
    """Moves the watermark forward only: a slower, older run finishing late cannot move it back. `detailed_from`, once
    stored, stays."""
    values = {":new": stored_time(watermark)}
    update = "SET watermark = :new"
    if detailed_from is not None:
        update += ", detailed_from = if_not_exists(detailed_from, :detailed)"
        values[":detailed"] = stored_time(detailed_from)
    try:
        with translated_errors():
            entity_table().update_item(
                Key={"pk": org_partition(org_slug), "sk": "ROLLUP#WATERMARK"},
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(watermark) OR watermark < :new",
                ExpressionAttributeValues=values,
            )
    except ConditionFailed:
        pass
