"""keytally.timeseries.buckets: UTC buckets, exact tilings of a range, runs of consecutive buckets."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from keytally.timeseries.buckets import Granularity, cover

HOUR, DAY, MONTH = Granularity.HOUR, Granularity.DAY, Granularity.MONTH


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_floor_and_next_across_month_and_year_ends():
    moment = at("2026-12-31T23:59:59.999999")
    assert (HOUR.floor(moment), DAY.floor(moment), MONTH.floor(moment)) == (
        at("2026-12-31T23:00"),
        at("2026-12-31T00:00"),
        at("2026-12-01T00:00"),
    )
    assert MONTH.next(at("2026-12-01T00:00")) == at("2027-01-01T00:00")
    assert MONTH.next(at("2027-01-01T00:00")) == at("2027-02-01T00:00")
    assert DAY.next(at("2028-02-28T00:00")) == at("2028-02-29T00:00")


@pytest.mark.parametrize("coarsest", [MONTH, DAY, HOUR])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-03T05:00", "2026-12-02T03:00"),
        ("2026-11-01T00:00", "2026-12-01T00:00"),
        ("2026-10-31T23:00", "2027-01-01T01:00"),
        ("2026-11-23T10:00", "2026-11-23T11:00"),
    ],
)
def test_cover_tiles_the_range_exactly_with_the_fewest_allowed_buckets(start, end, coarsest):
    tiles = cover(at(start), at(end), coarsest)
    cursor = at(start)
    for granularity, tile_start in tiles:
        assert tile_start == cursor == granularity.floor(tile_start)
        assert list(Granularity).index(granularity) <= list(Granularity).index(coarsest)
        cursor = granularity.next(tile_start)
    assert cursor == at(end)
    order = list(Granularity)
    for granularity, tile_start in tiles:  # never finer than an allowed bucket that fits there
        for coarser in order[order.index(granularity) + 1 : order.index(coarsest) + 1]:
            assert not (coarser.floor(tile_start) == tile_start and coarser.next(tile_start) <= at(end))


def test_cover_of_a_month_and_two_partial_days():
    tiles = cover(at("2026-11-03T05:00"), at("2026-12-02T03:00"))
    assert Counter(granularity for granularity, _ in tiles) == {HOUR: 19 + 3, DAY: 27 + 1}
    assert cover(at("2026-11-01T00:00"), at("2026-12-01T00:00")) == [(MONTH, at("2026-11-01T00:00"))]
    assert cover(at("2026-11-01T00:00"), at("2026-11-01T00:00")) == []


def test_runs_group_consecutive_buckets():
    hours = [
        at("2026-11-23T01:00"),
        at("2026-11-23T02:00"),
        at("2026-11-23T05:00"),
        at("2026-11-23T00:00"),
        at("2026-11-23T02:00"),
    ]
    assert HOUR.runs(hours) == [
        (at("2026-11-23T00:00"), at("2026-11-23T02:00")),
        (at("2026-11-23T05:00"), at("2026-11-23T05:00")),
    ]
    months = [at("2026-12-01T00:00"), at("2027-01-01T00:00"), at("2027-03-01T00:00")]
    assert MONTH.runs(months) == [(months[0], months[1]), (months[2], months[2])]
    assert DAY.runs([]) == []
    assert HOUR.starts(at("2026-11-23T22:00"), at("2026-11-24T01:30")) == [
        at("2026-11-23T22:00") + timedelta(hours=n) for n in range(4)
    ]


@pytest.mark.parametrize("granularity", [HOUR, DAY, MONTH])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-23T17:00", "2026-11-23T17:00"),
        ("2026-11-23T17:00", "2026-11-23T17:30"),
        ("2026-01-01T00:00", "2027-03-01T00:00"),
        ("2026-12-01T00:00", "2027-12-31T23:00"),
    ],
)
def test_count_is_the_number_of_starts(granularity, start, end):
    first = granularity.floor(at(start))
    assert granularity.bucket_count(first, at(end)) == len(granularity.starts(first, at(end)))


def test_counting_a_long_span_is_arithmetic():
    assert HOUR.bucket_count(at("2026-01-01T00:00"), at("3000-01-01T00:00")) == 8_537_904  # 355,746 days
    assert MONTH.bucket_count(at("2026-01-01T00:00"), at("9999-01-01T00:00")) == (9999 - 2026) * 12
