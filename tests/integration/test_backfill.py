"""A new organization backfills its request logs: every event POST /v1/events answers `accepted` — however long
before the organization's creation, within the ingest window — is counted exactly in every view that covers its
time (BitGPT, organization metrics, the Prometheus counters), before any rollup, between rollups run at the moments
production runs them, and after; what is too old is refused per item and counted nowhere; another organization's
events never count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from request_oracle import brute_force, exact_timeline_percentiles, timeline_percentiles_apart

from keytally import admin, rollup
from keytally.analytics.organization import get_organization_metrics
from keytally.analytics.organization_models import OrganizationMetricsRequest
from keytally.analytics.prometheus import snapshot
from keytally.analytics.requests import RequestsQuery, get_request_analytics
from keytally.api_keys.models import CreateApiKey
from keytally.auth.principal import CredentialKind, Principal
from keytally.ingest.models import IngestEvents, Outcome, Reason, RequestLogEvent
from keytally.ingest.service import ingest
from keytally.models import ALL_SCOPES, RequestSource
from keytally.storage import events as raw
from keytally.timeseries.records import Event
from keytally.usage.events import request_event

NOW = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
CREATED = NOW - timedelta(hours=3, minutes=7)  # new-org signs up, then sends its logs in three batches
BATCHES = (CREATED + timedelta(minutes=9), CREATED + timedelta(minutes=71), CREATED + timedelta(hours=2, minutes=33))
ROLLUPS = (CREATED + timedelta(minutes=40), CREATED + timedelta(hours=2, minutes=1))  # between the batches
ENDPOINTS = ("/v1/things", "/v1/search")
STATUSES = (200, 200, 201, 404, 500)
IPS = ("203.0.113.9", "2001:db8::1", "198.51.100.7")


def caller(org_slug: str) -> Principal:
    return Principal(
        kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_caller", scopes=frozenset(ALL_SCOPES), org_slug=org_slug
    )


@pytest.fixture
def key_labels(tables) -> dict[str, str]:
    """new-org, created at CREATED, with two keys; old-org, sixty days old, with one (its events must never count)."""
    admin.create_organization("new-org", None, CREATED)
    admin.create_organization("old-org", None, NOW - timedelta(days=60))
    labels = {}
    for org, description in (("new-org", "web"), ("new-org", "batch"), ("old-org", "old")):
        record, _ = admin.create_key(CreateApiKey(description=description), CREATED, org_slug=org)
        labels[record.api_key_id] = description
    return labels


def log_lines(rng: random.Random, arrival: datetime, count: int, key_ids: list[str], first: int) -> list[dict]:
    """Request-log lines sent at `arrival`: from the whole ingest window before it (its first and last minutes
    too), and three lines just too old for it."""
    oldest = arrival - raw.RAW_RETENTION
    times = [oldest + timedelta(seconds=1), arrival, arrival + timedelta(minutes=4)]
    times += [oldest + timedelta(seconds=rng.uniform(1, raw.RAW_RETENTION.total_seconds())) for _ in range(count)]
    times += [oldest, oldest - timedelta(minutes=1), oldest - timedelta(days=3)]
    return [
        {
            "event_id": f"e{first + number:05d}",
            "time": time,
            "api_key_id": rng.choice([*key_ids, None]),
            "endpoint": rng.choice(ENDPOINTS),
            "method": rng.choice(["GET", "POST"]),
            "status": rng.choice(STATUSES),
            "latency_ms": round(rng.lognormvariate(4, 1.2) * 8) / 8,
            "ip": rng.choice(IPS),
        }
        for number, time in enumerate(times)
    ]


def sent(org_slug: str, lines: list[dict], arrival: datetime) -> list[Event]:
    """Sends the lines as POST /v1/events does at `arrival`; returns the events accepted, as stored."""
    answer = ingest(caller(org_slug), IngestEvents(events=[RequestLogEvent(**line) for line in lines]), arrival)
    too_old = {line["event_id"] for line in lines if line["time"] <= arrival - raw.RAW_RETENTION}
    for result in answer.results:
        if result.event_id in too_old:
            assert (result.result, result.reason, result.retryable) == (Outcome.REJECTED, Reason.TOO_OLD, False)
        else:
            assert result.result is Outcome.ACCEPTED, result
    return [
        request_event(
            source=RequestSource.INGESTED,
            event_id=line["event_id"],
            org_slug=org_slug,
            time=line["time"],
            received_at=arrival,
            key_id=line["api_key_id"] or "",
            endpoint=line["endpoint"],
            method=line["method"],
            status=line["status"],
            ip=line["ip"],
            latency_ms=line["latency_ms"],
        )
        for line in lines
        if line["event_id"] not in too_old
    ]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def request_queries(now: datetime, key_id: str) -> list[RequestsQuery]:
    def query(start: datetime | None, end: datetime | None, key: str | None = None, endpoint: str | None = None):
        return RequestsQuery(
            None,
            key,
            endpoint,
            RequestSource.INGESTED,
            None if start is None else ms(start),
            None if end is None else ms(end),
            10,
            latency_timeline=True,  # the dashboard's question too: its slices count the backfilled requests
        )

    return [
        query(None, None),  # the last 24 hours, and the 24 before
        query(now - timedelta(hours=6), now),  # the repro: the hours around the creation
        query(CREATED - timedelta(days=36), now, key=key_id),  # the whole ingest window and before
        query(CREATED - timedelta(days=20, minutes=30), CREATED - timedelta(days=19), endpoint=ENDPOINTS[1]),
        query(datetime(1970, 1, 1, tzinfo=UTC), CREATED + timedelta(minutes=1)),
    ]


def requests_in(events: list[Event], start: datetime, end: datetime) -> list[Event]:
    return [event for event in events if event.org_slug == "new-org" and start <= event.time < end]


def check_every_view(events: list[Event], now: datetime, key_labels: dict[str, str]) -> None:
    key_id = next(iter(key_labels))
    for query in request_queries(now, key_id):
        answer = get_request_analytics(caller("new-org"), query, now).model_dump()
        answer.pop("latency")
        expected = brute_force(events, "new-org", query, now, key_labels)
        expected.pop("exact_latency")
        per_slice = timeline_percentiles_apart(answer)
        assert answer == expected, (now, query)
        for estimated, true in zip(per_slice, exact_timeline_percentiles(events, "new-org", query, now), strict=True):
            assert estimated == pytest.approx(true, rel=0.01, abs=0.001), (now, query)

    whole = get_organization_metrics(caller("new-org"), OrganizationMetricsRequest(organizationSlug="new-org"), now)
    assert whole.startDate <= CREATED - raw.RAW_RETENTION  # all time: the oldest request log it can hold
    counted = requests_in(events, whole.startDate, whole.endDate)
    assert len(counted) == sum(event.org_slug == "new-org" for event in events)
    errors = sum(int(event.dimensions["status"]) >= 400 for event in counted)
    assert (whole.requests.total, whole.requests.errors) == (len(counted), errors), now
    before = OrganizationMetricsRequest(
        organizationSlug="new-org", startDate=CREATED - timedelta(days=10), endDate=CREATED - timedelta(days=2)
    )
    part = get_organization_metrics(caller("new-org"), before, now)
    assert part.requests.total == len(requests_in(events, part.startDate, part.endDate)), now

    counters = snapshot("new-org", now).requests[RequestSource.INGESTED]
    assert counters.total == len(counted), now
    by_status = {status: sum(e.dimensions["status"] == str(status) for e in counted) for status in STATUSES}
    assert {int(status): count for status, count in counters.counts.items() if count} == {
        status: count for status, count in by_status.items() if count
    }, now


def test_a_new_organization_backfilling_its_logs_finds_every_accepted_event_in_every_view(
    key_labels, time_series, roll_up_fanned_out
):
    rng = random.Random(24)
    new_keys = [key_id for key_id, label in key_labels.items() if label != "old"]
    old_key = next(key_id for key_id, label in key_labels.items() if label == "old")
    accepted: list[Event] = []
    per_batch = 120 if time_series is not None else 40  # through DynamoDB (moto), fewer
    moments = sorted([(moment, "batch") for moment in BATCHES] + [(moment, "rollup") for moment in ROLLUPS])
    for number, (moment, step) in enumerate(moments):
        if step == "batch":
            accepted += sent("new-org", log_lines(rng, moment, per_batch, new_keys, 1000 * number), moment)
            sent("old-org", log_lines(rng, moment, 30, [old_key], 1000 * number), moment)
        else:
            roll_up_fanned_out(moment)
        if time_series is not None or number == 0:  # through DynamoDB: before any rollup, and after the last
            check_every_view(accepted, moment + timedelta(minutes=1), key_labels)
    roll_up_fanned_out(NOW)
    check_every_view(accepted, NOW, key_labels)
    assert (
        len(requests_in(accepted, CREATED - timedelta(days=36), CREATED)) > 2.5 * per_batch
    )  # most of it is backfilled


def test_logs_sent_the_instant_the_organization_is_created_are_rolled_up_too(key_labels, time_series):
    """Found by the model-based test: arrivals are read after the first run's lower bound, which was the creation
    itself, so logs received at that very instant were in no rollup and, once the watermark passed, in no view."""
    lines = [line | {"api_key_id": None} for line in log_lines(random.Random(1), CREATED, 3, [], 0)]
    accepted = sent("new-org", lines, CREATED)  # received at CREATED exactly
    rollup.roll_up_named("new-org", CREATED + timedelta(hours=3))
    counters = snapshot("new-org", CREATED + timedelta(hours=3)).requests[RequestSource.INGESTED]
    assert counters.total == len(accepted) == 6
