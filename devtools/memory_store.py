"""The time series in memory: an EventLog (storage/event_log.py) and a RollupStore (storage/rollup_store.py) held in
dictionaries, for tests that prove the rollup and the queries exact over many events without a DynamoDB in between.
`installed()` puts one in place of the DynamoDB store for the duration of a `with`.

It keeps the stored contracts, not DynamoDB's mechanics: an event is keyed by organization, kind, five minutes and
id (storing it again overwrites it), a verification's carried request is read as a request, late events are found by
arrival; rows are kept whole as handed over; the watermark and the cursor only move forward; markers are made by
stored events and by the rollup's follow-ups. Shards do not exist here (the schedule's steps are kept, and read back,
so the rollup's decision to add one is still seen); reads spend a page of their budget per `page_size` items."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from keytally.storage import event_log, rollup_store
from keytally.storage.dynamodb import PATIENT, PageBudget, Retries
from keytally.storage.events import is_late
from keytally.storage.rollup_due import due_after
from keytally.storage.rollups import Progress, StoredRow
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import RAW_BUCKET, Event, EventKind
from keytally.timeseries.rows import Row
from keytally.timeseries.shards import ShardSchedule, ShardStep

T = TypeVar("T")
EventKey = tuple[str, EventKind, datetime, str]  # organization, kind, five minutes, event id


def _key(event: Event) -> EventKey:
    return event.org_slug, event.kind, RAW_BUCKET.floor(event.time), event.event_id


class MemoryStore:
    def __init__(self, page_size: int = 1000) -> None:
        self.page_size = page_size
        self.events: dict[EventKey, Event] = {}
        self.rows: dict[tuple[Granularity, str], dict[tuple[datetime, str], StoredRow]] = defaultdict(dict)
        self.running: dict[str, dict[str, StoredRow]] = defaultdict(dict)
        self.pending: dict[tuple[Granularity, str, EventKind, datetime], set[str]] = defaultdict(set)
        self.watermarks: dict[str, datetime] = {}
        self.detailed_from: dict[str, datetime] = {}
        self.schedules: dict[str, ShardSchedule] = {}
        self.due: dict[str, set[datetime]] = defaultdict(set)  # organization -> moments it was marked due at
        self.cursor: datetime | None = None
        self.buckets_read: list[datetime] = []  # the starts of the raw buckets asked for, in order
        self.row_pages_read = 0
        self.rows_read = 0  # rollup rows and running totals returned to readers
        self.events_read = 0  # raw events handed to readers and the rollup

    # the event log

    def put_events(self, events: list[Event], *, retries: Retries = PATIENT) -> list[Event]:
        for event in events:
            self.events[_key(event)] = event
            self.due[event.org_slug].add(due_after(event))
        return []

    def already_stored(self, events: list[Event], *, consistent: bool = False) -> list[Event]:
        return [event for event in events if _key(event) in self.events]

    def events_in_buckets(
        self,
        org_slug: str,
        kind: EventKind,
        starts: Iterable[datetime],
        granularity: Granularity = Granularity.HOUR,
        *,
        budget: PageBudget | None = None,
    ) -> Iterator[Event]:
        wanted = set(starts)
        self.buckets_read.extend(sorted(wanted))
        found = [(key, event) for key, event in self._of(org_slug, kind) if granularity.floor(event.time) in wanted]
        found.sort(key=lambda pair: (pair[0][2], pair[0][3]))
        return self._counted(self._paged([event for _, event in found], budget))

    def late_events_received(
        self, org_slug: str, kind: EventKind, after: datetime, until: datetime, *, budget: PageBudget | None = None
    ) -> Iterator[Event]:
        arrived = [
            event for _, event in self._of(org_slug, kind) if after < event.received_at <= until and is_late(event)
        ]
        arrived.sort(key=lambda event: (event.received_at, event.event_id))
        return self._counted(self._paged(arrived, budget))

    def buckets_of_late_events(
        self, org_slug: str, kind: EventKind, after: datetime, until: datetime, granularity: Granularity
    ) -> set[datetime]:
        return {granularity.floor(event.time) for event in self.late_events_received(org_slug, kind, after, until)}

    def _of(self, org_slug: str, kind: EventKind) -> Iterator[tuple[EventKey, Event]]:
        """The organization's events of `kind`, its own and those carried by another kind's event."""
        for key, event in self.events.items():
            if event.org_slug != org_slug:
                continue
            if event.kind is kind:
                yield key, event
            elif event.served_request is not None and event.served_request.kind is kind:
                yield key, event.served_request

    def _counted(self, events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            self.events_read += 1
            yield event

    def _paged(self, items: list[T], budget: PageBudget | None) -> Iterator[T]:
        for first in range(0, max(len(items), 1), self.page_size):
            if budget:
                budget.spend()
            yield from items[first : first + self.page_size]

    # the rollup store

    def put_rows(
        self, granularity: Granularity, rows: Mapping[str, Mapping[datetime, list[Row]]], *, as_of: datetime
    ) -> None:
        for pk, rows_by_bucket in rows.items():
            for bucket, bucket_rows in rows_by_bucket.items():
                for row in bucket_rows:
                    self.rows[(granularity, pk)][(bucket, row.series)] = StoredRow(bucket, row, as_of)

    def query_rows(
        self, granularity: Granularity, pk: str, start: datetime, end: datetime, *, budget: PageBudget | None = None
    ) -> list[StoredRow]:
        stored = self.rows[(granularity, pk)]
        rows = [row for (bucket, _), row in sorted(stored.items(), key=lambda item: item[0]) if start <= bucket < end]
        self.row_pages_read += -(-len(rows) // self.page_size) or 1
        self.rows_read += len(rows)
        return list(self._paged(rows, budget))

    def put_running(self, totals: Mapping[str, list[Row]], *, through: datetime, as_of: datetime) -> None:
        for pk, rows in totals.items():
            for row in rows:
                self.running[pk][row.series] = StoredRow(through, row, as_of)

    def running_rows(self, pk: str, *, budget: PageBudget | None = None) -> list[StoredRow]:
        self.rows_read += len(self.running[pk])
        return list(self._paged(list(self.running[pk].values()), budget))

    def put_pending(
        self, granularity: Granularity, org_slug: str, kind: EventKind, pending: Mapping[datetime, set[str]]
    ) -> None:
        for bucket, pks in pending.items():
            self.pending[(granularity, org_slug, kind, bucket)].update(pks)

    def pending_partitions(
        self, granularity: Granularity, org_slug: str, kind: EventKind, bucket: datetime
    ) -> set[str]:
        return set(self.pending[(granularity, org_slug, kind, bucket)])

    def get_progress(self, org_slug: str) -> Progress:
        return Progress(self.watermarks.get(org_slug), self.detailed_from.get(org_slug))

    def get_watermark(self, org_slug: str) -> datetime | None:
        return self.watermarks.get(org_slug)

    def put_watermark(self, org_slug: str, watermark: datetime, detailed_from: datetime | None = None) -> None:
        self.watermarks[org_slug] = max(watermark, self.watermarks.get(org_slug, watermark))
        if detailed_from is not None:
            self.detailed_from.setdefault(org_slug, detailed_from)

    def schedule_of(self, org_slug: str) -> ShardSchedule:
        return self.schedules.get(org_slug, ShardSchedule())

    def grow(self, org_slug: str, count: int, now: datetime) -> ShardStep | None:
        grown = self.schedule_of(org_slug).grown_to(count, now)
        if grown is None:
            return None
        self.schedules[org_slug] = grown
        return grown.steps[-1]

    def mark(self, org_slug: str, dues: Iterable[datetime]) -> None:
        self.due[org_slug].update(dues)

    def organizations_due(self, start: datetime, end: datetime) -> dict[str, datetime]:
        due = {
            org_slug: [moment for moment in moments if start <= moment < end] for org_slug, moments in self.due.items()
        }
        return {org_slug: max(moments) for org_slug, moments in due.items() if moments}

    def get_cursor(self) -> datetime | None:
        return self.cursor

    def put_cursor(self, through: datetime) -> None:
        self.cursor = max(through, self.cursor or through)


@contextmanager
def installed(memory: MemoryStore) -> Iterator[MemoryStore]:
    """The memory store in place of the DynamoDB one, for the event log and the rollup store alike."""
    replaced_log, replaced_rollups = event_log.use(memory), rollup_store.use(memory)
    try:
        yield memory
    finally:
        event_log.use(replaced_log)
        rollup_store.use(replaced_rollups)
