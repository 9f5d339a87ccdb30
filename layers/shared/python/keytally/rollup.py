"""The scheduled rollup: raw events -> hour rows -> day rows -> month rows, per organization, from a watermark.

Invariant after a run with watermark W: the hour rows hold exactly the events received at or before W whose hour
had ended by W; day and month rows are merges of those hour rows, and a running total (views that keep one) is the
merge of the month rows before the month W is in. Every bucket is recomputed and written whole, so a repeated or
crashed-and-restarted run writes the same rows again and never double-counts. Rows are written before the watermark
moves, each stamped with the run's arrival bound, so a reader at the old watermark knows which late events they hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from keytally.models import Organization
from keytally.storage import accounts, rollups
from keytally.storage import events as raw
from keytally.timeseries.buckets import EARLIEST, Granularity
from keytally.timeseries.records import VIEWS, Event, EventKind, View
from keytally.timeseries.rows import Row, aggregate, merge

# Arrivals are found through an eventually consistent index; events received in the last minute wait for the
# next run, so one that is slow to appear in the index is still found.
INDEX_LAG = timedelta(minutes=1)
ROWS_PER_WRITE = 500


@dataclass
class RollupReport:
    org_slug: str
    watermark: datetime | None = None
    events_read: int = 0
    buckets_written: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def hours_to_roll(org_slug: str, kind: EventKind, since: datetime, until: datetime) -> set[datetime]:
    """Closed hours (by `until`) whose events changed since the last run: every hour from the one open at `since`
    (events on time that arrived in (since, until] are in those; early ones, minutes ahead of their time, too), and
    the hours of the late events that arrived in (since, until]. Read as one Query per month of hours, plus the
    index of late arrivals: cost follows arrivals, and the hours of a run's span."""
    closed_by = Granularity.HOUR.floor(until)
    hours = set(Granularity.HOUR.starts(Granularity.HOUR.floor(since), closed_by))
    hours.update(raw.hours_of_late_events(org_slug, kind, since, until))
    return {hour for hour in hours if hour < closed_by}


def roll_up_org(org: Organization, now: datetime) -> RollupReport:
    """From the watermark, or on the first run from the organization's creation (nothing arrived before it)."""
    org_slug = org.slug
    report = RollupReport(org_slug)
    since = rollups.get_watermark(org_slug) or org.created_time
    until = now - INDEX_LAG
    if until <= since:
        report.watermark = since
        return report
    for kind in EventKind:
        touched: dict[str, set[datetime]] = defaultdict(set)  # partition key -> hours rewritten
        running: set[str] = set()  # the touched partition keys of views that keep a running total
        hours = hours_to_roll(org_slug, kind, since, until)
        events = (event for event in raw.events_in_hours(org_slug, kind, hours) if event.received_at <= until)
        for batch in _hour_rows(events, VIEWS[kind], report):
            rows: dict[str, dict[datetime, list[Row]]] = {}
            for (view, partition), by_hour in batch.items():
                pk = rollups.partition_key(org_slug, view, partition)
                rows[pk] = by_hour
                if view.running:
                    running.add(pk)
            rollups.put_rows(Granularity.HOUR, rows, as_of=until)
            for pk, rows_by_hour in rows.items():
                touched[pk].update(rows_by_hour)
                report.buckets_written["hour"] += len(rows_by_hour)
        days = _roll_coarser(Granularity.HOUR, Granularity.DAY, touched, until)
        months = _roll_coarser(Granularity.DAY, Granularity.MONTH, days, until)
        report.buckets_written["day"] += sum(map(len, days.values()))
        report.buckets_written["month"] += sum(map(len, months.values()))
        report.buckets_written["running"] += _advance_running({pk: months[pk] for pk in running}, until)
    rollups.put_watermark(org_slug, until)
    report.watermark = until
    return report


def _hour_rows(
    events: Iterable[Event], views: tuple[View, ...], report: RollupReport
) -> Iterator[dict[tuple[View, str], dict[datetime, list[Row]]]]:
    """Batches of (view, partition) -> hour -> rows from events in hour order, handed over every ROWS_PER_WRITE rows
    or so: memory holds one hour of events and a few hundred rows, however long the span being rolled up."""
    pending: dict[tuple[View, str], dict[datetime, list[Row]]] = defaultdict(dict)
    pending_rows = 0
    for hour, events_of_hour in groupby(events, key=lambda event: Granularity.HOUR.floor(event.time)):
        hour_events = list(events_of_hour)
        report.events_read += len(hour_events)
        for view in views:
            by_partition: dict[str, list[Event]] = defaultdict(list)
            for event in hour_events:
                by_partition[view.partition_of(event.dimensions)].append(event)
            for partition, partition_events in by_partition.items():
                rows = list(aggregate(partition_events, view).values())
                pending[(view, partition)][hour] = rows
                pending_rows += len(rows)
        if pending_rows >= ROWS_PER_WRITE:
            yield pending
            pending, pending_rows = defaultdict(dict), 0
    if pending:
        yield pending


def _roll_coarser(
    finer: Granularity, coarser: Granularity, rewritten: dict[str, set[datetime]], as_of: datetime
) -> dict[str, set[datetime]]:
    """Rewrites each coarser bucket that contains a rewritten finer bucket, as the merge of its finer rows: one
    Query per partition key and run of consecutive coarser buckets; the rows of several keys go out together, every
    ROWS_PER_WRITE rows or so. Returns the coarser buckets rewritten, by partition key."""
    buckets = {pk: {coarser.floor(start) for start in starts} for pk, starts in sorted(rewritten.items())}
    pending: dict[str, dict[datetime, list[Row]]] = {}
    pending_rows = 0
    for pk, pk_buckets in buckets.items():
        for first, last in coarser.runs(pk_buckets):
            finer_rows: dict[datetime, list[Row]] = defaultdict(list)
            for start, row, _ in rollups.query_rows(finer, pk, first, coarser.next(last)):
                finer_rows[coarser.floor(start)].append(row)
            merged = {
                bucket: list(merge(finer_rows[bucket]).values()) for bucket in coarser.starts(first, coarser.next(last))
            }
            pending.setdefault(pk, {}).update(merged)
            pending_rows += sum(map(len, merged.values()))
        if pending_rows >= ROWS_PER_WRITE:
            rollups.put_rows(coarser, pending, as_of=as_of)
            pending, pending_rows = {}, 0
    if pending:
        rollups.put_rows(coarser, pending, as_of=as_of)
    return buckets


def _advance_running(rewritten_months: dict[str, set[datetime]], as_of: datetime) -> int:
    """Brings the running total of each partition whose months were rewritten up to the month `as_of` is in: its
    stored total plus the months since, when that total is whole (one `through` for every series) and counts no
    rewritten month; else the merge of all its months (after late events into a counted month, or a crashed write).
    Returns the partitions written."""
    through = Granularity.MONTH.floor(as_of)
    totals: dict[str, list[Row]] = {}
    for pk, months in sorted(rewritten_months.items()):
        stored = rollups.running_rows(pk)
        base = stored[0].bucket if stored else EARLIEST
        if any(total.bucket != base for total in stored) or base > min(months, default=through) or base > through:
            base, stored = EARLIEST, []
        if base == through:
            continue
        month_rows = rollups.query_rows(Granularity.MONTH, pk, base, through)
        totals[pk] = list(merge(stored_row.row for stored_row in stored + month_rows).values())
    rollups.put_running(totals, through=through, as_of=as_of)
    return len(totals)


def roll_up_all(now: datetime) -> list[RollupReport]:
    """One scheduled run: every organization from its own watermark. An organization whose rollup fails keeps
    its watermark and is simply rolled up again by the next run."""
    return [roll_up_org(org, now) for org in accounts.list_organizations()]
