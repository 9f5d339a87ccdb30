"""Verification analytics: closed buckets from the rollups, the not-yet-rolled tail from raw events, exactly.

Time is whole hours: `start` is floored and `end` rounded up to the hour, and a datapoint's `time` is the start of
its slice. The rows read grow with (buckets in range x active series), never with the number of events, apart
from the tail the rollup has not reached yet (at most the current hour and minutes of late arrivals).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

from keytally.analytics.verification_models import OUTCOME_FIELDS, Datapoint, GroupBy, Order
from keytally.apikeys.service import keyspace_for
from keytally.auth.principal import Principal
from keytally.auth.scopes import Scope
from keytally.errors import Unprocessable
from keytally.storage import events as raw
from keytally.storage import rollups
from keytally.timeseries.buckets import Granularity, cover
from keytally.timeseries.records import KINDS, Event, EventKind
from keytally.timeseries.rows import Row, aggregate
from keytally.verification.models import identity_of
from keytally.verification.outcomes import Code

DEFAULT_RANGE = timedelta(days=30)
TIME_GROUPS = {GroupBy.HOUR: Granularity.HOUR, GroupBy.DAY: Granularity.DAY, GroupBy.MONTH: Granularity.MONTH}
MAX_SLICES = 50_000  # time slices a query may ask for (about 5.7 years of hours)
SPEC = KINDS[EventKind.VERIFICATION]


@dataclass(frozen=True)
class VerificationsQuery:
    api_id: str
    external_id: str | None
    key_ids: tuple[str, ...]
    tags: tuple[str, ...]
    start_ms: int | None
    end_ms: int | None
    group_by: tuple[GroupBy, ...]
    limit: int | None
    order_by: str | None
    order: Order


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    slices: Granularity | None  # None: the whole window is one slice

    def slice_of(self, moment: datetime) -> datetime:
        return self.slices.floor(moment) if self.slices else self.start


def window_of(query: VerificationsQuery, now: datetime) -> Window:
    if GroupBy.TAG in query.group_by and GroupBy.TAGS in query.group_by:
        raise Unprocessable("groupBy: 'tag' and 'tags' are mutually exclusive")
    times = [TIME_GROUPS[group] for group in query.group_by if group in TIME_GROUPS]
    if len(set(times)) > 1:
        raise Unprocessable("groupBy: at most one of 'hour', 'day' and 'month'")
    end = _from_ms(query.end_ms) if query.end_ms is not None else now
    start = _from_ms(query.start_ms) if query.start_ms is not None else end - DEFAULT_RANGE
    start, end = Granularity.HOUR.floor(start), _ceil_hour(end)
    if start >= end:
        raise Unprocessable("start: must be before end")
    slices = times[0] if times else None
    if slices is not None:
        start = slices.floor(start)
        if len(slices.starts(start, end)) > MAX_SLICES:
            raise Unprocessable(f"start: at most {MAX_SLICES} time slices per query")
    return Window(start, end, slices)


def get_verifications(principal: Principal, query: VerificationsQuery, now: datetime) -> list[Datapoint]:
    keyspace = keyspace_for(principal, query.api_id, Scope.ANALYTICS_READ)
    window = window_of(query, now)
    watermark = rollups.get_watermark(keyspace.org_slug)
    slices = list(_rolled_up(keyspace.org_slug, query.api_id, window, watermark)) + list(
        _tail(keyspace.org_slug, query.api_id, window, watermark, now)
    )
    return _datapoints(keyspace.org_slug, query, slices)


def _rolled_up(org_slug: str, api_id: str, window: Window, watermark: datetime | None) -> Iterator[tuple[datetime, Row]]:
    """Rows of every bucket the rollup has closed within the window, in the coarsest whole buckets."""
    closed_end = min(max(Granularity.HOUR.floor(watermark), window.start), window.end) if watermark else window.start
    pk = rollups.partition_key(org_slug, EventKind.VERIFICATION, api_id)
    tiles = cover(window.start, closed_end, window.slices or Granularity.MONTH)
    for granularity, run in groupby(tiles, key=lambda tile: tile[0]):
        starts = [start for _, start in run]
        for bucket, row in rollups.query_rows(granularity, pk, starts[0], granularity.next(starts[-1])):
            yield window.slice_of(bucket), row


def _tail(org_slug: str, api_id: str, window: Window, watermark: datetime | None,
          now: datetime) -> Iterator[tuple[datetime, Row]]:
    """Events the rollups do not hold yet: all of the hours not closed at the watermark, and late arrivals
    since the watermark into hours that were."""
    open_from = Granularity.HOUR.floor(watermark) if watermark else window.start
    open_hours = Granularity.HOUR.starts(max(open_from, window.start), min(window.end, now + timedelta(hours=1)))
    events = list(raw.events_in_hours(org_slug, EventKind.VERIFICATION, open_hours))
    if watermark:
        late = raw.events_received(org_slug, EventKind.VERIFICATION, watermark, now)
        events.extend(event for event in late if Granularity.HOUR.floor(event.time) < open_from)
    in_window = [
        event for event in events
        if event.partition == api_id and window.start <= event.time < window.end
    ]
    by_slice: dict[datetime, list[Event]] = defaultdict(list)
    for event in in_window:
        by_slice[window.slice_of(event.time)].append(event)
    for slice_start, slice_events in by_slice.items():
        for row in aggregate(slice_events, SPEC).values():
            yield slice_start, row


def _datapoints(org_slug: str, query: VerificationsQuery, slices: Iterable[tuple[datetime, Row]]) -> list[Datapoint]:
    groups: dict[tuple, Counter[str]] = defaultdict(Counter)
    for slice_start, row in slices:
        key_id, external_id = row.dimensions.get("key_id", ""), row.dimensions.get("identity", "")
        if query.key_ids and key_id not in query.key_ids:
            continue
        if query.external_id is not None and external_id != query.external_id:
            continue
        if query.tags and not set(query.tags) & set(row.tags):
            continue
        group_tags: Iterable[str | tuple[str, ...] | None] = (
            row.tags if GroupBy.TAG in query.group_by
            else [row.tags] if GroupBy.TAGS in query.group_by
            else [None]
        )
        for tag in group_tags:
            group = (
                slice_start,
                key_id if GroupBy.KEY in query.group_by else None,
                external_id if GroupBy.IDENTITY in query.group_by else None,
                tag,
            )
            groups[group].update(row.counts)
    points = [_datapoint(org_slug, query, group, counts) for group, counts in groups.items()]
    points.sort(key=lambda point: (point.time, point.keyId or "", point.tag or "", point.tags or []))
    if query.order_by:
        points.sort(key=lambda point: getattr(point, query.order_by), reverse=query.order is Order.DESC)
    return points[: query.limit] if query.limit else points


def _datapoint(org_slug: str, query: VerificationsQuery, group: tuple, counts: Counter[str]) -> Datapoint:
    slice_start, key_id, external_id, tag = group
    fields: dict = {OUTCOME_FIELDS[Code(code)]: count for code, count in counts.items()}
    fields["total"] = sum(counts.values())
    if GroupBy.KEY in query.group_by:
        fields["keyId"] = key_id or None
    if GroupBy.IDENTITY in query.group_by:
        fields["identity"] = identity_of(org_slug, external_id)
    if GroupBy.TAG in query.group_by:
        fields["tag"] = tag
    if GroupBy.TAGS in query.group_by:
        fields["tags"] = list(tag)
    return Datapoint(time=int(slice_start.timestamp() * 1000), **fields)


def _from_ms(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def _ceil_hour(moment: datetime) -> datetime:
    floor = Granularity.HOUR.floor(moment)
    return floor if floor == moment else floor + timedelta(hours=1)
