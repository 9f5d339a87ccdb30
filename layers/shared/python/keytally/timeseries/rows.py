"""Rollup rows: for one bucket and one series (a combination of dimension values), exact counters per value of
the counted dimension, sums of the measures and, as its view asks, a latency sketch and the exact latency
minimum, maximum and threshold counts, or a ranking of the values of one dimension. Rows of the same series merge
exactly (rankings: within their stated bounds)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ddsketch import DDSketch

from keytally.timeseries.ranking import Ranking
from keytally.timeseries.records import LATENCY, Event, LatencyCounts, View
from keytally.timeseries.sketch import new_sketch


def series_id(dimensions: dict[str, str], tags: tuple[str, ...]) -> str:
    """A stable identifier of a series: the same dimension values give the same id in every run."""
    return _series_id(tuple(sorted(dimensions.items())), tags)


@functools.lru_cache(maxsize=1 << 16)  # a rollup run asks for the same few series' ids for event after event
def _series_id(dimensions: tuple[tuple[str, str], ...], tags: tuple[str, ...]) -> str:
    canonical = json.dumps([dimensions, list(tags)], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


@dataclass
class Row:
    dimensions: dict[str, str]
    tags: tuple[str, ...]
    counts: Counter[str] = field(default_factory=Counter)
    sums: dict[str, float] = field(default_factory=dict)
    latency: DDSketch = field(default_factory=new_sketch)
    latency_min: float | None = None
    latency_max: float | None = None
    under: Counter[float] = field(default_factory=Counter)  # bound (ms) -> latencies below it
    at_most: Counter[float] = field(default_factory=Counter)  # bound (ms) -> latencies at or below it
    ranking: Ranking | None = None  # views that rank a dimension's values

    @property
    def series(self) -> str:
        return series_id(self.dimensions, self.tags)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add_event(self, event: Event, view: View) -> None:
        counted = event.dimensions.get(view.counted, "")
        self.counts[counted] += 1
        if view.ranked:
            self.ranking = self.ranking or Ranking()
            self.ranking.add(view.ranked_value(event.dimensions), counted)
        for name in view.measures:
            if name in event.measures:
                self.sums[name] = self.sums.get(name, 0) + event.measures[name]
        if LATENCY in event.measures:
            latency = max(event.measures[LATENCY], 0.0)
            if view.sketch:
                self.latency.add(latency)
            if view.latency_counts:
                self._count_latency(latency, view.latency_counts)

    def _count_latency(self, latency: float, bounds: LatencyCounts) -> None:
        self.latency_min = latency if self.latency_min is None else min(self.latency_min, latency)
        self.latency_max = latency if self.latency_max is None else max(self.latency_max, latency)
        self.under.update(bound for bound in bounds.under if latency < bound)
        self.at_most.update(bound for bound in bounds.at_most if latency <= bound)

    def absorb(self, other: Row) -> None:
        self.counts.update(other.counts)
        for name, value in other.sums.items():
            self.sums[name] = self.sums.get(name, 0) + value
        if other.latency.count:
            self.latency.merge(other.latency)
        self.latency_min = _extreme(min, self.latency_min, other.latency_min)
        self.latency_max = _extreme(max, self.latency_max, other.latency_max)
        self.under.update(other.under)
        self.at_most.update(other.at_most)
        if other.ranking is not None:
            self.ranking = self.ranking or Ranking()
            self.ranking.absorb(other.ranking)


def _extreme(pick: Callable[[float, float], float], mine: float | None, theirs: float | None) -> float | None:
    return theirs if mine is None else mine if theirs is None else pick(mine, theirs)


def series_of(event: Event, view: View) -> tuple[dict[str, str], tuple[str, ...]]:
    return {name: event.dimensions.get(name, "") for name in view.series}, tuple(sorted(set(event.tags)))


def aggregate(events: Iterable[Event], view: View) -> dict[str, Row]:
    """Rows by series id; events are taken in the order given, which the caller keeps stable."""
    rows: dict[str, Row] = {}
    for event in events:
        count_in(rows, event, view)
    return rows


def count_in(rows: dict[str, Row], event: Event, view: View) -> None:
    """Counts the event in its series' row of `rows` (by series id), starting a row for a new series."""
    dimensions, tags = series_of(event, view)
    sid = series_id(dimensions, tags)
    if sid not in rows:
        rows[sid] = Row(dimensions, tags)
    rows[sid].add_event(event, view)


def merge(rows: Iterable[Row]) -> dict[str, Row]:
    """Rows of finer buckets merged into one row per series (a fresh row each, the inputs untouched)."""
    merged: dict[str, Row] = {}
    for row in rows:
        if row.series not in merged:
            merged[row.series] = Row(dict(row.dimensions), row.tags)
        merged[row.series].absorb(row)
    return merged


def summed(rows: Iterable[Row]) -> Row:
    """Every row counted in one, whatever its series (a fresh row, the inputs untouched)."""
    total = Row({}, ())
    for row in rows:
        total.absorb(row)
    return total
