"""The time-series query path every analytics endpoint shares: a window of whole hours, the rollup rows of its
closed buckets, the raw tail the rollup has not reached, and rows summed into groups — all exact.

Time is whole hours: `start` is floored and `end` rounded up to the hour; a slice's time is the start of its
bucket, or of the window for the first one (the window cuts it: slices add up to the window's total), or of the
window (or of its piece between cuts) when not sliced by time. The rows read grow with (buckets
in range x active series of the partition), never with the number of events, apart from the tail the rollup has
not reached yet: the five-minute buckets since the one the watermark is in (at most 7 minutes of events: the bucket,
the rollup's minute of lag and its dispatcher's minute) and the late arrivals since the watermark. The part of the
current hour the rollup has closed is read as five-minute rows — but for a detail view (a row per key, endpoint, ...)
of an organization not yet busy, which has none: its current hour is read raw, at most 12 x 3,000 events of a kind
(past that the organization is busy, rollup.py). An unsliced read from the partition's beginning of a
view that keeps a running total reads that total instead of a row per month of history.

A rollup run writes its rows before it moves the watermark, so a read may meet rows that already hold late events
its raw tail also finds: each row's arrival bound (`as_of`) says which, and the tail leaves those out.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby, pairwise
from operator import itemgetter
from typing import NamedTuple, TypeVar

from keytally.errors import ServiceUnavailable, Unprocessable
from keytally.storage import rollups
from keytally.storage.dynamodb import PageBudget, ReadLimitReached
from keytally.storage.event_log import event_log
from keytally.storage.rollup_store import rollup_store
from keytally.timeseries.buckets import EARLIEST, Granularity, cover
from keytally.timeseries.records import RAW_BUCKET, Event, EventKind, View
from keytally.timeseries.rows import Row, aggregate, series_id, series_of

MAX_SLICES = 50_000  # time slices a query may ask for (about 5.7 years of hours)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # the last instant a query may name: bucket arithmetic stays in range
LATEST_MS = int(LATEST.timestamp() * 1000)
ROW_PAGES = 8  # Query pages (up to 1 MB each) of rollup rows one read may take beyond one per run of buckets
# Query pages of raw events the rollup has not reached that one query's reads take together, beyond one Query per
# source (carrier kind, shard, month; and the late arrivals' index): the 7-minute tail at 100 events a second is
# 42,000 items, about 25 MB
TAIL_PAGES = 32

Slice = tuple[datetime, Row]  # a row and the start of the time slice it counts in
Group = TypeVar("Group", bound=Hashable)


class Window(NamedTuple):
    """[start, end) in whole hours, sliced by `slices` (cut at the window: the first slice begins at `start`, so the
    slices add up to the window's total), or else into the slices that begin at `start` and at each of the `cuts`
    (hour instants inside the window): one query can read a view once for several adjacent windows."""

    start: datetime
    end: datetime
    slices: Granularity | None
    cuts: tuple[datetime, ...] = ()

    def slice_of(self, moment: datetime) -> datetime:
        if self.slices:
            return max(self.slices.floor(moment), self.start)
        return max(cut for cut in (self.start, *self.cuts) if cut <= moment)

    def pieces(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """[start, end) split at the cuts that fall inside it."""
        bounds = sorted({start, end, *(cut for cut in self.cuts if start < cut < end)})
        return list(pairwise(bounds))


class Read(NamedTuple):
    """One view's partition read over one window."""

    view: View
    partition: str
    window: Window


def window_of(
    start_ms: int | None,
    end_ms: int | None,
    now: datetime,
    *,
    default_range: timedelta,
    slices: Granularity | None = None,
) -> Window:
    """[start, end) in whole hours (defaults: `default_range` up to now), sliced by `slices` if given."""
    for name, value in (("start", start_ms), ("end", end_ms)):
        if value is not None and not 0 <= value <= LATEST_MS:
            raise Unprocessable(f"{name}: unix milliseconds from 0 to {LATEST_MS} ({LATEST:%Y-%m-%d})")
    end = from_ms(end_ms) if end_ms is not None else now
    start = from_ms(start_ms) if start_ms is not None else end - default_range
    start, end = Granularity.HOUR.floor(start), Granularity.HOUR.ceil(end)
    if start >= end:
        raise Unprocessable("start: must be before end")
    if slices is not None and slices.bucket_count(slices.floor(start), end) > MAX_SLICES:
        raise Unprocessable(f"start: at most {MAX_SLICES} time slices per query")
    return Window(start, end, slices)


def read_slices(
    org_slug: str, view: View, partition: str, window: Window, now: datetime, *, since: datetime
) -> list[Slice]:
    """Every row of the view's partition in the window, exactly (read_views with one read)."""
    return read_views(org_slug, [Read(view, partition, window)], now, since=since)[0]


def read_views(org_slug: str, reads: Sequence[Read], now: datetime, *, since: datetime) -> list[list[Slice]]:
    """read_views_at the organization's rollup progress, read now."""
    progress = rollup_store().get_progress(org_slug)
    return read_views_at(
        org_slug, reads, now, since=since, watermark=progress.watermark, detailed_from=progress.detailed_from
    )


def read_views_at(
    org_slug: str,
    reads: Sequence[Read],
    now: datetime,
    *,
    since: datetime,
    watermark: datetime | None,
    detailed_from: datetime | None = None,
) -> list[list[Slice]]:
    """The rows of each read, exactly, with the rollup at `watermark`: rollup rows of the buckets the rollup has
    closed, and rows made on the fly from the raw events it has not reached — read once per kind of event for all
    the reads. The partitions hold nothing before `since` (their API's creation, or the oldest request log their
    organization could backfill), so nothing
    earlier is read: a window reaching back to 1970 costs what the partition's life costs.

    Each read spends one Query per run of same-granularity buckets plus at most ROW_PAGES further pages (more is a
    422); the raw tail of each kind one Query per source plus at most TAIL_PAGES further pages (more is a 503)."""
    since_hour = Granularity.HOUR.floor(since)
    readings = [
        _Reading(
            org_slug,
            read.view,
            read.partition,
            read.window,
            max(read.window.start, since_hour),
            watermark,
            detailed_from,
            from_beginning=read.window.start <= since_hour,
            hours_kept_from=Granularity.HOUR.ceil(now - rollups.DETAIL_HOUR_RETENTION),
        )
        for read in reads
    ]
    try:
        rolled_up = [reading.rolled_up() for reading in readings]
    except ReadLimitReached as error:
        raise Unprocessable(
            f"start: the window holds more than {ROW_PAGES} MB of rows; narrow it (or group by a coarser time slice)"
        ) from error
    kinds = dict.fromkeys(reading.view.kind for reading in readings)
    try:
        tails = {
            kind: _tail(org_slug, kind, [reading for reading in readings if reading.view.kind is kind], watermark, now)
            for kind in kinds
        }
    except ReadLimitReached as error:
        raise ServiceUnavailable("The rollup has fallen behind the events; retry in a few minutes.") from error
    return [
        rolled.slices + list(reading.tail_rows(tails[reading.view.kind], rolled))
        for reading, rolled in zip(readings, rolled_up, strict=True)
    ]


def grouped(slices: Iterable[Slice], groups_of: Callable[[datetime, Row], Iterable[Group]]) -> dict[Group, Row]:
    """Rows summed per group (counts, sums and sketches merge exactly). `groups_of` names the groups a row counts
    in: none filters it out, several (one per tag) count it in each."""
    totals: dict[Group, Row] = {}
    for slice_start, row in slices:
        for group in groups_of(slice_start, row):
            if group not in totals:
                totals[group] = Row(dict(row.dimensions), row.tags)
            totals[group].absorb(row)
    return totals


@dataclass
class _RolledUp:
    """What one read took from the rollups: its slices, and per tile read (the tiles start at `tile_starts`, in
    order, and end at `end`) and per series the arrival bound of the row read, to tell which late events it holds."""

    end: datetime
    slices: list[Slice] = field(default_factory=list)
    tile_starts: list[datetime] = field(default_factory=list)
    as_of: dict[tuple[datetime, str], datetime] = field(default_factory=dict)

    def add_tiles(
        self, starts: list[datetime], rows: list[rollups.StoredRow], slice_of: Callable[[datetime], datetime]
    ) -> None:
        """The rows of a run of tiles, each row's bucket being its tile."""
        self.tile_starts.extend(starts)
        for stored in rows:
            self._add(stored.bucket, slice_of(stored.bucket), stored)

    def add_running_total(self, rows: list[rollups.StoredRow], slice_start: datetime) -> None:
        """A running total: one tile of everything before its `through`."""
        self.tile_starts.append(EARLIEST)
        for stored in rows:
            self._add(EARLIEST, slice_start, stored)

    def _add(self, tile: datetime, slice_start: datetime, stored: rollups.StoredRow) -> None:
        self.slices.append((slice_start, stored.row))
        if stored.as_of:
            self.as_of[(tile, stored.row.series)] = stored.as_of

    def holds(self, event: Event, view: View) -> bool:
        """Whether a row read counts this event already: a late arrival that a rollup run took in after the
        watermark was read."""
        tile = bisect_right(self.tile_starts, event.time) - 1
        if event.time >= self.end or tile < 0:
            return False
        as_of = self.as_of.get((self.tile_starts[tile], series_id(*series_of(event, view))))
        return as_of is not None and event.received_at <= as_of


class _Reading(NamedTuple):
    """One read of a partition, from `read_from` to the window's end, with the rollup at `watermark`."""

    org_slug: str
    view: View
    partition: str
    window: Window
    read_from: datetime
    watermark: datetime | None
    detailed_from: datetime | None  # the hour from which detail views have five-minute rows
    from_beginning: bool  # nothing of the partition lies before `read_from`
    hours_kept_from: datetime  # detail views' hour rows before it have expired (rollups.DETAIL_HOUR_RETENTION)

    @property
    def open_from(self) -> datetime:
        """The first five minutes the rollup has not closed, for this read: the watermark's hour for a detail view
        that has no five-minute rows in it."""
        if not self.watermark:
            return self.read_from
        hour = Granularity.HOUR.floor(self.watermark)
        if self.view.detail and (self.detailed_from is None or hour < self.detailed_from):
            return hour
        return RAW_BUCKET.floor(self.watermark)

    def rolled_up(self) -> _RolledUp:
        """Rows of every bucket the rollup has closed in [read_from, window end), in the coarsest whole buckets of
        each piece of the window — for an unsliced read from the beginning, the running total and the buckets since
        (unless a rollup run that has not moved the watermark yet took the total past it)."""
        window, tiles_from = self.window, self.read_from
        closed_end = min(max(self.open_from, tiles_from), window.end)
        pk = rollups.partition_key(self.org_slug, self.view, self.partition)
        found = _RolledUp(end=closed_end)
        budget = PageBudget(ROW_PAGES)
        if self.view.running and self.from_beginning and not window.slices and not window.cuts:
            budget.pages += 1
            running = rollup_store().running_rows(pk, budget=budget)
            throughs = {total.bucket for total in running}
            if len(throughs) == 1 and (through := throughs.pop()) <= closed_end:
                found.add_running_total(running, window.start)
                tiles_from = max(through, tiles_from)
        coarsest = window.slices or Granularity.MONTH
        tiles = [tile for start, end in window.pieces(tiles_from, closed_end) for tile in cover(start, end, coarsest)]
        if self.view.detail and any(
            granularity is Granularity.HOUR and start < self.hours_kept_from for granularity, start in tiles
        ):
            raise Unprocessable(
                f"{_edge_of(window, self.hours_kept_from)}: rows per key, identity, endpoint and IP are kept hour by"
                f" hour for {rollups.DETAIL_HOUR_RETENTION.days} days (from {self.hours_kept_from:%Y-%m-%dT%H:00Z});"
                " before that, ask for whole UTC days (start and end at midnight, time slices of a day or longer)"
            )
        runs = [(granularity, [start for _, start in run]) for granularity, run in groupby(tiles, key=itemgetter(0))]
        budget.pages += len(runs)
        for granularity, starts in runs:
            rows = rollup_store().query_rows(granularity, pk, starts[0], granularity.next(starts[-1]), budget=budget)
            found.add_tiles(starts, rows, window.slice_of)
        return found

    def open_buckets(self, now: datetime) -> list[datetime]:
        """The five-minute buckets of the window the rollup has not closed, up to the one `now` is in."""
        return RAW_BUCKET.starts(max(self.open_from, self.read_from), min(self.window.end, RAW_BUCKET.next(now)))

    def tail_rows(self, events: Iterable[Event], rolled: _RolledUp) -> Iterator[Slice]:
        """Rows of this read made from the raw tail, but for the events that rows read already hold."""
        window = self.window
        by_slice: dict[datetime, list[Event]] = defaultdict(list)
        for event in events:
            if (
                window.start <= event.time < window.end
                and self.view.partition_of(event.dimensions) == self.partition
                and not rolled.holds(event, self.view)
            ):
                by_slice[window.slice_of(event.time)].append(event)
        for slice_start, slice_events in by_slice.items():
            for row in aggregate(slice_events, self.view).values():
                yield slice_start, row


def _tail(
    org_slug: str, kind: EventKind, readings: Sequence[_Reading], watermark: datetime | None, now: datetime
) -> list[Event]:
    """Events the rollups may not hold yet, for every reading: all of the five-minute buckets some reading has no
    rows for, and late arrivals since the watermark into the other buckets (each reading leaves out those its rows
    hold already)."""
    budget = PageBudget(TAIL_PAGES)
    buckets = sorted({bucket for reading in readings for bucket in reading.open_buckets(now)})
    events = list(event_log().events_in_buckets(org_slug, kind, buckets, RAW_BUCKET, budget=budget))
    if watermark:
        read_whole = set(buckets)
        late = event_log().late_events_received(org_slug, kind, watermark, now, budget=budget)
        events.extend(event for event in late if RAW_BUCKET.floor(event.time) not in read_whole)
    return events


def _edge_of(window: Window, hours_kept_from: datetime) -> str:
    """The parameter that asks for hours no longer kept: an edge of the window inside such a day, or else the time
    slices."""
    for name, edge in (("start", window.start), ("end", window.end)):
        if Granularity.DAY.floor(edge) != edge and edge < hours_kept_from:
            return name
    return "groupBy"


def from_ms(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)
