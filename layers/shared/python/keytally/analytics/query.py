"""The time-series query path every analytics endpoint shares: a window of whole hours, the rollup rows of its
closed buckets, the raw tail the rollup has not reached, and rows summed into groups — all exact.

Time is whole hours: `start` is floored and `end` rounded up to the hour; a slice's time is the start of its
bucket, or of the window when the window is one slice. The rows read grow with (buckets in range x active
series of the partition), never with the number of events, apart from the tail the rollup has not reached yet (at
most the current hour and minutes of late arrivals).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import TypeVar

from keytally.errors import ServiceUnavailable, Unprocessable
from keytally.storage import events as raw
from keytally.storage import rollups
from keytally.storage.dynamodb import PageBudget, ReadLimitReached
from keytally.timeseries.buckets import Granularity, cover
from keytally.timeseries.records import Event, View
from keytally.timeseries.rows import Row, aggregate

MAX_SLICES = 50_000  # time slices a query may ask for (about 5.7 years of hours)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # the last instant a query may name: bucket arithmetic stays in range
LATEST_MS = int(LATEST.timestamp() * 1000)
ROW_PAGES = 8  # Query pages (up to 1 MB each) of rollup rows one query may read
TAIL_PAGES = 8  # Query pages of raw events the rollup has not reached that one query may read

Slice = tuple[datetime, Row]  # a row and the start of the time slice it counts in
Group = TypeVar("Group", bound=Hashable)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    slices: Granularity | None  # None: the whole window is one slice

    def slice_of(self, moment: datetime) -> datetime:
        return self.slices.floor(moment) if self.slices else self.start


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
    start, end = Granularity.HOUR.floor(start), _ceil_hour(end)
    if start >= end:
        raise Unprocessable("start: must be before end")
    if slices is not None:
        start = slices.floor(start)
        if slices.bucket_count(start, end) > MAX_SLICES:
            raise Unprocessable(f"start: at most {MAX_SLICES} time slices per query")
    return Window(start, end, slices)


def read_slices(
    org_slug: str, view: View, partition: str, window: Window, now: datetime, *, since: datetime
) -> list[Slice]:
    """Every row of the view's partition in the window, exactly: rollup rows of the buckets the rollup has closed, and
    rows made on the fly from the raw events it has not reached. The partition holds nothing before `since` (its
    API's creation), so nothing earlier is read: a window reaching back to 1970 costs what the partition's life
    costs."""
    read_from = max(window.start, Granularity.HOUR.floor(since))
    if read_from >= window.end:
        return []
    reading = _Reading(org_slug, view, partition, window, read_from, rollups.get_watermark(org_slug))
    try:
        rolled_up = list(reading.rolled_up(PageBudget(ROW_PAGES)))
    except ReadLimitReached as error:
        raise Unprocessable(
            f"start: the window holds more than {ROW_PAGES} MB of rows; narrow it or group by a coarser time slice"
        ) from error
    try:
        tail = list(reading.tail(now, PageBudget(TAIL_PAGES)))
    except ReadLimitReached as error:
        raise ServiceUnavailable("The rollup has fallen behind the events; retry in a few minutes.") from error
    return rolled_up + tail


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


@dataclass(frozen=True)
class _Reading:
    """One query's read of a partition, from `read_from` to the window's end, with the rollup at `watermark`."""

    org_slug: str
    view: View
    partition: str
    window: Window
    read_from: datetime
    watermark: datetime | None

    def rolled_up(self, budget: PageBudget) -> Iterator[Slice]:
        """Rows of every bucket the rollup has closed in [read_from, window end), in the coarsest whole buckets."""
        window, read_from, watermark = self.window, self.read_from, self.watermark
        closed_end = min(max(Granularity.HOUR.floor(watermark), read_from), window.end) if watermark else read_from
        pk = rollups.partition_key(self.org_slug, self.view, self.partition)
        tiles = cover(read_from, closed_end, window.slices or Granularity.MONTH)
        for granularity, run in groupby(tiles, key=lambda tile: tile[0]):
            starts = [start for _, start in run]
            rows = rollups.query_rows(granularity, pk, starts[0], granularity.next(starts[-1]), budget=budget)
            for bucket, row in rows:
                yield window.slice_of(bucket), row

    def tail(self, now: datetime, budget: PageBudget) -> Iterator[Slice]:
        """Events the rollups do not hold yet: all of the hours from read_from not closed at the watermark, and late
        arrivals since the watermark into hours that were."""
        window, watermark = self.window, self.watermark
        open_from = Granularity.HOUR.floor(watermark) if watermark else self.read_from
        open_hours = Granularity.HOUR.starts(max(open_from, self.read_from), min(window.end, now + timedelta(hours=1)))
        events = list(raw.events_in_hours(self.org_slug, self.view.kind, open_hours, budget=budget))
        if watermark:
            late = raw.events_received(self.org_slug, self.view.kind, watermark, now, budget=budget)
            events.extend(event for event in late if Granularity.HOUR.floor(event.time) < open_from)
        by_slice: dict[datetime, list[Event]] = defaultdict(list)
        for event in events:
            if event.partition == self.partition and window.start <= event.time < window.end:
                by_slice[window.slice_of(event.time)].append(event)
        for slice_start, slice_events in by_slice.items():
            for row in aggregate(slice_events, self.view).values():
                yield slice_start, row


def from_ms(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def _ceil_hour(moment: datetime) -> datetime:
    floor = Granularity.HOUR.floor(moment)
    return floor if floor == moment else floor + timedelta(hours=1)
