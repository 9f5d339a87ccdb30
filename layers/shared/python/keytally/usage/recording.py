"""Where usage events go: into the current request's scope (stored with its request event, one write per request),
or straight to the store outside a request. The store is the raw events table, retried only briefly while a
response waits; what it does not take goes to the spill queue, which the drain function empties into the table
(usage/drain.py). A refused write never changes an answer already decided."""

from __future__ import annotations

from keytally.errors import ServiceUnavailable
from keytally.observability import logger, metrics
from keytally.storage import spill
from keytally.storage.dynamodb import BRIEF
from keytally.storage.event_log import event_log
from keytally.timeseries.records import Event
from keytally.usage import request_scope


def record(events: list[Event]) -> None:
    current = request_scope.current()
    if current is not None:
        current.events.extend(events)
    else:
        store(events)


def store(events: list[Event]) -> None:
    """Stores or spills the events. The answer has been decided by now, so an event neither the table nor the queue
    takes is logged and counted as lost (metric UsageEventsLost) rather than turned into an error."""
    lost = stored_or_spilled(events)
    if lost:
        logger.error("Usage events could not be stored", extra={"event_ids": [event.event_id for event in lost]})
        metrics.add_metric(name="UsageEventsLost", unit="Count", value=len(lost))


def stored_or_spilled(events: list[Event]) -> list[Event]:
    """Writes the events to the raw table, retrying for at most BRIEF's waits (60 ms); queues the rest (metric
    UsageEventsSpilled). Returns the events neither took."""
    if not events:
        return []
    try:
        unstored = event_log().put_events(events, retries=BRIEF)
    except ServiceUnavailable:  # the store could not be reached at all
        unstored = events
    if not unstored:
        return []
    metrics.add_metric(name="UsageEventsSpilled", unit="Count", value=len(unstored))
    return spill.send(unstored)
