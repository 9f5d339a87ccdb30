"""The event log: every raw event, as the functions that take events store them and the rollup and queries read
them back. Each reader and writer goes through `event_log()`; what it returns keeps them in the raw events table
(storage/events.py) unless `use` installed another implementation of the protocol (devtools/memory_store.py, the
tests' in-memory store). Apart from the rollup store (storage/rollup_store.py) so that the functions that only write
events do not import the rollup's rows and sketches.

An implementation keeps storage/events.py's contract: an event stored again (a retry) still counts once; a read
returns the events of whole buckets, in order of their five minutes; late events are found by their arrival."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from keytally.storage import events
from keytally.storage.dynamodb import PATIENT, PageBudget, Retries
from keytally.storage.installed import Installed
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event, EventKind


class EventLog(Protocol):
    def put_events(self, events: list[Event], *, retries: Retries = PATIENT) -> list[Event]: ...
    def already_stored(self, events: list[Event], *, consistent: bool = False) -> list[Event]: ...
    def events_in_buckets(
        self,
        org_slug: str,
        kind: EventKind,
        starts: Iterable[datetime],
        granularity: Granularity = Granularity.HOUR,
        *,
        budget: PageBudget | None = None,
    ) -> Iterator[Event]: ...
    def late_events_received(
        self, org_slug: str, kind: EventKind, after: datetime, until: datetime, *, budget: PageBudget | None = None
    ) -> Iterator[Event]: ...
    def buckets_of_late_events(
        self, org_slug: str, kind: EventKind, after: datetime, until: datetime, granularity: Granularity
    ) -> set[datetime]: ...


class DynamoEventLog:
    """The raw events table."""

    put_events = staticmethod(events.put_events)
    already_stored = staticmethod(events.already_stored)
    events_in_buckets = staticmethod(events.events_in_buckets)
    late_events_received = staticmethod(events.late_events_received)
    buckets_of_late_events = staticmethod(events.buckets_of_late_events)


_installed = Installed[EventLog](DynamoEventLog())
event_log = _installed.current
use = _installed.use
