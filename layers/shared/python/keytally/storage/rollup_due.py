"""Which organizations have rollup work due, and from when: markers in the raw events table, read by the rollup
dispatcher.

A marker is pk `ROLLUP_DUE#{n}` (n one of DUE_PARTITIONS, by the organization), sk `{due}#{org}`. Its due moment
is always the end of a five-minute bucket: for stored events, the end of the five minutes they arrived in (or of
their own, for events ahead of the clock) — storage/events.put_events adds the marker to the BatchWriteItem that
stores them; for the rollup, the end of an hour, day or month it left open with rows in it, so that bucket's row is
written when it closes even if no event arrives after. A container writes each marker once (it remembers what it
wrote until its moment is RECENT past); a marker the table refused is written with the container's next events of
that organization. Markers expire after MARKER_RETENTION. The dispatcher's cursor is the entity table's item
`ROLLUP#DISPATCH` / `CURSOR`: every marker due before it has been sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from keytally.errors import ServiceUnavailable
from keytally.settings import get_settings
from keytally.storage.dynamodb import (
    ConditionFailed,
    entity_table,
    query_items,
    stored_time,
    table,
    translated_errors,
    write_all,
)
from keytally.timeseries.records import RAW_BUCKET, Event

# a partition key takes about 1,000 writes a second: markers (one per container, organization and five minutes)
# spread over DUE_PARTITIONS keys take ten times that
DUE_PARTITIONS = 10
MARKER_RETENTION = timedelta(days=2)
RECENT = timedelta(minutes=30)
_CURSOR_KEY = {"pk": "ROLLUP#DISPATCH", "sk": "CURSOR"}

_written: set[tuple[str, datetime]] = set()  # (org slug, due) this container wrote


def due_after(event: Event) -> datetime:
    """When the rollup can take the event: the end of the five minutes it arrived in, or of its own if later."""
    return RAW_BUCKET.next(RAW_BUCKET.floor(max(event.time, event.received_at)))


def _partition(number: int) -> str:
    return f"ROLLUP_DUE#{number}"


def _partition_of(org_slug: str) -> str:
    return _partition(int.from_bytes(hashlib.sha256(org_slug.encode()).digest()[:8], "big") % DUE_PARTITIONS)


def marker_item(org_slug: str, due: datetime) -> dict[str, Any]:
    return {
        "pk": _partition_of(org_slug),
        "sk": f"{stored_time(due)}#{org_slug}",
        "org_slug": org_slug,
        "due": stored_time(due),
        "ttl": int((due + MARKER_RETENTION).timestamp()),
    }


def unwritten_markers(events: Iterable[Event]) -> list[dict[str, Any]]:
    """The markers the events make that this container has not written yet."""
    wanted = {(event.org_slug, due_after(event)) for event in events}
    return [marker_item(org_slug, due) for org_slug, due in sorted(wanted - _written)]


def note_written(markers: Iterable[dict[str, Any]]) -> None:
    """Remembers the markers the table took, while their moment is less than RECENT past (forgetting only when
    there is something new to note: most writes make no marker)."""
    taken = {(marker["org_slug"], datetime.fromisoformat(marker["due"])) for marker in markers}
    if taken:
        forgotten = datetime.now(UTC) - RECENT
        _written.difference_update({marker for marker in _written if marker[1] < forgotten})
        _written.update(taken)


def forget_written() -> None:
    """For tests that start from empty tables."""
    _written.clear()


def mark(org_slug: str, dues: Iterable[datetime]) -> None:
    """Marks the organization due at each moment (the rollup's follow-ups); raises if the table refused any, so
    the run fails and runs again."""
    markers = [marker_item(org_slug, due) for due in sorted(set(dues)) if (org_slug, due) not in _written]
    if write_all(get_settings().events_table, markers):
        raise ServiceUnavailable("Rollup markers could not be written; the run is retried.")
    note_written(markers)


def organizations_due(start: datetime, end: datetime) -> dict[str, datetime]:
    """Each organization with a marker due in [start, end), and its latest due moment: one Query per partition.
    Bounds are bare stamps, which sort just before every `{stamp}#{org}` of that moment."""
    due: dict[str, datetime] = {}
    for number in range(DUE_PARTITIONS):
        condition = Key("pk").eq(_partition(number)) & Key("sk").between(stored_time(start), stored_time(end))
        for item in query_items(table(get_settings().events_table), KeyConditionExpression=condition):
            moment = datetime.fromisoformat(item["due"])
            due[item["org_slug"]] = max(moment, due.get(item["org_slug"], moment))
    return due


def get_cursor() -> datetime | None:
    with translated_errors():
        item = entity_table().get_item(Key=_CURSOR_KEY, ConsistentRead=True).get("Item")
    return datetime.fromisoformat(item["through"]) if item else None


def put_cursor(through: datetime) -> None:
    """Moves the cursor forward only: a dispatcher finishing late cannot move it back."""
    try:
        with translated_errors():
            entity_table().put_item(
                Item={**_CURSOR_KEY, "through": stored_time(through)},
                ConditionExpression="attribute_not_exists(through) OR through < :new",
                ExpressionAttributeValues={":new": stored_time(through)},
            )
    except ConditionFailed:
        pass
