"""Rollup rows: for one bucket and one series (a combination of dimension values), exact counters per value of
the counted dimension, sums of the measures, and a latency sketch. Rows of the same series merge exactly."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ddsketch import DDSketch

from keytally.timeseries.records import LATENCY, Event, KindSpec
from keytally.timeseries.sketch import new_sketch


def series_id(dimensions: dict[str, str], tags: tuple[str, ...]) -> str:
    """A stable identifier of a series: the same dimension values give the same id in every run."""
    canonical = json.dumps([sorted(dimensions.items()), list(tags)], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


@dataclass
class Row:
    dimensions: dict[str, str]
    tags: tuple[str, ...]
    counts: Counter[str] = field(default_factory=Counter)
    sums: dict[str, float] = field(default_factory=dict)
    latency: DDSketch = field(default_factory=new_sketch)

    @property
    def series(self) -> str:
        return series_id(self.dimensions, self.tags)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add_event(self, event: Event, spec: KindSpec) -> None:
        self.counts[event.dimensions.get(spec.counted, "")] += 1
        for name in spec.measures:
            if name in event.measures:
                self.sums[name] = self.sums.get(name, 0) + event.measures[name]
        if LATENCY in event.measures:
            self.latency.add(max(event.measures[LATENCY], 0.0))

    def absorb(self, other: Row) -> None:
        self.counts.update(other.counts)
        for name, value in other.sums.items():
            self.sums[name] = self.sums.get(name, 0) + value
        if other.latency.count:
            self.latency.merge(other.latency)


def series_of(event: Event, spec: KindSpec) -> tuple[dict[str, str], tuple[str, ...]]:
    return {name: event.dimensions.get(name, "") for name in spec.series}, tuple(sorted(set(event.tags)))


def aggregate(events: Iterable[Event], spec: KindSpec) -> dict[str, Row]:
    """Rows by series id; events are taken in the order given, which the caller keeps stable."""
    rows: dict[str, Row] = {}
    for event in events:
        dimensions, tags = series_of(event, spec)
        sid = series_id(dimensions, tags)
        if sid not in rows:
            rows[sid] = Row(dimensions, tags)
        rows[sid].add_event(event, spec)
    return rows


def merge(rows: Iterable[Row]) -> dict[str, Row]:
    """Rows of finer buckets merged into one row per series (a fresh row each, the inputs untouched)."""
    merged: dict[str, Row] = {}
    for row in rows:
        if row.series not in merged:
            merged[row.series] = Row(dict(row.dimensions), row.tags)
        merged[row.series].absorb(row)
    return merged
