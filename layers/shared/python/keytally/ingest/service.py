"""POST /v1/events: which events of a batch are the caller's to record, which are new, and storing those."""

from __future__ import annotations

from datetime import datetime, timedelta

from keytally.access import organization_for
from keytally.auth.principal import Principal
from keytally.ingest.models import EventResult, IngestEvents, IngestResult, Outcome, Reason, RequestLogEvent
from keytally.models import RequestSource, Scope
from keytally.storage import api_keys
from keytally.storage import events as raw
from keytally.storage.event_log import event_log
from keytally.timeseries.records import Event
from keytally.usage import recording
from keytally.usage.events import request_event

MAX_CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of keytally's clock an event's time may be
_MAX_CACHED_KEYS = 10_000

_key_organizations: dict[str, str | None] = {}  # a key never moves to another organization, so a found one is kept


def ingest(principal: Principal, request: IngestEvents, now: datetime) -> IngestResult:
    """Stores the new events of the batch and says what became of each.

    An event is identified by its organization, event_id and the five minutes of its time: sending it again (a retried
    batch) answers `duplicate` and stores nothing. Nothing is answered `accepted` unless it was stored, or queued for
    storing when the table was busy (usage.recording); an event neither took is `rejected` with reason `not_stored`
    and `retryable`, so resending the whole batch is safe.
    """
    org_slug = organization_for(principal, request.organizationSlug, Scope.EVENTS_WRITE)
    owners = key_owners({event.api_key_id for event in request.events if event.api_key_id is not None})
    results: list[EventResult | None] = []
    candidates: dict[int, Event] = {}
    seen: set[str] = set()
    for position, submitted in enumerate(request.events):
        key_org = org_slug if submitted.api_key_id is None else owners.get(submitted.api_key_id)
        reason = Reason.UNKNOWN_API_KEY if key_org != org_slug else rejection(submitted.time, now)
        if reason is not None:
            results.append(
                EventResult(event_id=submitted.event_id, result=Outcome.REJECTED, reason=reason, retryable=False)
            )
        elif submitted.event_id in seen:
            results.append(EventResult(event_id=submitted.event_id, result=Outcome.DUPLICATE))
        else:
            seen.add(submitted.event_id)
            candidates[position] = _to_event(submitted, org_slug, now)
            results.append(None)
    duplicates, unstored = store_new(list(candidates.values()))
    for position, event in candidates.items():
        if id(event) in duplicates:
            results[position] = EventResult(event_id=event.event_id, result=Outcome.DUPLICATE)
        elif id(event) in unstored:
            results[position] = EventResult(
                event_id=event.event_id, result=Outcome.REJECTED, reason=Reason.NOT_STORED, retryable=True
            )
        else:
            results[position] = EventResult(event_id=event.event_id, result=Outcome.ACCEPTED)
    return _summary([result for result in results if result is not None])


def rejection(time: datetime, now: datetime) -> Reason | None:
    """Why an event of a request served at `time` cannot be taken now, if it cannot."""
    if time <= now - raw.RAW_RETENTION:
        return Reason.TOO_OLD
    if time > now + MAX_CLOCK_SKEW:
        return Reason.IN_THE_FUTURE
    return None


def store_new(events: list[Event]) -> tuple[set[int], set[int]]:
    """Stores the events not stored before (by organization, event_id and the five minutes of their time), or queues
    them when the table is busy. Returns the `id()`s of those already stored, and of those neither took."""
    duplicates = {id(event) for event in event_log().already_stored(events)}
    new = [event for event in events if id(event) not in duplicates]
    return duplicates, {id(event) for event in recording.stored_or_spilled(new)}


def _to_event(event: RequestLogEvent, org_slug: str, now: datetime) -> Event:
    return request_event(
        source=RequestSource.INGESTED,
        event_id=event.event_id,
        org_slug=org_slug,
        time=event.time,
        received_at=now,
        key_id=event.api_key_id or "",
        endpoint=event.route or event.endpoint,
        path=event.endpoint if event.route else "",
        method=event.method,
        status=event.status,
        ip=event.ip,
        latency_ms=event.latency_ms,
        tags=tuple(event.tags),
    )


def key_owners(api_key_ids: set[str]) -> dict[str, str | None]:
    """The organization of each key id (None: no such key, or a user's own key). Ids not seen before are resolved
    together: one BatchGetItem per 100."""
    if len(_key_organizations) > _MAX_CACHED_KEYS:
        _key_organizations.clear()
    unseen = api_key_ids - _key_organizations.keys()
    if unseen:
        _key_organizations.update(api_keys.organizations_of(unseen))
    return {api_key_id: _key_organizations.get(api_key_id) for api_key_id in api_key_ids}


def _summary(results: list[EventResult]) -> IngestResult:
    def count(outcome: Outcome) -> int:
        return sum(result.result is outcome for result in results)

    return IngestResult(
        accepted=count(Outcome.ACCEPTED),
        duplicates=count(Outcome.DUPLICATE),
        rejected=count(Outcome.REJECTED),
        results=results,
    )
