"""keytally.timeseries.ranking: rankings kept to their most counted values and merged, against the exact counts of
their events: every count within its stated bound, the parts adding up, exact wherever nothing was left out."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from keytally.timeseries.ranking import Ranking

# (value, status) events: a few heavy values and a long tail, as client IPs and keys come
Stream = list[tuple[str, str]]


def ranking_of(events: Stream) -> Ranking:
    ranking = Ranking()
    for value, status in events:
        ranking.add(value, status)
    return ranking


def merged(parts: list[Ranking], kept: int) -> Ranking:
    """Parts merged pairwise and kept after each merge, as hour rows become day and month rows."""
    while len(parts) > 1:
        parts = [
            _merge(parts[index : index + 2]).kept(kept) if index + 1 < len(parts) else parts[index]
            for index in range(0, len(parts), 2)
        ]
    return parts[0]


def _merge(parts: list[Ranking]) -> Ranking:
    total = Ranking()
    for part in parts:
        total.absorb(part)
    return total


def assert_within_bounds(ranking: Ranking, events: Stream) -> None:
    exact: dict[str, Counter[str]] = {}
    for value, status in events:
        exact.setdefault(value, Counter())[status] += 1
    listed = Counter[str]()
    for entry in ranking.ranked():
        listed.update(entry.counts)
        true = exact[entry.value]
        assert entry.total <= true.total() <= entry.total + entry.error, entry
        assert all(entry.counts[status] <= true[status] for status in entry.counts), entry
        assert entry.error <= ranking.bound
    assert listed + ranking.other == Counter(status for _, status in events)
    if "" in exact:  # the absence of a value is always listed, exactly
        assert ranking.entries[""] == exact[""] and ranking.error_of("") == 0
    for value in exact.keys() - ranking.entries.keys():
        assert exact[value].total() <= ranking.bound, value
    if ranking.exact:
        assert {entry.value: entry.counts for entry in ranking.ranked()} == exact
        assert ranking.bound == 0 and not ranking.other
    distinct = ranking.distinct()
    true_distinct = len(exact.keys() - {""})
    if ranking.exact:
        assert distinct == (true_distinct, 0.0)
    else:
        assert abs(distinct.values - true_distinct) <= max(1, true_distinct * distinct.error_pct / 100)


values = st.one_of(st.sampled_from(["a", "b", "c", ""]), st.integers(0, 60).map(lambda n: f"v{n}"))
streams = st.lists(st.tuples(values, st.sampled_from(["200", "404", "500"])), max_size=300)


@settings(max_examples=200, deadline=None)
@given(streams, st.integers(1, 12), st.integers(1, 8))
def test_kept_and_merged_rankings_state_bounds_that_hold(events, parts, kept):
    size = -(-len(events) // parts) or 1
    pieces = [ranking_of(events[start : start + size]).kept(kept) for start in range(0, len(events), size)]
    assert_within_bounds(merged(pieces or [Ranking()], kept), events)


@settings(max_examples=50, deadline=None)
@given(streams, st.integers(1, 6))
def test_rankings_survive_being_stored(events, kept):
    ranking = ranking_of(events).kept(kept)
    stored = Ranking.from_bytes(ranking.to_bytes(), ranking.sketch_bytes())
    assert (stored.entries, stored.errors, stored.other, stored.bound) == (
        ranking.entries,
        ranking.errors,
        ranking.other,
        ranking.bound,
    )
    assert stored.distinct() == ranking.distinct()
    assert_within_bounds(stored, events)


def test_a_value_listed_in_every_part_is_exact_and_a_skewed_stream_keeps_its_heavy_values():
    rng = random.Random(7)
    heavy = [f"10.0.0.{n}" for n in range(5)]
    hours = []
    for _ in range(24):
        hour = [(rng.choice(heavy), "200") for _ in range(400)]
        hour += [(f"172.16.{rng.randrange(256)}.{rng.randrange(256)}", rng.choice(["200", "503"])) for _ in range(600)]
        hours.append(hour)
    day = merged([ranking_of(hour).kept(50) for hour in hours], 50)
    events = [event for hour in hours for event in hour]
    assert_within_bounds(day, events)
    top = day.ranked()[:5]
    assert [entry.value for entry in top] == sorted(heavy, key=lambda ip: (-sum(v == ip for v, _ in events), ip))
    assert all(entry.error == 0 for entry in top)
    assert not day.exact and 0 < day.distinct().error_pct < 5


def test_a_ranking_that_left_nothing_out_is_exact_through_merges():
    first, second = ranking_of([("a", "200"), ("b", "404")]), ranking_of([("a", "500"), ("", "200")])
    day = merged([first.kept(), second.kept()], 200)
    assert day.exact and day.bound == 0 and day.sketch is None
    assert day.distinct() == (2, 0.0)
    assert [(entry.value, entry.total, entry.error) for entry in day.ranked()] == [("a", 2, 0), ("", 1, 0), ("b", 1, 0)]
