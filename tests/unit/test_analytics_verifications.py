"""The analytics core in memory: the real rollup and the real query path (window, tiles, raw tail, grouping) over
an in-memory store, against a brute-force count of the same events — every groupBy x filter combination, with an
open tail and late events, then after a full rollup. The moto-backed twin (tests/integration) keeps what needs a
real store: identical rows on rerun, crash recovery, tenancy through the API."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from verification_oracle import KEYS, brute_force, event, observed

from keytally import rollup
from keytally.analytics import query as analytics_query
from keytally.analytics.verification_models import Datapoint, GroupBy, Order
from keytally.analytics.verifications import VerificationsQuery, datapoints, verifications_window
from keytally.errors import ServiceUnavailable, Unprocessable
from keytally.models import Organization
from keytally.storage import events as raw
from keytally.storage import raw_shards, rollup_due, rollups
from keytally.storage.dynamodb import PageBudget
from keytally.storage.rollups import StoredRow
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import VERIFICATIONS, VERIFICATION_TOTALS, Event, EventKind
from keytally.timeseries.rows import Row, summed
from keytally.timeseries.shards import ShardSchedule

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


class MemoryStore:
    """The raw events table and the rollup tables as the storage modules present them, held in memory. A rollup
    never changes a row once it has handed it over, so rows are kept as given."""

    def __init__(self) -> None:
        self.page_size = 1000  # items per Query page: each read spends a page of its budget per page_size items
        self.row_pages_read = 0
        self.buckets_read: list[datetime] = []  # the starts of the raw buckets asked for
        self.events: list[Event] = []
        self.rows: dict[tuple[Granularity, str], dict[tuple[datetime, str], StoredRow]] = defaultdict(dict)
        self.running: dict[str, dict[str, StoredRow]] = defaultdict(dict)
        self.watermarks: dict[str, datetime] = {}
        self.pending: dict[tuple[Granularity, str, EventKind, datetime], set[str]] = defaultdict(set)
        self.marked: dict[str, set[datetime]] = defaultdict(set)  # rollup markers: org slug -> due moments

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for module, name, function in (
            (raw, "events_in_buckets", self.events_in_buckets),
            (raw, "late_events_received", self.late_events_received),
            (raw, "buckets_of_late_events", self.buckets_of_late_events),
            (rollups, "put_rows", self.put_rows),
            (rollups, "query_rows", self.query_rows),
            (rollups, "put_running", self.put_running),
            (rollups, "running_rows", self.running_rows),
            (rollups, "get_watermark", self.watermarks.get),
            (rollups, "put_watermark", self.put_watermark),
            (rollups, "put_pending", self.put_pending),
            (rollups, "pending_partitions", self.pending_partitions),
            (raw_shards, "schedule_of", lambda org_slug: ShardSchedule()),  # the store keeps no shards
            (rollup_due, "mark", lambda org_slug, dues: self.marked[org_slug].update(dues)),
        ):
            monkeypatch.setattr(module, name, function)

    def _of(self, org_slug: str, kind: EventKind) -> list[Event]:
        return [event for event in self.events if event.org_slug == org_slug and event.kind is kind]

    def _paged(self, items: list[T], budget: PageBudget | None) -> Iterator[T]:
        for first in range(0, max(len(items), 1), self.page_size):
            if budget:
                budget.spend()
            yield from items[first : first + self.page_size]

    def events_in_buckets(
        self,
        org_slug: str,
        kind: EventKind,
        starts: Iterable[datetime],
        granularity: Granularity = Granularity.HOUR,
        *,
        budget: PageBudget | None = None,
    ) -> Iterator[Event]:
        wanted = set(starts)
        self.buckets_read.extend(wanted)
        found = [event for event in self._of(org_slug, kind) if granularity.floor(event.time) in wanted]
        found.sort(key=lambda event: (raw.RAW_BUCKET.floor(event.time), event.event_id))
        return self._paged(found, budget)

    def late_events_received(
        self, org_slug: str, kind: EventKind, after: datetime, until: datetime, *, budget: PageBudget | None = None
    ) -> Iterator[Event]:
        arrived = [e for e in self._of(org_slug, kind) if after < e.received_at <= until and raw.is_late(e)]
        return self._paged(sorted(arrived, key=lambda event: event.received_at), budget)

    def buckets_of_late_events(
        self, org_slug: str, kind: EventKind, after: datetime, until: datetime, granularity: Granularity
    ) -> set[datetime]:
        late = self.late_events_received(org_slug, kind, after, until)
        return {granularity.floor(event.time) for event in late}

    def put_rows(
        self, granularity: Granularity, rows: dict[str, dict[datetime, list[Row]]], *, as_of: datetime
    ) -> None:
        for pk, rows_by_bucket in rows.items():
            for bucket, bucket_rows in rows_by_bucket.items():
                for row in bucket_rows:
                    self.rows[(granularity, pk)][(bucket, row.series)] = StoredRow(bucket, row, as_of)

    def put_running(self, totals: dict[str, list[Row]], *, through: datetime, as_of: datetime) -> None:
        for pk, rows in totals.items():
            for row in rows:
                self.running[pk][row.series] = StoredRow(through, row, as_of)

    def running_rows(self, pk: str, *, budget: PageBudget | None = None) -> list[StoredRow]:
        return list(self._paged(list(self.running[pk].values()), budget))

    def query_rows(
        self, granularity: Granularity, pk: str, start: datetime, end: datetime, *, budget: PageBudget | None = None
    ) -> list[StoredRow]:
        stored = self.rows[(granularity, pk)]
        rows = [row for (bucket, _), row in sorted(stored.items(), key=lambda item: item[0]) if start <= bucket < end]
        self.row_pages_read += -(-len(rows) // self.page_size) or 1
        return list(self._paged(rows, budget))

    def put_pending(
        self, granularity: Granularity, org_slug: str, kind: EventKind, pending: dict[datetime, set[str]]
    ) -> None:
        for bucket, pks in pending.items():
            self.pending[(granularity, org_slug, kind, bucket)].update(pks)

    def pending_partitions(
        self, granularity: Granularity, org_slug: str, kind: EventKind, bucket: datetime
    ) -> set[str]:
        return set(self.pending[(granularity, org_slug, kind, bucket)])

    def put_watermark(self, org_slug: str, watermark: datetime) -> None:
        self.watermarks[org_slug] = max(watermark, self.watermarks.get(org_slug, watermark))


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> MemoryStore:
    """35 days of events for api_a (plus noise in api_b), rolled up once at FIRST_ROLLUP; then the rest arrives,
    and late events land in hours that rollup already wrote."""
    memory = MemoryStore()
    memory.install(monkeypatch)
    rng = random.Random(7)
    for number in range(1500):
        time = NOW - timedelta(seconds=rng.randint(1, 35 * 86400))
        memory.events.append(event(rng, ORG.slug, rng.choice([API] * 4 + ["api_b"]), time, time, number))
    arrived_later = [e for e in memory.events if e.received_at > FIRST_ROLLUP]
    memory.events = [e for e in memory.events if e.received_at <= FIRST_ROLLUP]
    rollup.roll_up_org(ORG, FIRST_ROLLUP + rollup.INDEX_LAG)
    memory.events += arrived_later
    memory.events += [
        event(rng, ORG.slug, API, NOW - timedelta(hours=rng.randint(12, 60)), NOW - timedelta(hours=2), 5000 + n)
        for n in range(40)
    ]
    return memory


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
    slices = analytics_query.read_slices(ORG.slug, VERIFICATIONS, API, window, NOW, since=API_CREATED)
    return datapoints(ORG.slug, query, slices)


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
    assert compare_all(store.events) == len(WINDOWS) * len(GROUPINGS) * len(FILTERS)
    rollup.roll_up_org(ORG, NOW)
    assert store.watermarks[ORG.slug] == NOW - rollup.INDEX_LAG
    assert compare_all(store.events) == len(WINDOWS) * len(GROUPINGS) * len(FILTERS)


def test_a_query_reads_the_coarsest_tiles_and_never_the_raw_events_of_closed_hours(store, monkeypatch):
    rollup.roll_up_org(ORG, NOW)
    read: list[tuple[Granularity, datetime, datetime]] = []
    real_query_rows = store.query_rows

    def recording_query_rows(granularity: Granularity, pk: str, start: datetime, end: datetime, budget: PageBudget):
        read.append((granularity, start, end))
        return real_query_rows(granularity, pk, start, end, budget=budget)

    monkeypatch.setattr(rollups, "query_rows", recording_query_rows)
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
    assert (window.start, window.end) == (datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC))
    with pytest.raises(Unprocessable):
        verifications_window(query_of((), (), None, (), NOW, NOW - timedelta(hours=2)), NOW)
    with pytest.raises(Unprocessable):
        verifications_window(query_of(("hour",), (), None, (), datetime(1990, 1, 1, tzinfo=UTC), NOW), NOW)


def test_nothing_before_the_api_existed_is_read(store):
    """start=0 before the first rollup reaches the organization: the raw tail starts at the API's creation."""
    store.watermarks.clear()
    store.buckets_read.clear()
    query = query_of((), (), None, (), NOW, NOW)._replace(start_ms=0)
    assert observed(answer(query), ()) == brute_force(store.events, query)
    assert min(store.buckets_read) == datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert answer(query._replace(end_ms=int(API_CREATED.timestamp() * 1000) - 3_600_000)) == []


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
    assert observed(answer(hourly), hourly.group_by) == brute_force(store.events, hourly)
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
    assert totals_since_creation() == counted_by_hand(store.events)
    pk = rollups.partition_key(ORG.slug, VERIFICATION_TOTALS, API)
    assert {total.bucket for total in store.running[pk].values()} == {datetime(2026, 11, 1, tzinfo=UTC)}
    rollup.roll_up_org(ORG, NOW)
    read: list[tuple[Granularity, datetime]] = []
    real_query_rows = store.query_rows

    def recording_query_rows(granularity: Granularity, pk: str, start: datetime, end: datetime, budget: PageBudget):
        read.append((granularity, start))
        return real_query_rows(granularity, pk, start, end, budget=budget)

    monkeypatch.setattr(rollups, "query_rows", recording_query_rows)
    assert totals_since_creation() == counted_by_hand(store.events)
    assert read == [
        (Granularity.DAY, datetime(2026, 11, 1, tzinfo=UTC)),
        (Granularity.HOUR, datetime(2026, 11, 23, tzinfo=UTC)),
        (Granularity.FIVE_MINUTES, datetime(2026, 11, 23, 17, tzinfo=UTC)),  # 17:00-17:35, the watermark 17:39
    ]


def test_late_events_into_a_counted_month_and_a_new_month_keep_the_running_total_exact(store):
    rollup.roll_up_org(ORG, NOW)
    rng = random.Random(5)
    october = datetime(2026, 10, 20, 9, tzinfo=UTC)
    store.events += [event(rng, ORG.slug, API, october, NOW + timedelta(minutes=5), 7000 + n) for n in range(9)]
    later = NOW + timedelta(minutes=10)
    assert totals_since_creation(later) == counted_by_hand(store.events)  # the raw tail holds them
    rollup.roll_up_org(ORG, later)
    assert totals_since_creation(later) == counted_by_hand(store.events)  # the running total was recomputed

    december = datetime(2026, 12, 2, 3, tzinfo=UTC)
    store.events += [event(rng, ORG.slug, API, december, december, 8000 + n) for n in range(4)]
    rollup.roll_up_org(ORG, december + timedelta(hours=2))
    pk = rollups.partition_key(ORG.slug, VERIFICATION_TOTALS, API)
    assert {total.bucket for total in store.running[pk].values()} == {datetime(2026, 12, 1, tzinfo=UTC)}
    assert totals_since_creation(december + timedelta(hours=2)) == counted_by_hand(store.events)


def test_a_read_while_a_rollup_run_has_written_its_rows_but_not_its_watermark_counts_each_event_once(
    store, monkeypatch
):
    """The late events the run takes in are in its rows and in the raw tail read at the old watermark: the rows'
    arrival bound tells the tail to leave them out — for every tile, the running total included."""

    def dies_before_the_watermark(org_slug: str, watermark: datetime) -> None:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(rollups, "put_watermark", dies_before_the_watermark)
    with pytest.raises(RuntimeError):
        rollup.roll_up_org(ORG, NOW)
    assert store.watermarks[ORG.slug] == FIRST_ROLLUP
    assert compare_all(store.events) == len(WINDOWS) * len(GROUPINGS) * len(FILTERS)
    assert totals_since_creation() == counted_by_hand(store.events)


def test_the_closed_five_minutes_of_the_open_hour_are_rows_and_late_arrivals_into_them_count_once(store):
    """A query ending now reads raw events only from the five minutes the watermark is in; an event stored after
    its five minutes ended, in the same hour, is late: found through the arrivals until a run rewrites its
    five-minute row, and in the hour's row once the hour ends."""
    rollup.roll_up_org(ORG, NOW)  # watermark 17:39: five-minute rows up to 17:35
    rng = random.Random(11)
    store.events += [
        event(rng, ORG.slug, API, NOW.replace(minute=12), NOW + timedelta(minutes=2), 9000 + n) for n in range(6)
    ]
    store.buckets_read.clear()
    assert totals_since_creation(NOW + timedelta(minutes=3)) == counted_by_hand(store.events)
    assert min(store.buckets_read) == NOW.replace(minute=35)  # no raw events before the watermark's five minutes
    for later in (NOW + timedelta(minutes=10), NOW + timedelta(minutes=25)):  # 17:10 rewritten; then hour 17 closes
        report = rollup.roll_up_org(ORG, later)
        assert totals_since_creation(later + timedelta(minutes=1)) == counted_by_hand(store.events)
    assert report.buckets_written["hour"] > 0  # read from hour 17's rows now: the raw tail starts at 18:00


def test_an_hour_a_day_and_a_month_get_their_rows_when_they_close_even_after_hours_without_events(monkeypatch):
    memory = MemoryStore()
    memory.install(monkeypatch)
    rng = random.Random(2)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    moments = [day + timedelta(hours=10, minutes=n) for n in range(5)]
    memory.events = [event(rng, ORG.slug, API, moment, moment, n) for n, moment in enumerate(moments)]
    pk = rollups.partition_key(ORG.slug, VERIFICATION_TOTALS, API)

    def buckets(granularity: Granularity) -> set[datetime]:
        return {bucket for bucket, _ in memory.rows[(granularity, pk)]}

    rollup.roll_up_org(ORG, day + timedelta(hours=10, minutes=7))
    assert buckets(Granularity.FIVE_MINUTES) == {day + timedelta(hours=10)} and buckets(Granularity.HOUR) == set()
    assert memory.marked[ORG.slug] == {day + timedelta(hours=11)}  # the worker is sent back when the hour closes
    rollup.roll_up_org(ORG, day + timedelta(hours=12))
    assert buckets(Granularity.HOUR) == {day + timedelta(hours=10)} and buckets(Granularity.DAY) == set()  # open
    assert day + timedelta(days=1) in memory.marked[ORG.slug]  # and when the day closes
    report = rollup.roll_up_org(ORG, day + timedelta(days=1, minutes=10))  # no events since: the day closed
    assert report.events_read == 0 and buckets(Granularity.DAY) == {day}
    assert buckets(Granularity.MONTH) == set() and not memory.running[pk]  # November is open
    assert datetime(2026, 12, 1, tzinfo=UTC) in memory.marked[ORG.slug]  # and when the month closes
    rollup.roll_up_org(ORG, datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    assert buckets(Granularity.MONTH) == {datetime(2026, 11, 1, tzinfo=UTC)}
    assert {total.bucket for total in memory.running[pk].values()} == {datetime(2026, 12, 1, tzinfo=UTC)}
    assert sum(total.row.counts.total() for total in memory.running[pk].values()) == 5
