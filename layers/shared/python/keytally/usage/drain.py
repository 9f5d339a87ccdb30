"""The drain function's work: spilled events into the raw events table.

An event is stored as arriving now (its `received_at` becomes the moment of the write): the rollup finds new events
by arrival, so one stored after the watermark passed its original arrival is still rolled up, and counted once.
An event already in the table (a message delivered twice, an event spilled twice) is not written again. A message
whose events cannot all be stored raises, so SQS delivers it again later (and, after five tries, parks it in the
dead-letter queue)."""

from __future__ import annotations

from datetime import datetime

from keytally.errors import ServiceUnavailable
from keytally.observability import metrics
from keytally.storage import spill
from keytally.storage.event_log import event_log


def store_message(body: str, now: datetime) -> int:
    """Stores the events of one spill message; returns how many were new."""
    events = spill.events_of(body)
    # read consistently: a copy written a moment ago is found too
    stored = {id(event) for event in event_log().already_stored(events, consistent=True)}
    arriving = [event.received(now) for event in events if id(event) not in stored]
    unstored = event_log().put_events(arriving)
    if unstored:
        raise ServiceUnavailable(f"{len(unstored)} spilled events could not be stored yet; the queue retries.")
    metrics.add_metric(name="UsageEventsDrained", unit="Count", value=len(arriving))
    return len(arriving)
