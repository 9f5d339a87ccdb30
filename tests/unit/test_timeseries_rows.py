"""keytally.timeseries.rows: exact latency minimum, maximum and threshold counts beside the sketch, kept through
merges and through the stored form."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from sample_requests import sample_request

from keytally.models import Code
from keytally.storage import rollups
from keytally.timeseries.records import REQUESTS, REQUESTS_OF_KEY, REQUEST_LATENCY, VERIFICATIONS_OF_IDENTITY
from keytally.timeseries.rows import aggregate, merge
from keytally.usage.events import verification_event

TIME = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
# every bound itself, a hair either side of it, zero, and beyond the last bucket
LATENCIES = [0.0, 4.999, 5.0, 5.001, 99.999, 100.0, 100.001, 500.0, 999.999, 1000.0, 10000.0, 10000.5, 73_000.0]


def request(number: int, latency_ms: float):
    return sample_request(f"r{number}", TIME, latency_ms=latency_ms)


def test_a_request_row_counts_latencies_under_and_at_most_each_bound_exactly():
    (row,) = aggregate([request(n, latency) for n, latency in enumerate(LATENCIES)], REQUESTS.total).values()
    assert (row.latency_min, row.latency_max) == (0.0, 73_000.0)
    for bound in REQUEST_LATENCY.under:
        assert row.under[bound] == sum(latency < bound for latency in LATENCIES), bound
    for bound in REQUEST_LATENCY.at_most:
        assert row.at_most[bound] == sum(latency <= bound for latency in LATENCIES), bound


def test_merged_rows_equal_the_row_of_all_their_events_and_survive_being_stored():
    rng = random.Random(3)
    latencies = [round(rng.lognormvariate(4, 1.5), 3) for _ in range(500)]
    view = REQUESTS.total
    events = [request(n, latency) for n, latency in enumerate(latencies)]
    (whole,) = aggregate(events, view).values()
    parts = [row for start in range(0, 500, 37) for row in aggregate(events[start : start + 37], view).values()]
    (merged,) = merge(parts).values()
    _, stored, _ = rollups.from_item(rollups.to_item("pk", TIME, merged, TIME))
    for row in (merged, stored):
        assert (row.latency_min, row.latency_max) == (min(latencies), max(latencies))
        assert (row.under, row.at_most, row.counts) == (whole.under, whole.at_most, whole.counts)


def test_verification_rows_keep_no_latency_counts():
    event = verification_event(
        event_id="v1",
        org_slug="acme",
        time=TIME,
        received_at=TIME,
        api_id="api_1",
        key_id="ak_1",
        identity="",
        code=Code.VALID,
        tags=(),
        credits=1,
        latency_ms=3.0,
    )
    (row,) = aggregate([event], VERIFICATIONS_OF_IDENTITY).values()
    assert (row.latency_min, row.latency_max, row.under, row.at_most) == (None, None, Counter(), Counter())
    assert "latency_min" not in rollups.to_item("pk", TIME, row, TIME)


def test_a_row_stores_only_what_its_view_holds_and_reads_back_the_same():
    events = [request(n, latency) for n, latency in enumerate(LATENCIES)]
    (by_ip,) = aggregate(events, REQUESTS_OF_KEY.by_ip).values()
    item = rollups.to_item("pk", TIME, by_ip, TIME)
    assert sorted(item) == ["as_of", "bucket", "counts", "pk", "ranking", "sk"]
    (timeline,) = aggregate(events, REQUESTS.timeline).values()
    assert sorted(rollups.to_item("pk", TIME, timeline, TIME)) == ["as_of", "bucket", "counts", "pk", "sk", "sums"]
    for row in (by_ip, timeline):
        _, stored, _ = rollups.from_item(rollups.to_item("pk", TIME, row, TIME))
        assert (stored.dimensions, stored.counts, stored.sums, stored.latency.count, stored.ranking) == (
            row.dimensions,
            row.counts,
            row.sums,
            0,
            row.ranking,
        )


def test_a_split_view_partitions_rows_by_the_filtered_value_and_escapes_it():
    view = REQUESTS_OF_KEY.total
    assert view.partition_of({"source": "ingested", "key_id": "ak_1", "endpoint": "/x"}) == "ingested#ak_1"
    assert view.partition_of({"source": "ingested", "key_id": "a#b"}) != view.partition_of(
        {"source": "ingested#a", "key_id": "b"}
    )
    assert view.partition_of({"source": "ingested", "key_id": "a%23b"}) != view.partition_of(
        {"source": "ingested", "key_id": "a#b"}
    )
    events = [request(n, 10.0) for n in range(3)]
    (row,) = aggregate(events, view).values()
    assert row.dimensions == {} and row.total == 3
