"""Where usage events go: into the current request's scope (stored with its request event, one write per request),
or straight to the raw events table outside a request. A refused write never changes an answer already decided."""

from __future__ import annotations

from keytally.errors import ServiceUnavailable
from keytally.observability import logger, metrics
from keytally.storage import events as raw
from keytally.timeseries.records import Event
from keytally.usage import request_scope


def record(events: list[Event]) -> None:
    current = request_scope.current()
    if current is not None:
        current.events.extend(events)
    else:
        store(events)


def store(events: list[Event]) -> None:
    """Stores the events. The answer has been decided by now, so an event the store refuses is logged and counted
    as lost (metric UsageEventsLost) rather than turned into an error."""
    if not events:
        return
    try:
        lost = raw.put_events(events)
    except ServiceUnavailable:
        lost = events
    if lost:
        logger.error("Usage events could not be stored", extra={"event_ids": [event.event_id for event in lost]})
        metrics.add_metric(name="UsageEventsLost", unit="Count", value=len(lost))
