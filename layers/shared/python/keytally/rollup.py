"""The scheduled rollup: raw events -> five-minute and hour rows -> day rows -> month rows, per organization, from a
watermark.

Invariant after a run with watermark W: the five-minute and hour rows hold exactly the events received at or before W
whose bucket had ended by W — a five-minute row is written once its five minutes end while its hour is open (only the
watermark's hour is read by five minutes; a detail view's, a row per key or endpoint, only from the hour its
organization turned busy: before that its open hour is read raw), an hour row once its hour ends, both again when late
events land in them; the rows of every day and month that had ended by W are merges of those hour rows, written when the
bucket closes for the partitions noted pending in it while it was open, and again when late events land in it (an open
day or month has no rows: readers merge its hours or days); and a running total (views that keep one) is the merge of
the month rows before the month W is in. Every bucket is recomputed and written whole, so a repeated or crashed-and-
restarted run writes the same rows again and never double-counts. Rows and notes are written before the watermark moves,
each row stamped with the run's arrival bound, so a reader at the old watermark knows which late events they hold. A
row's ranking is stored kept to its most counted values (keytally.timeseries.ranking): its counts hold within the bound
it states.

Work is fanned out: every minute the dispatcher sends one message per organization marked due since its cursor
(storage/rollup_due.py: markers made by arriving events, and by runs for the hours, days and months they leave open)
to a FIFO queue, whose worker rolls that one organization up. An organization without new events costs nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import groupby

from keytally.errors import ServiceUnavailable
from keytally.models import Organization
from keytally.storage import accounts, rollup_queue, rollups
from keytally.storage.event_log import event_log
from keytally.storage.rollup_store import rollup_store
from keytally.timeseries.buckets import EARLIEST, Granularity
from keytally.timeseries.records import RAW_BUCKET, VIEWS, Event, EventKind, View
from keytally.timeseries.rows import Row, count_in, merge
from keytally.timeseries.shards import ShardStep, shards_for

# Arrivals are found through an eventually consistent index; events received in the last minute wait for the
# next run, so one that is slow to appear in the index is still found.
INDEX_LAG = timedelta(minutes=1)
ROWS_PER_WRITE = 500
RAW_BUCKET_SECONDS = (RAW_BUCKET.next(EARLIEST) - EARLIEST).total_seconds()
RUNNING_VIEWS = {view.name for views in VIEWS.values() for view in views if view.running}
# Five-minute rows of detail views (a row per key, endpoint, ...) only for busy organizations: a quiet one's queries
# filtered by a value read its open hour raw (at most 12 x this many events), a busy one's read rows
BUSY_FIVE_MINUTES = 3_000
LIGHT_VIEWS = {kind: tuple(view for view in views if not view.detail) for kind, views in VIEWS.items()}
# a dispatcher without a cursor (the first ever) starts this far back: markers are kept two days
FIRST_DISPATCH_LOOKBACK = timedelta(days=1)


@dataclass
class RollupReport:
    org_slug: str
    watermark: datetime | None = None
    events_read: int = 0
    buckets_written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    busiest_five_minutes: int = 0  # the most events of one kind read in one five-minute bucket
    shard_step: ShardStep | None = None  # added to the organization's raw shard schedule by this run
    follow_ups: set[datetime] = field(default_factory=set)  # ends of the buckets this run left open with rows in


def buckets_to_roll(org_slug: str, kind: EventKind, since: datetime, until: datetime) -> set[datetime]:
    """Closed five-minute buckets (by `until`) whose events changed since the last run: every bucket from the one
    open at `since` (events on time that arrived in (since, until] are in those; early ones, minutes ahead of their
    time, too), and the buckets of the late events that arrived in (since, until]. The last bucket of every hour
    that ended in the run's span is among them. Read as one Query per month of buckets, plus the index of late
    arrivals: cost follows arrivals, and the buckets of a run's span."""
    closed_by = RAW_BUCKET.floor(until)
    buckets = set(RAW_BUCKET.starts(RAW_BUCKET.floor(since), closed_by))
    buckets.update(event_log().buckets_of_late_events(org_slug, kind, since, until, RAW_BUCKET))
    return {bucket for bucket in buckets if bucket < closed_by}


def roll_up_org(org: Organization, now: datetime) -> RollupReport:
    """From the watermark, or on the first run from the organization's creation (nothing arrived before it; an event
    sent the very instant it was created is taken in too: arrivals are read from just after `since`)."""
    org_slug = org.slug
    report = RollupReport(org_slug)
    progress = rollup_store().get_progress(org_slug)
    since = progress.watermark or org.created_time - timedelta.resolution
    until = now - INDEX_LAG
    if until <= since:
        report.watermark = since
        return report
    detailed_from = progress.detailed_from
    for kind in EventKind:
        touched: dict[str, set[datetime]] = defaultdict(set)  # partition key -> hours rewritten
        five_minutes = buckets_to_roll(org_slug, kind, since, until)
        hours = {hour for hour in map(Granularity.HOUR.floor, five_minutes) if Granularity.HOUR.next(hour) <= until}
        in_open_hours = {bucket for bucket in five_minutes if Granularity.HOUR.floor(bucket) not in hours}
        wanted = {RAW_BUCKET: in_open_hours, Granularity.HOUR: hours}
        read = five_minutes.union(*(RAW_BUCKET.starts(hour, Granularity.HOUR.next(hour)) for hour in hours))

        def views_of(granularity: Granularity, hour: datetime, kind: EventKind = kind) -> tuple[View, ...]:
            detailed = granularity is Granularity.HOUR or (detailed_from is not None and detailed_from <= hour)
            return VIEWS[kind] if detailed else LIGHT_VIEWS[kind]

        batches = _bucket_rows(_arrived(org_slug, kind, read, until), views_of, wanted, report)
        _write(org_slug, batches, until, report, touched)
        days = _close(org_slug, kind, Granularity.HOUR, Granularity.DAY, touched, since, until, report)
        months = _close(org_slug, kind, Granularity.DAY, Granularity.MONTH, days, since, until, report)
        report.buckets_written["day"] += sum(map(len, days.values()))
        report.buckets_written["month"] += sum(map(len, months.values()))
        running = {pk: closed for pk, closed in months.items() if rollups.view_name_of(pk) in RUNNING_VIEWS}
        report.buckets_written["running"] += _advance_running(running, until)
    if detailed_from is None and report.busiest_five_minutes >= BUSY_FIVE_MINUTES:
        detailed_from = Granularity.HOUR.floor(until)
        _detail_open_hour(org_slug, detailed_from, until, report)
    rollup_store().mark(org_slug, report.follow_ups)
    rollup_store().put_watermark(org_slug, until, detailed_from)
    report.watermark = until
    needed = shards_for(report.busiest_five_minutes / RAW_BUCKET_SECONDS)
    if needed > rollup_store().schedule_of(org_slug).most:
        report.shard_step = rollup_store().grow(org_slug, needed, now)
    return report


def _arrived(org_slug: str, kind: EventKind, buckets: Iterable[datetime], until: datetime) -> Iterator[Event]:
    """The events of the five-minute buckets received by `until`, in time order."""
    events = event_log().events_in_buckets(org_slug, kind, buckets, RAW_BUCKET)
    return (event for event in events if event.received_at <= until)


def _write(
    org_slug: str, batches: Iterable[Batch], until: datetime, report: RollupReport, touched: dict[str, set[datetime]]
) -> None:
    """Writes the batches' rows, noting the hours rewritten per partition key and the open hours left with rows."""
    for batch in batches:
        for granularity, by_partition in batch.items():
            rows: dict[str, dict[datetime, list[Row]]] = {}
            for (view, partition), by_bucket in by_partition.items():
                pk = rollups.partition_key(org_slug, view, partition)
                rows[pk] = {bucket: _as_stored(bucket_rows) for bucket, bucket_rows in by_bucket.items()}
                if granularity is Granularity.HOUR:
                    touched[pk].update(by_bucket)
                else:
                    report.follow_ups.update(map(Granularity.HOUR.next, map(Granularity.HOUR.floor, by_bucket)))
            rollup_store().put_rows(granularity, rows, as_of=until)
            report.buckets_written[granularity.value] += sum(map(len, rows.values()))


def _detail_open_hour(org_slug: str, hour: datetime, until: datetime, report: RollupReport) -> None:
    """An organization turning busy: its detail views' five-minute rows for the open hour's closed buckets, written
    before the watermark that says they exist."""
    closed = set(RAW_BUCKET.starts(hour, RAW_BUCKET.floor(until)))
    if not closed:
        return
    for kind in EventKind:
        detail = tuple(view for view in VIEWS[kind] if view.detail)
        wanted = {RAW_BUCKET: closed, Granularity.HOUR: set()}
        batches = _bucket_rows(_arrived(org_slug, kind, closed, until), lambda *_, views=detail: views, wanted, report)
        _write(org_slug, batches, until, report, defaultdict(set))


Batch = dict[Granularity, dict[tuple[View, str], dict[datetime, list[Row]]]]


def _bucket_rows(
    events: Iterable[Event],
    views_of: Callable[[Granularity, datetime], tuple[View, ...]],
    wanted: dict[Granularity, set[datetime]],
    report: RollupReport,
) -> Iterator[Batch]:
    """Batches of granularity -> (view, partition) -> bucket -> rows for the wanted five-minute and hour buckets,
    from events in time order, counted as they stream by and handed over every ROWS_PER_WRITE rows or so: memory
    holds the rows of one hour, never its events, however busy the hour or long the span being rolled up."""
    pending: Batch = defaultdict(lambda: defaultdict(dict))
    pending_rows = 0
    for hour, events_of_hour in groupby(events, key=lambda event: Granularity.HOUR.floor(event.time)):
        rows: dict[tuple[Granularity, datetime], dict[tuple[View, str], dict[str, Row]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for start, events_of_bucket in groupby(events_of_hour, key=lambda event: RAW_BUCKET.floor(event.time)):
            # a wanted five-minute bucket is in an open hour, a wanted hour is closed: at most one of the two
            target = (Granularity.HOUR, hour) if hour in wanted[Granularity.HOUR] else (RAW_BUCKET, start)
            views = views_of(target[0], hour)
            counted = 0
            for event in events_of_bucket:
                counted += 1
                if target[1] in wanted[target[0]]:
                    for view in views:
                        count_in(rows[target][(view, view.partition_of(event.dimensions))], event, view)
            report.events_read += counted
            report.busiest_five_minutes = max(report.busiest_five_minutes, counted)
        for (granularity, start), by_partition in rows.items():
            for key, by_series in by_partition.items():
                pending[granularity][key][start] = list(by_series.values())
                pending_rows += len(by_series)
        if pending_rows >= ROWS_PER_WRITE:
            yield pending
            pending, pending_rows = defaultdict(lambda: defaultdict(dict)), 0
    if pending:
        yield pending


def _close(
    org_slug: str,
    kind: EventKind,
    finer: Granularity,
    coarser: Granularity,
    rewritten: dict[str, set[datetime]],
    since: datetime,
    until: datetime,
    report: RollupReport,
) -> dict[str, set[datetime]]:
    """The coarser rows due by `until`, rewritten: in every closed coarser bucket holding a rewritten finer one,
    and in every bucket that closed in (since, until], for the partitions noted pending in it. An open bucket
    holding a rewritten finer one is noted pending instead (before the watermark moves, so a crashed run notes it
    again), and its end is a follow-up of the run. Returns the coarser buckets rewritten, by partition key."""
    due: dict[str, set[datetime]] = defaultdict(set)
    pending: dict[datetime, set[str]] = defaultdict(set)
    for pk, starts in rewritten.items():
        for bucket in {coarser.floor(start) for start in starts}:
            if coarser.next(bucket) <= until:
                due[pk].add(bucket)
            else:
                pending[bucket].add(pk)
    closing = coarser.floor(since)
    while coarser.next(closing) <= until:
        for pk in rollup_store().pending_partitions(coarser, org_slug, kind, closing):
            due[pk].add(closing)
        closing = coarser.next(closing)
    rollup_store().put_pending(coarser, org_slug, kind, pending)
    report.follow_ups.update(map(coarser.next, pending))
    _roll_coarser(finer, coarser, due, until)
    return due


def _roll_coarser(finer: Granularity, coarser: Granularity, buckets: dict[str, set[datetime]], as_of: datetime) -> None:
    """Rewrites each of the coarser buckets (by partition key) as the merge of its finer rows: one Query per
    partition key and run of consecutive buckets; the rows of several keys go out together, every ROWS_PER_WRITE
    rows or so."""
    pending: dict[str, dict[datetime, list[Row]]] = {}
    pending_rows = 0
    for pk, pk_buckets in buckets.items():
        for first, last in coarser.runs(pk_buckets):
            finer_rows: dict[datetime, list[Row]] = defaultdict(list)
            for start, row, _ in rollup_store().query_rows(finer, pk, first, coarser.next(last)):
                finer_rows[coarser.floor(start)].append(row)
            merged = {
                bucket: _as_stored(merge(finer_rows[bucket]).values())
                for bucket in coarser.starts(first, coarser.next(last))
            }
            pending.setdefault(pk, {}).update(merged)
            pending_rows += sum(map(len, merged.values()))
        if pending_rows >= ROWS_PER_WRITE:
            rollup_store().put_rows(coarser, pending, as_of=as_of)
            pending, pending_rows = {}, 0
    if pending:
        rollup_store().put_rows(coarser, pending, as_of=as_of)


def _as_stored(rows: Iterable[Row]) -> list[Row]:
    """Rows as the rollup stores them: rankings kept to their most counted values."""
    return [replace(row, ranking=row.ranking.kept()) if row.ranking else row for row in rows]


def _advance_running(rewritten_months: dict[str, set[datetime]], as_of: datetime) -> int:
    """Brings the running total of each partition whose months were rewritten up to the month `as_of` is in: its
    stored total plus the months since, when that total is whole (one `through` for every series) and counts no
    rewritten month; else the merge of all its months (after late events into a counted month, or a crashed write).
    Returns the partitions written."""
    through = Granularity.MONTH.floor(as_of)
    totals: dict[str, list[Row]] = {}
    for pk, months in sorted(rewritten_months.items()):
        stored = rollup_store().running_rows(pk)
        base = stored[0].bucket if stored else EARLIEST
        if any(total.bucket != base for total in stored) or base > min(months, default=through) or base > through:
            base, stored = EARLIEST, []
        if base == through:
            continue
        month_rows = rollup_store().query_rows(Granularity.MONTH, pk, base, through)
        totals[pk] = list(merge(stored_row.row for stored_row in stored + month_rows).values())
    rollup_store().put_running(totals, through=through, as_of=as_of)
    return len(totals)


def roll_up_all(now: datetime) -> list[RollupReport]:
    """Every organization from its own watermark (by hand: `keytally rollup`)."""
    return [roll_up_org(org, now) for org in accounts.list_organizations()]


def roll_up_named(org_slug: str, now: datetime) -> RollupReport | None:
    """The worker's run for one organization (None: it no longer exists). A run that fails raises: the queue
    delivers its message again, and the run starts from the watermark as before."""
    org = accounts.get_organization(org_slug)
    return roll_up_org(org, now) if org else None


@dataclass
class DispatchReport:
    start: datetime
    end: datetime  # the new cursor
    organizations: int  # sent a message


def dispatch(now: datetime) -> DispatchReport:
    """Sends a rollup message for each organization marked due in [cursor, end), then moves the cursor to `end`:
    the end of the five minutes `now - INDEX_LAG` is in, so a marker is sent once its moment is at least INDEX_LAG
    past. A message that could not be sent raises before the cursor moves: the next minute's dispatcher sends all
    again (deduplicated by the queue)."""
    end = RAW_BUCKET.next(RAW_BUCKET.floor(now - INDEX_LAG))
    start = rollup_store().get_cursor() or end - FIRST_DISPATCH_LOOKBACK
    due = rollup_store().organizations_due(start, end) if start < end else {}
    unsent = rollup_queue.send(due)
    if unsent:
        raise ServiceUnavailable(f"{len(unsent)} rollup messages could not be sent; the next dispatch sends them.")
    rollup_store().put_cursor(end)
    return DispatchReport(start, end, len(due))
