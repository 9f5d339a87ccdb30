"""The rollup store: rollup rows and running totals, pending notes, each organization's watermark and raw shard
schedule, the rollup-due markers and the dispatcher's cursor. Each reader and writer goes through `rollup_store()`;
what it returns keeps them in DynamoDB (the storage modules bound below) unless `use` installed another
implementation of the protocol (devtools/memory_store.py, the tests' in-memory store).

An implementation keeps those modules' contracts: rows are written whole (never incremented), a watermark and the
cursor only move forward, a shard step is added only to the schedule it was decided on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from keytally.storage import raw_shards, rollup_due, rollups
from keytally.storage.dynamodb import PageBudget
from keytally.storage.installed import Installed
from keytally.storage.rollups import Progress, StoredRow
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind
from keytally.timeseries.rows import Row
from keytally.timeseries.shards import ShardSchedule, ShardStep


class RollupStore(Protocol):
    def put_rows(
        self, granularity: Granularity, rows: Mapping[str, Mapping[datetime, list[Row]]], *, as_of: datetime
    ) -> None: ...
    def query_rows(
        self, granularity: Granularity, pk: str, start: datetime, end: datetime, *, budget: PageBudget | None = None
    ) -> list[StoredRow]: ...
    def put_running(self, totals: Mapping[str, list[Row]], *, through: datetime, as_of: datetime) -> None: ...
    def running_rows(self, pk: str, *, budget: PageBudget | None = None) -> list[StoredRow]: ...
    def put_pending(
        self, granularity: Granularity, org_slug: str, kind: EventKind, pending: Mapping[datetime, set[str]]
    ) -> None: ...
    def pending_partitions(
        self, granularity: Granularity, org_slug: str, kind: EventKind, bucket: datetime
    ) -> set[str]: ...
    def get_progress(self, org_slug: str) -> Progress: ...
    def get_watermark(self, org_slug: str) -> datetime | None: ...
    def put_watermark(self, org_slug: str, watermark: datetime, detailed_from: datetime | None = None) -> None: ...
    def schedule_of(self, org_slug: str) -> ShardSchedule: ...
    def grow(self, org_slug: str, count: int, now: datetime) -> ShardStep | None: ...
    def mark(self, org_slug: str, dues: Iterable[datetime]) -> None: ...
    def organizations_due(self, start: datetime, end: datetime) -> dict[str, datetime]: ...
    def get_cursor(self) -> datetime | None: ...
    def put_cursor(self, through: datetime) -> None: ...


class DynamoRollupStore:
    """The rollup tables, the raw events table's due markers and the entity table."""

    put_rows = staticmethod(rollups.put_rows)
    query_rows = staticmethod(rollups.query_rows)
    put_running = staticmethod(rollups.put_running)
    running_rows = staticmethod(rollups.running_rows)
    put_pending = staticmethod(rollups.put_pending)
    pending_partitions = staticmethod(rollups.pending_partitions)
    get_progress = staticmethod(rollups.get_progress)
    get_watermark = staticmethod(rollups.get_watermark)
    put_watermark = staticmethod(rollups.put_watermark)
    schedule_of = staticmethod(raw_shards.schedule_of)
    grow = staticmethod(raw_shards.grow)
    mark = staticmethod(rollup_due.mark)
    organizations_due = staticmethod(rollup_due.organizations_due)
    get_cursor = staticmethod(rollup_due.get_cursor)
    put_cursor = staticmethod(rollup_due.put_cursor)


_installed = Installed[RollupStore](DynamoRollupStore())
rollup_store = _installed.current
use = _installed.use
