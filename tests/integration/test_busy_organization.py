"""Five-minute rows of detail views (a row per key, identity or endpoint) only once an organization is busy: a quiet
organization's queries filtered by a key or an endpoint read its open hour raw, and stay exact; the rollup run that
finds it busy writes those rows for the open hour's closed buckets before its watermark says they exist, and queries
stay exact across the switch — late arrivals included, each counted once. In memory, with the rollup every five
minutes as the dispatcher runs it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from request_oracle import brute_force, exact_percentiles, exact_timeline_percentiles, timeline_percentiles_apart
from sample_requests import sample_request, sample_verification
from verification_oracle import brute_force as counted_verifications
from verification_oracle import observed

from devtools.memory_store import MemoryStore, installed
from keytally import admin, rollup
from keytally.analytics.requests import RequestsQuery, get_request_analytics
from keytally.analytics.verification_models import GroupBy, Order
from keytally.analytics.verifications import VerificationsQuery, datapoints, read_verifications, verifications_window
from keytally.auth.principal import CredentialKind, Principal
from keytally.models import ALL_SCOPES, Organization, RequestSource
from keytally.storage import accounts
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import RAW_BUCKET, VIEWS, Event, EventKind

QUIET_UNTIL = datetime(2026, 11, 23, 16, 20, tzinfo=UTC)  # then busy, from the middle of an hour
NOW = datetime(2026, 11, 23, 16, 52, 30, tzinfo=UTC)
BUSY = 40  # events of a kind in five minutes that make the organization busy, for this test
CALLER = Principal(
    kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_caller", scopes=frozenset(ALL_SCOPES), org_slug="acme"
)
KEYS, ENDPOINTS = [f"ak_{n}" for n in range(6)], [f"/v1/items/{n}" for n in range(4)]


def traffic() -> list[Event]:
    """Four quiet hours (2 requests and verifications per five minutes), then busy (60 each); one event in ten
    arrives 7 to 20 minutes late."""
    rng = random.Random(5)
    events: list[Event] = []
    moment = QUIET_UNTIL - timedelta(hours=4)
    while moment < NOW:
        per_bucket = 2 if moment < QUIET_UNTIL else 60
        for _ in range(per_bucket):
            time = moment + timedelta(seconds=rng.uniform(0, 299))
            late = timedelta(minutes=rng.uniform(7, 20)) if rng.random() < 0.1 else timedelta()
            key = rng.choice(KEYS)
            events.append(
                sample_request(
                    f"r{len(events):05d}",
                    time,
                    received_at=time + late,
                    key_id=key,
                    endpoint=rng.choice(ENDPOINTS),
                    status=rng.choice((200, 200, 404, 500)),
                    latency_ms=rng.choice((3.0, 40.0, 700.0)),
                )
            )
            events.append(
                sample_verification(f"v{len(events):05d}", time, received_at=time + late, key_id=key, identity=key)
            )
        moment += RAW_BUCKET.next(moment) - moment
    return [event for event in events if event.received_at < NOW]


def request_queries() -> list[RequestsQuery]:
    return [
        RequestsQuery(None, KEYS[0], None, RequestSource.INGESTED, None, None, 10),
        RequestsQuery(None, None, ENDPOINTS[1], RequestSource.INGESTED, None, None, 10),
        RequestsQuery(None, KEYS[1], ENDPOINTS[2], RequestSource.INGESTED, None, None, 10),
        RequestsQuery(None, None, None, RequestSource.INGESTED, None, None, 10),
    ]


def verification_queries() -> list[VerificationsQuery]:
    start = int((QUIET_UNTIL - timedelta(hours=5)).timestamp() * 1000)
    plain = VerificationsQuery("api_1", None, (), (), start, None, (), None, None, Order.ASC)
    return [
        plain._replace(key_ids=(KEYS[2],), group_by=(GroupBy.HOUR,)),
        plain._replace(external_id=KEYS[3]),
        plain._replace(group_by=(GroupBy.KEY, GroupBy.IDENTITY)),
    ]


def check_answers(events: list[Event], now: datetime, organization: Organization) -> None:
    """Every query exact at `now` over the events received by then."""
    received = [event for event in events if event.received_at <= now]
    requests = [event for event in received if event.kind is EventKind.REQUEST]
    verifications = [event for event in received if event.kind is EventKind.VERIFICATION]
    for query in request_queries():
        answer = get_request_analytics(CALLER, query, now).model_dump()
        expected = brute_force(requests, "acme", query, now, {key: key for key in KEYS})
        latency, exact = answer.pop("latency"), expected.pop("exact_latency")
        per_slice = timeline_percentiles_apart(answer)
        assert answer == expected, (now, query)
        assert {name: latency[name] for name in exact} == exact, (now, query)
        for name, value in exact_percentiles(requests, "acme", query, now).items():
            assert latency[name] == pytest.approx(value, rel=0.01, abs=0.001), (now, query, name)
        for estimated, true in zip(per_slice, exact_timeline_percentiles(requests, "acme", query, now), strict=True):
            assert estimated == pytest.approx(true, rel=0.01, abs=0.001), (now, query)
    for query in verification_queries():
        window = verifications_window(query, now)
        read = read_verifications("acme", query, window, now, since=organization.created_time)
        points = datapoints("acme", query, read)
        end = query._replace(end_ms=int(now.timestamp() * 1000))
        assert observed(points, query.group_by) == counted_verifications(verifications, end), (now, query)


def detail_five_minute_rows(memory: MemoryStore) -> set[datetime]:
    detail = {view.name for views in VIEWS.values() for view in views if view.detail}
    return {
        bucket
        for (granularity, pk), rows in memory.rows.items()
        if granularity is RAW_BUCKET and pk.split("#")[1] in detail
        for bucket, _ in rows
    }


def test_detail_views_get_five_minute_rows_from_the_hour_an_organization_turns_busy(
    tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollup, "BUSY_FIVE_MINUTES", BUSY)
    admin.create_organization("acme", None, QUIET_UNTIL - timedelta(days=2))
    organization = accounts.get_organization("acme")
    assert organization is not None
    events = traffic()
    with installed(MemoryStore()) as memory:
        first, turned_busy = QUIET_UNTIL - timedelta(hours=4), None
        moments = [first + timedelta(minutes=5 * n) for n in range(int((NOW - first) / timedelta(minutes=5)) + 1)]
        for moment in [*moments, NOW]:
            memory.events = {}
            memory.put_events([event for event in events if event.received_at <= moment])
            rollup.roll_up_org(organization, moment)
            progress = memory.get_progress("acme")
            if progress.detailed_from is None:
                assert not detail_five_minute_rows(memory), moment  # quiet: light views only
            elif turned_busy is None:
                turned_busy = moment
                assert progress.detailed_from == Granularity.HOUR.floor(moment - rollup.INDEX_LAG)
                closed = set(RAW_BUCKET.starts(progress.detailed_from, RAW_BUCKET.floor(moment - rollup.INDEX_LAG)))
                assert closed and closed <= detail_five_minute_rows(memory)  # the open hour's closed buckets too
            if moment.minute % 15 == 10 or moment == NOW:
                check_answers(events, moment, organization)
        assert turned_busy is not None and QUIET_UNTIL <= turned_busy < QUIET_UNTIL + timedelta(minutes=15)
