"""Rollups and verification analytics through the real store (moto) against a brute-force count of the same raw
events.

Events are written straight to the raw table with chosen times and arrival times, so closed buckets, the open
tail and late arrivals into already rolled-up hours are all exercised at a fixed `now`. The full groupBy x filter
matrix runs in memory (tests/unit/test_analytics_verifications.py); here a few of its queries check that the
storage modules give the query path what it expects, with what only a store can show: identical rows on
rerun, crash recovery, tenancy.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sample_requests import sample_request
from verification_oracle import brute_force, event, observed

from keytally import rollup
from keytally.analytics.verification_models import GroupBy, Order
from keytally.analytics.verifications import VerificationsQuery, get_verifications
from keytally.auth.principal import CredentialKind, Principal
from keytally.models import ALL_SCOPES, ApiRecord, Organization, RequestSource
from keytally.settings import get_settings
from keytally.storage import accounts, apis, rollups
from keytally.storage import events as raw
from keytally.storage.dynamodb import entity_table, table
from keytally.storage.rollup_store import DynamoRollupStore
from keytally.timeseries import shards
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import REQUESTS, VIEWS, Event, EventKind
from keytally.timeseries.rows import aggregate

NOW = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
FIRST_ROLLUP = NOW - timedelta(hours=10, minutes=20)


@pytest.fixture
def organizations(tables):
    """acme-org with api_a and api_b, beta-org with api_c."""
    for slug in ("acme-org", "beta-org"):
        accounts.create_organization(Organization(slug=slug, name=slug, created_time=NOW - timedelta(days=4)))
    for api, org in (("api_a", "acme-org"), ("api_b", "acme-org"), ("api_c", "beta-org")):
        apis.create_api(ApiRecord(api_id=api, org_slug=org, name=api, created_time=NOW - timedelta(days=90)))


@pytest.fixture
def history(organizations, raw_shard_schedule, roll_up_fanned_out):
    """Three days of events for api_a of acme (plus noise in api_b and in beta-org), rolled up once (as deployed:
    through the dispatcher and the queue)."""
    rng = random.Random(7)
    stored: list[Event] = []
    for number in range(600):
        time = NOW - timedelta(seconds=rng.randint(1, 3 * 86400))
        org, api = rng.choice([("acme-org", "api_a")] * 4 + [("acme-org", "api_b"), ("beta-org", "api_c")])
        stored.append(event(rng, org, api, time, time, number))
    assert not raw.put_events([e for e in stored if e.received_at <= FIRST_ROLLUP])
    roll_up_fanned_out(FIRST_ROLLUP + rollup.INDEX_LAG)
    assert not raw.put_events([e for e in stored if e.received_at > FIRST_ROLLUP])
    late = [
        event(rng, "acme-org", "api_a", NOW - timedelta(hours=rng.randint(12, 60)), NOW - timedelta(hours=2), 1000 + n)
        for n in range(40)
    ]  # into hours the first rollup already wrote
    assert not raw.put_events(late)
    return [e for e in stored + late if e.dimensions["api_id"] == "api_a"]


# (grouping, filter) pairs from the in-memory matrix that touch every kind of tile, the tail and each filter
STORE_CHECKS = [
    ((), ((), None, ())),
    (("hour",), (("k1", "k2"), "c1", ())),
    (("day", "key"), ((), None, ())),
    (("month", "tags", "key"), (("k3",), "c2", ("t1", "t2"))),
    (("hour", "identity", "tag"), ((), None, ())),
]
ACME_ORG = Organization(slug="acme-org", name="acme-org", created_time=NOW - timedelta(days=4))
ACME_KEY = Principal(
    kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_test", scopes=frozenset(ALL_SCOPES), org_slug="acme-org"
)


def compare_all(events: list[Event]) -> int:
    compared = 0
    for grouping, (key_ids, external_id, tags) in STORE_CHECKS:
        group_by = tuple(GroupBy(g) for g in grouping)
        query = VerificationsQuery(
            api_id="api_a",
            external_id=external_id,
            key_ids=key_ids,
            tags=tags,
            start_ms=int((NOW - timedelta(days=2, hours=5)).timestamp() * 1000),
            end_ms=int((NOW + timedelta(hours=1)).timestamp() * 1000),
            group_by=group_by,
            limit=None,
            order_by=None,
            order=Order.ASC,
        )
        assert observed(get_verifications(ACME_KEY, query, NOW), group_by) == brute_force(events, query), grouping
        compared += 1
    return compared


def test_analytics_are_exact_with_a_tail_and_late_events_then_after_a_full_rollup(
    history, raw_shard_schedule, roll_up_fanned_out
):
    items = table(get_settings().events_table).scan()["Items"]
    partitions = [item["pk"].split("#") for item in items if "kind" in item]  # events, not rollup markers
    assert {int(parts[3]) if len(parts) > 3 else 0 for parts in partitions} == set(range(raw_shard_schedule.most))
    assert rollups.get_watermark("acme-org") == FIRST_ROLLUP
    assert compare_all(history) == len(STORE_CHECKS)
    roll_up_fanned_out(NOW)
    assert rollups.get_watermark("acme-org") == NOW - rollup.INDEX_LAG
    compare_all(history)


def snapshot() -> dict:
    """Every rollup row but for `as_of`, which says which run wrote it."""
    settings = get_settings()
    return {
        name: sorted(repr({**item, "as_of": None}) for item in table(name).scan()["Items"])
        for name in (settings.five_minute_table, settings.hourly_table, settings.daily_table, settings.monthly_table)
    }


def forget_rollups() -> None:
    entity_table().delete_item(Key={"pk": "ORG#acme-org", "sk": "ROLLUP#WATERMARK"})


# rollup rows do not depend on how raw events are sharded: the sharded history reads both layouts
@pytest.mark.parametrize("raw_shard_schedule", ["four shards from two days ago"], indirect=True)
def test_rollups_are_the_same_rows_when_rerun_or_after_a_crash(history, monkeypatch):
    rollup.roll_up_org(ACME_ORG, NOW)
    first = snapshot()
    forget_rollups()
    rollup.roll_up_org(ACME_ORG, NOW)  # everything recomputed from raw events
    assert snapshot() == first

    forget_rollups()
    writes = {"left": 1}  # the first batch of hour rows is written, then the run dies
    real_put_rows = rollups.put_rows

    def crashing_put_rows(*args, **kwargs):
        writes["left"] -= 1
        if writes["left"] < 0:
            raise RuntimeError("the function timed out")
        return real_put_rows(*args, **kwargs)

    monkeypatch.setattr(DynamoRollupStore, "put_rows", staticmethod(crashing_put_rows))
    with pytest.raises(RuntimeError):
        rollup.roll_up_org(ACME_ORG, NOW)
    assert rollups.get_watermark("acme-org") is None  # not moved: the next run redoes the work
    monkeypatch.setattr(DynamoRollupStore, "put_rows", staticmethod(real_put_rows))
    rollup.roll_up_org(ACME_ORG, NOW)
    assert snapshot() == first


def test_another_organizations_events_never_count(organizations):
    query = VerificationsQuery(
        api_id="api_c",
        external_id=None,
        key_ids=(),
        tags=(),
        start_ms=0,
        end_ms=int(NOW.timestamp() * 1000),
        group_by=(),
        limit=None,
        order_by=None,
        order=Order.ASC,
    )
    from keytally.errors import NotFound

    with pytest.raises(NotFound):
        get_verifications(ACME_KEY, query, NOW)


def test_request_rollups_keep_ingested_requests_apart_from_calls_to_keytally(organizations):
    def request(source: RequestSource, number: int) -> Event:
        return sample_request(
            f"r{number}", NOW - timedelta(hours=3, minutes=number), source=source, org_slug="acme-org"
        )

    assert not raw.put_events(
        [request(RequestSource.INGESTED, n) for n in range(3)] + [request(RequestSource.KEYTALLY, 9)]
    )
    rollup.roll_up_org(ACME_ORG, NOW)
    hour = Granularity.HOUR.floor(NOW - timedelta(hours=3))
    for source, count in ((RequestSource.INGESTED, 3), (RequestSource.KEYTALLY, 1)):
        pk = rollups.partition_key("acme-org", REQUESTS.total, source.value)
        rows = rollups.query_rows(Granularity.HOUR, pk, hour - timedelta(hours=1), hour + timedelta(hours=1))
        assert sum(stored.row.total for stored in rows) == count, source


def test_every_request_view_holds_exactly_its_events_after_rollups_with_late_arrivals(organizations):
    rng = random.Random(11)

    def request(number: int, received_late: bool) -> Event:
        time = NOW - timedelta(seconds=rng.randint(3600, 2 * 86400))
        return sample_request(
            f"r{number}",
            time,
            received_at=NOW - timedelta(minutes=30) if received_late else None,
            org_slug="acme-org",
            key_id=rng.choice(["ak_1", "ak_2", ""]),
            endpoint=rng.choice(["/v1/a", "/v1/b/{id}", "/v1/c"]),
            method=rng.choice(["GET", "POST"]),
            status=rng.choice([200, 201, 404, 500]),
            ip=rng.choice(["203.0.113.9", "198.51.100.7", "2001:db8::1"]),
            latency_ms=round(rng.lognormvariate(4, 1.2), 3),
        )

    on_time = [request(n, False) for n in range(300)]
    late = [request(300 + n, True) for n in range(40)]
    assert not raw.put_events(on_time)
    rollup.roll_up_org(ACME_ORG, NOW - timedelta(minutes=45))
    assert not raw.put_events(late)
    rollup.roll_up_org(ACME_ORG, NOW)

    def summary(rows) -> dict:
        return {
            row.series: (
                row.counts,
                {name: round(value, 6) for name, value in row.sums.items()},  # summed in another order
                row.latency_min,
                row.latency_max,
                row.under,
                row.at_most,
                row.ranking,
            )
            for row in rows
        }

    first_day = Granularity.DAY.floor(NOW - timedelta(days=2))
    for view in VIEWS[EventKind.REQUEST]:
        partitions: dict = defaultdict(list)  # a split view's partitions: one per key or endpoint
        for sent in on_time + late:  # rows of closed hours; a day has rows once it has closed
            if Granularity.HOUR.floor(sent.time) < Granularity.HOUR.floor(NOW - rollup.INDEX_LAG):
                partitions[view.partition_of(sent.dimensions)].append(sent)
        expected_partitions = {(): 1, ("key_id",): 3, ("endpoint",): 3, ("key_id", "endpoint"): 9}
        assert len(partitions) == expected_partitions[view.split], view.name
        for partition, sent_there in partitions.items():
            pk = rollups.partition_key("acme-org", view, partition)
            for granularity in (Granularity.HOUR, Granularity.DAY):
                stored: dict = defaultdict(list)
                for bucket, row, _ in rollups.query_rows(granularity, pk, first_day, NOW):
                    stored[bucket].append(row)
                expected: dict = defaultdict(list)
                for sent in sent_there:
                    if granularity.next(granularity.floor(sent.time)) <= NOW - rollup.INDEX_LAG:
                        expected[granularity.floor(sent.time)].append(sent)
                assert set(stored) == set(expected), (view.name, partition, granularity)
                for bucket, events in expected.items():
                    assert summary(stored[bucket]) == summary(aggregate(events, view).values()), (view.name, bucket)


def test_a_busy_organization_gets_more_shards_from_an_hour_ahead_and_its_events_stay_exact(organizations, monkeypatch):
    """The rollup sizes the schedule by the busiest five minutes it read (here a shard holds 0.05 events a second,
    so 60 events in five minutes need four); events before the step stay where they are, later ones spread."""
    monkeypatch.setattr(shards, "EVENTS_PER_SHARD", 0.05)
    rng = random.Random(3)
    moments = [NOW - timedelta(minutes=9, seconds=n) for n in range(60)]
    busy = [event(rng, "acme-org", "api_a", moment, moment, n) for n, moment in enumerate(moments)]
    assert not raw.put_events(busy)
    report = rollup.roll_up_org(ACME_ORG, NOW)
    assert report.busiest_five_minutes == 60
    assert report.shard_step == shards.ShardStep(datetime(2026, 11, 23, 19, tzinfo=UTC), 4)
    assert rollup.roll_up_org(ACME_ORG, NOW + timedelta(minutes=5)).shard_step is None  # pending already
    later = NOW + timedelta(hours=2)
    moments = [later + timedelta(seconds=n) for n in range(20)]
    after = [event(rng, "acme-org", "api_a", moment, moment, 100 + n) for n, moment in enumerate(moments)]
    assert not raw.put_events(after)
    partitions = {item["pk"] for item in table(get_settings().events_table).scan()["Items"]}
    assert any(pk.endswith("#3") for pk in partitions)
    query = VerificationsQuery(
        api_id="api_a",
        external_id=None,
        key_ids=(),
        tags=(),
        start_ms=int((NOW - timedelta(hours=1)).timestamp() * 1000),
        end_ms=int((later + timedelta(hours=1)).timestamp() * 1000),
        group_by=(),
        limit=None,
        order_by=None,
        order=Order.ASC,
    )
    seen = later + timedelta(minutes=1)
    assert observed(get_verifications(ACME_KEY, query, seen), ()) == brute_force(busy + after, query)
