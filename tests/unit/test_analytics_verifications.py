"""The analytics core in memory: the real rollup and the real query path (window, tiles, raw tail, grouping) over
an in-memory store, against a brute-force count of the same events — every groupBy x filter combination, with an
open tail and late events, then after a full rollup. The moto-backed twin (tests/integration) keeps what needs a
real store: identical rows on rerun, crash recovery, tenancy through the API."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from verification_oracle import KEYS, brute_force, event, observed

from devtools.memory_store import MemoryStore, installed
from keytally import rollup
from keytally.analytics import query as analytics_query
from keytally.analytics.verification_models import Datapoint, GroupBy, Order
from keytally.analytics.verifications import (
    VerificationsQuery,
    datapoints,
    read_verifications,
    verifications_window,
)
from keytally.errors import ServiceUnavailable, Unprocessable
from keytally.models import Organization
from keytally.storage import rollups
from keytally.storage.dynamodb import PageBudget
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import VERIFICATIONS_OF_KEY, VERIFICATION_TOTALS, Event
from keytally.timeseries.rows import summed

T = TypeVar("T")

NOW = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
FIRST_ROLLUP = NOW - timedelta(hours=10, minutes=20)
ORG = Organization(slug="acme-org", name="acme-org", created_time=NOW - timedelta(days=40))
API, API_CREATED = "api_a", datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
GROUPINGS = [
    (),
    ("hour",),
    ("day",),
    ("month",),
    ("key",),
    ("identity",),
    ("tag",),
    ("tags",),
    ("day", "key"),
    ("hour", "identity", "tag"),
    ("month", "tags", "key"),
]
FILTERS = [((), None, ()), (("k1", "k2"), "c1", ()), (("k3",), "c2", ("t1", "t2"))]
WINDOWS = [
    (NOW - timedelta(days=2, hours=5), NOW + timedelta(hours=1)),  # ragged hours, whole days, the tail
    (NOW - timedelta(days=33), NOW),
]  # across a month boundary: month and day tiles


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    """35 days of events for api_a (plus noise in api_b), rolled up once at FIRST_ROLLUP; then the rest arrives,
    and late events land in hours that rollup already wrote."""
    with installed(MemoryStore()) as memory:
        rng = random.Random(7)
        events = []
        for number in range(1500):
            time = NOW - timedelta(seconds=rng.randint(1, 35 * 86400))
            events.append(event(rng, ORG.slug, rng.choice([API] * 4 + ["api_b"]), time, time, number))
        memory.put_events([e for e in events if e.received_at <= FIRST_ROLLUP])
        rollup.roll_up_org(ORG, FIRST_ROLLUP + rollup.INDEX_LAG)
        memory.put_events([e for e in events if e.received_at > FIRST_ROLLUP])
        memory.put_events(
            [
                event(
                    rng, ORG.slug, API, NOW - timedelta(hours=rng.randint(12, 60)), NOW - timedelta(hours=2), 5000 + n
                )
                for n in range(40)
            ]
        )
        yield memory


@pytest.fixture
def empty_store() -> Iterator[MemoryStore]:
    with installed(MemoryStore()) as memory:
        yield memory


def stored(memory: MemoryStore) -> list[Event]:
    return list(memory.events.values())


def query_of(
    grouping: tuple[str, ...],
    key_ids: tuple[str, ...],
    external_id: str | None,
    tags: tuple[str, ...],
    start: datetime,
    end: datetime,
) -> VerificationsQuery:
    return VerificationsQuery(
        api_id=API,
        external_id=external_id,
        key_ids=key_ids,
        tags=tags,
        start_ms=int(start.timestamp() * 1000),
        end_ms=int(end.timestamp() * 1000),
        group_by=tuple(GroupBy(g) for g in grouping),
        limit=None,
        order_by=None,
        order=Order.ASC,
    )


def answer(query: VerificationsQuery) -> list[Datapoint]:
    """What GET /v1/analytics/verifications computes once the caller is authorized for the API."""
    window = verifications_window(query, NOW)
    return datapoints(ORG.slug, query, read_verifications(ORG.slug, query, window, NOW, since=API_CREATED))


def compare_all(events: list[Event]) -> int:
    compared = 0
    for start, end in WINDOWS:
        for grouping in GROUPINGS:
            for key_ids, external_id, tags in FILTERS:
                query = query_of(grouping, key_ids, external_id, tags, start, end)
                assert observed(answer(query), query.group_by) == brute_force(events, query), (grouping, key_ids)
                compared += 1
    return compared


def test_every_grouping_and_filter_is_exact_with_a_tail_and_late_events_then_after_a_full_rollup(store):
    assert store.watermarks[ORG.slug] == FIRST_ROLLUP
    assert compare_all(stored(store)) == len(WINDOWS) * len(GROUPINGS) * len(FILTERS)
    rollup.roll_up_org(ORG, NOW)
    assert store.watermarks[ORG.slug] == NOW - rollup.INDEX_LAG
    assert compare_all(stored(store)) == len(WINDOWS) * len(GROUPINGS) * len(FILTERS)


def test_a_query_reads_the_coarsest_tiles_and_never_the_raw_events_of_closed_hours(store, monkeypatch):
    rollup.roll_up_org(ORG, NOW)
    read: list[tuple[Granularity, datetime, datetime]] = []
    real_query_rows = store.query_rows

    def recording_query_rows(granularity: Granularity, pk: str, start: datetime, end: datetime, budget: PageBudget):
        read.append((granularity, start, end))
        return real_query_rows(granularity, pk, start, end, budget=budget)

    monkeypatch.setattr(store, "query_rows", recording_query_rows)
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 23, 12, tzinfo=UTC)
    answer(query_of((), (), None, (), start, end))
    assert read == [
        (Granularity.MONTH, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        (Granularity.DAY, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
        (Granularity.HOUR, datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 23, 12, tzinfo=UTC)),
    ]


def test_order_by_and_limit_keep_the_largest_groups(store):
    every_key = query_of(("key",), (), None, (), NOW - timedelta(days=30), NOW)
    everything = answer(every_key)
    largest = answer(every_key._replace(order_by="total", order=Order.DESC, limit=2))
    assert len(everything) == len(KEYS)
    assert [point.total for point in largest] == sorted((point.total for point in everything), reverse=True)[:2]


def test_groups_by_key_or_identity_leave_out_verifications_without_one_as_unkey_does(store):
    by_key = answer(query_of(("key",), (), None, (), NOW - timedelta(days=30), NOW))
    by_identity = answer(query_of(("identity",), (), None, (), NOW - timedelta(days=30), NOW))
    assert by_key and all(point.keyId for point in by_key)
    assert by_identity and all(point.identity and point.identity.externalId for point in by_identity)
    everything = answer(query_of((), (), None, (), NOW - timedelta(days=30), NOW))[0].total
    assert sum(point.total for point in by_key) < everything  # the unknown keys' verifications are not in a group


@pytest.mark.parametrize(
    ("grouping", "message"),
    [
        (("tag", "tags"), "groupBy: 'tag' and 'tags' exclude each other"),
        (("hour", "day"), "groupBy: 'hour' and 'day' exclude each other"),
        (("key", "month", "hour"), "groupBy: 'hour' and 'month' exclude each other"),
    ],
)
def test_contradictory_groupings_are_422(grouping, message):
    with pytest.raises(Unprocessable) as raised:
        verifications_window(query_of(grouping, (), None, (), NOW - timedelta(days=1), NOW), NOW)
    assert raised.value.description == message


def test_windows_are_whole_hours_and_bounded():
    window = verifications_window(query_of(("day",), (), None, (), NOW - timedelta(days=1), NOW), NOW)
    assert (window.start, window.end) == (
        datetime(2026, 11, 22, 17, tzinfo=UTC),
        datetime(2026, 11, 23, 18, tzinfo=UTC),
    )
    with pytest.raises(Unprocessable):
        verifications_window(query_of((), (), None, (), NOW, NOW - timedelta(hours=2)), NOW)
    with pytest.raises(Unprocessable):
        verifications_window(query_of(("hour",), (), None, (), datetime(1990, 1, 1, tzinfo=UTC), NOW), NOW)


def test_nothing_before_the_api_existed_is_read(store):
    """start=0 before the first rollup reaches the organization: the raw tail starts at the API's creation."""
    store.watermarks.clear()
    store.buckets_read.clear()
    query = query_of((), (), None, (), NOW, NOW)._replace(start_ms=0)
    assert observed(answer(query), ()) == brute_force(stored(store), query)
    assert min(store.buckets_read) == datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert answer(query._replace(end_ms=int(API_CREATED.timestamp() * 1000) - 3_600_000)) == []


@pytest.mark.parametrize("grouping", ["hour", "day", "month"])
def test_time_slices_add_up_to_the_window_they_are_cut_at(store, grouping):
    """The dashboard's "last 24 hours" by day: the totals and the bars count the same window; the first bar begins
    where the window does, not at the midnight (or month) before it."""
    for _ in ("before the rollup", "after it"):
        for start, end in ((NOW - timedelta(hours=24), NOW), (NOW - timedelta(days=40, hours=3), NOW)):
            sliced = answer(query_of((grouping,), (), None, (), start, end))
            whole = answer(query_of((), (), None, (), start, end))
            assert sum(point.total for point in sliced) == whole[0].total > 0
            assert whole[0].time == int(Granularity.HOUR.floor(start).timestamp() * 1000) <= sliced[0].time
        rollup.roll_up_org(ORG, NOW)


def test_order_by_time_sorts_the_slices(store):
    by_day = query_of(("day",), (), None, (), NOW - timedelta(days=10), NOW)
    newest_first = answer(by_day._replace(order_by="time", order=Order.DESC))
    assert [point.time for point in newest_first] == sorted((point.time for point in answer(by_day)), reverse=True)
    assert len(newest_first) == 11


def test_a_window_with_more_rows_than_the_page_budget_is_422_and_a_lagging_rollup_503(store, monkeypatch):
    """The reads are bounded whatever the data: rows past the row budget ask for a narrower window; raw events past
    the tail budget mean the rollup is behind. The budgets are exact: the pages a query needs are enough."""
    rollup.roll_up_org(ORG, NOW)
    hourly = query_of(("hour",), (), None, (), NOW - timedelta(days=30), NOW - timedelta(hours=1))
    store.page_size = 10
    with pytest.raises(Unprocessable):  # at 10 rows a page, 30 days of hours are over the product's budget
        answer(hourly)
    monkeypatch.setattr(analytics_query, "ROW_PAGES", 10_000)
    store.row_pages_read = 0
    answer(hourly)
    extra_pages = store.row_pages_read - 1  # beyond the one Query of the window's one run of buckets (hours)
    monkeypatch.setattr(analytics_query, "ROW_PAGES", extra_pages)
    assert observed(answer(hourly), hourly.group_by) == brute_force(stored(store), hourly)
    monkeypatch.setattr(analytics_query, "ROW_PAGES", extra_pages - 1)
    with pytest.raises(Unprocessable, match=r"narrow it \(or group by a coarser time slice\)"):
        answer(hourly)
    store.watermarks.clear()  # as if the rollup had never run: 30 days of raw events to read
    with pytest.raises(ServiceUnavailable, match="rollup has fallen behind"):
        answer(hourly)


def totals_since_creation(now: datetime = NOW) -> tuple[Counter[str], float]:
    """What the Prometheus export reads of api_a: every verification since the API's creation, by outcome."""
    window = analytics_query.Window(Granularity.HOUR.floor(API_CREATED), Granularity.HOUR.ceil(now), None)
    slices = analytics_query.read_slices(ORG.slug, VERIFICATION_TOTALS, API, window, now, since=API_CREATED)
    total = summed(row for _, row in slices)
    return total.counts, total.sums.get("credits", 0)


def counted_by_hand(events: list[Event]) -> tuple[Counter[str], float]:
    mine = [event for event in events if event.dimensions["api_id"] == API]
    return Counter(event.dimensions["outcome"] for event in mine), sum(event.measures["credits"] for event in mine)


def test_a_read_from_the_beginning_takes_the_running_total_and_the_current_month(store, monkeypatch):
    """The running total holds October (the first rollup ran in November), so only November is read by buckets:
    its closed days, today's closed hours, and this hour's closed five minutes."""
    assert totals_since_creation() == counted_by_hand(stored(store))
    pk = rollups.partition_key(ORG.slug, VERIFICATION_TOTALS, API)
    assert {total.bucket for total in store.running[pk].values()} == {datetime(2026, 11, 1, tzinfo=UTC)}
    rollup.roll_up_org(ORG, NOW)
    read: list[tuple[Granularity, datetime]] = []
    real_query_rows = store.query_rows

    def recording_query_rows(granularity: Granularity, pk: str, start: datetime, end: datetime, budget: PageBudget):
        read.append((granularity, start))
        return real_query_rows(granularity, pk, start, end, budget=budget)

    monkeypatch.setattr(store, "query_rows", recording_query_rows)
    assert totals_since_creation() == counted_by_hand(stored(store))
    assert read == [
        (Granularity.DAY, datetime(2026, 11, 1, tzinfo=UTC)),
        (Granularity.HOUR, datetime(2026, 11, 23, tzinfo=UTC)),
        (Granularity.FIVE_MINUTES, datetime(2026, 11, 23, 17, tzinfo=UTC)),  # 17:00-17:35, the watermark 17:39
    ]


def test_late_events_into_a_counted_month_and_a_new_month_keep_the_running_total_exact(store):
    rollup.roll_up_org(ORG, NOW)
    rng = random.Random(5)
    october = datetime(2026, 10, 20, 9, tzinfo=UTC)
    store.put_events([event(rng, ORG.slug, API, october, NOW + timedelta(minutes=5), 7000 + n) for n in range(9)])
    later = NOW + timedelta(minutes=10)
    assert totals_since_creation(later) == counted_by_hand(stored(store))  # the raw tail holds them
    rollup.roll_up_org(ORG, later)
    assert totals_since_creation(later) == counted_by_hand(stored(store))  # the running total was recomputed

    december = datetime(2026, 12, 2, 3, tzinfo=UTC)
    store.put_events([event(rng, ORG.slug, API, december, december, 8000 + n) for n in range(4)])
    rollup.roll_up_org(ORG, december + timedelta(hours=2))
    pk = rollups.partition_key(ORG.slug, VERIFICATION_TOTALS, API)
    assert {total.bucket for total in store.running[pk].values()} == {datetime(2026, 12, 1, tzinfo=UTC)}
    assert totals_since_creation(december + timedelta(hours=2)) == counted_by_hand(stored(store))


def test_a_read_while_a_rollup_run_has_written_its_rows_but_not_its_watermark_counts_each_event_once(
    store, monkeypatch
):
    """The late events the run takes in are in its rows and in the raw tail read at the old watermark: the rows'
    arrival bound tells the tail to leave them out — for every tile, the running total included."""

    def dies_before_the_watermark(org_slug: str, watermark: datetime, detailed_from: datetime | None) -> None:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(store, "put_watermark", dies_before_the_watermark)
    with pytest.raises(RuntimeError):
        rollup.roll_up_org(ORG, NOW)
    assert store.watermarks[ORG.slug] == FIRST_ROLLUP
    assert compare_all(stored(store)) == len(WINDOWS) * len(GROUPINGS) * len(FILTERS)
    assert totals_since_creation() == counted_by_hand(stored(store))


def test_the_closed_five_minutes_of_the_open_hour_are_rows_and_late_arrivals_into_them_count_once(store):
    """A query ending now reads raw events only from the five minutes the watermark is in; an event stored after
    its five minutes ended, in the same hour, is late: found through the arrivals until a run rewrites its
    five-minute row, and in the hour's row once the hour ends."""
    rollup.roll_up_org(ORG, NOW)  # watermark 17:39: five-minute rows up to 17:35
    rng = random.Random(11)
    store.put_events(
        [event(rng, ORG.slug, API, NOW.replace(minute=12), NOW + timedelta(minutes=2), 9000 + n) for n in range(6)]
    )
    store.buckets_read.clear()
    assert totals_since_creation(NOW + timedelta(minutes=3)) == counted_by_hand(stored(store))
    assert min(store.buckets_read) == NOW.replace(minute=35)  # no raw events before the watermark's five minutes
    for later in (NOW + timedelta(minutes=10), NOW + timedelta(minutes=25)):  # 17:10 rewritten; then hour 17 closes
        report = rollup.roll_up_org(ORG, later)
        assert totals_since_creation(later + timedelta(minutes=1)) == counted_by_hand(stored(store))
    assert report.buckets_written["hour"] > 0  # read from hour 17's rows now: the raw tail starts at 18:00


def test_an_hour_a_day_and_a_month_get_their_rows_when_they_close_even_after_hours_without_events(empty_store):
    memory = empty_store
    rng = random.Random(2)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    moments = [day + timedelta(hours=10, minutes=n) for n in range(5)]
    memory.put_events([event(rng, ORG.slug, API, moment, moment, n) for n, moment in enumerate(moments)])
    pk = rollups.partition_key(ORG.slug, VERIFICATION_TOTALS, API)

    def buckets(granularity: Granularity) -> set[datetime]:
        return {bucket for bucket, _ in memory.rows[(granularity, pk)]}

    rollup.roll_up_org(ORG, day + timedelta(hours=10, minutes=7))
    assert buckets(Granularity.FIVE_MINUTES) == {day + timedelta(hours=10)} and buckets(Granularity.HOUR) == set()
    assert day + timedelta(hours=11) in memory.due[ORG.slug]  # the worker is sent back when the hour closes
    rollup.roll_up_org(ORG, day + timedelta(hours=12))
    assert buckets(Granularity.HOUR) == {day + timedelta(hours=10)} and buckets(Granularity.DAY) == set()  # open
    assert day + timedelta(days=1) in memory.due[ORG.slug]  # and when the day closes
    report = rollup.roll_up_org(ORG, day + timedelta(days=1, minutes=10))  # no events since: the day closed
    assert report.events_read == 0 and buckets(Granularity.DAY) == {day}
    assert buckets(Granularity.MONTH) == set() and not memory.running[pk]  # November is open
    assert datetime(2026, 12, 1, tzinfo=UTC) in memory.due[ORG.slug]  # and when the month closes
    rollup.roll_up_org(ORG, datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    assert buckets(Granularity.MONTH) == {datetime(2026, 11, 1, tzinfo=UTC)}
    assert {total.bucket for total in memory.running[pk].values()} == {datetime(2026, 12, 1, tzinfo=UTC)}
    assert sum(total.row.counts.total() for total in memory.running[pk].values()) == 5


def test_per_key_hours_past_their_retention_are_refused_and_whole_days_stay_exact(store):
    """Hour rows of per-value views expire 90 days after their hour (rollups.DETAIL_HOUR_RETENTION): a key filter
    over a window starting inside an older day, or sliced by hour there, is a 422 naming the parameter; whole days
    are exact, and the unfiltered totals keep their hours for good. (The API here is 83 days old: the reads are
    made as if it were older.)"""
    since = NOW - timedelta(days=120)

    def answer_since(query: VerificationsQuery) -> list[Datapoint]:
        window = verifications_window(query, NOW)
        return datapoints(ORG.slug, query, read_verifications(ORG.slug, query, window, NOW, since=since))

    ragged, whole_day = NOW - timedelta(days=100, hours=5), Granularity.DAY.floor(NOW - timedelta(days=100))
    for grouping, start, parameter in ((), ragged, "start"), (("hour",), whole_day, "groupBy"):
        with pytest.raises(Unprocessable) as raised:
            answer_since(query_of(grouping, ("k1",), None, (), start, NOW))
        assert raised.value.description.startswith(f"{parameter}: rows per key, identity, endpoint and IP are kept")
    for grouping, key_ids, start in ((("day",), ("k1",), whole_day), ((), ("k1", "k2"), whole_day), ((), (), ragged)):
        query = query_of(grouping, key_ids, None, (), start, NOW)
        assert observed(answer_since(query), query.group_by) == brute_force(stored(store), query)


def test_hour_rows_of_per_value_views_expire_after_a_quarter():
    hour = datetime(2026, 11, 23, 15, tzinfo=UTC)
    kept = {
        (granularity, view.name): rollups.retention_of(granularity, rollups.partition_key("o", view, "api_a"))
        for granularity in (Granularity.FIVE_MINUTES, Granularity.HOUR, Granularity.DAY)
        for view in (VERIFICATION_TOTALS, VERIFICATIONS_OF_KEY)
    }
    assert kept == {
        (Granularity.FIVE_MINUTES, "verification.total"): timedelta(days=7),
        (Granularity.FIVE_MINUTES, "verification/key"): timedelta(days=7),
        (Granularity.HOUR, "verification.total"): None,
        (Granularity.HOUR, "verification/key"): timedelta(days=90),
        (Granularity.DAY, "verification.total"): None,
        (Granularity.DAY, "verification/key"): None,
    }
    item = rollups.to_item("pk", hour, summed([]), hour, kept=timedelta(days=90))
    assert item["ttl"] == int((hour + timedelta(days=90)).timestamp())
