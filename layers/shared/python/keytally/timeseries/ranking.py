"""Rankings: how a row's events spread over the values of one dimension (keys, endpoints, client IPs), kept to the
values that count most, with a stated bound on what it leaves out.

Built from events, a ranking is exact. Kept (as the rollup stores it) it lists its KEPT most counted values, sums the
rest in `other`, and raises `bound` so that no value it does not list counts more than `bound`. The empty value (no
key, no identity: the absence of a value, not one to rank) is always listed, so it is always exact.

Rankings merge exactly where they are exact: a value's count in a merge is the sum of its counts where it was listed,
and its `error` the sum of the bounds of the parts that did not list it — its true count lies in [count, count +
error], so a value listed in every part is exact. Invariants: the listed counts plus `other` equal the row's counts
exactly; every error is at most `bound`; `bound` is 0 while nothing has been left out.

Distinct values (the empty value not counted) are exact while nothing has been left out; past that, a HyperLogLog
sketch (Apache DataSketches, lg_k 12: about 1.6% relative standard error) of every value seen estimates them.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # imported when a ranking first leaves values out: it brings numpy
    from datasketches import hll_sketch

KEPT = 200  # values a stored ranking lists: at least the longest top list a query asks for (100)
SKETCH_LG_K = 12
CONFIDENCE_STDDEVS = 2  # the distinct count's error bound: about 95% confidence


class Ranked(NamedTuple):
    """One listed value: its counts (by the view's counted dimension) and how many events it may have beyond them."""

    value: str
    counts: Counter[str]
    error: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Distinct(NamedTuple):
    values: int
    error_pct: float  # the count is within this percentage of the true count (about 95% confidence); 0: exact


@dataclass
class Ranking:
    entries: dict[str, Counter[str]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)  # values listed with a nonzero error
    other: Counter[str] = field(default_factory=Counter)
    bound: int = 0
    sketch: hll_sketch | None = None  # once something has been left out: every value seen, listed or not

    @property
    def exact(self) -> bool:
        return self.sketch is None

    def add(self, value: str, counted: str) -> None:
        self.entries.setdefault(value, Counter())[counted] += 1
        if self.sketch is not None and value:
            self.sketch.update(value)

    def absorb(self, other: Ranking) -> None:
        """Merges `other` in (its data copied, never shared)."""
        if self.sketch is not None or other.sketch is not None:
            self.sketch = _union(self._covering_sketch(), other._covering_sketch())
        for value in self.entries.keys() | other.entries.keys():
            error = self.error_of(value) + other.error_of(value)
            if error:
                self.errors[value] = error
        for value, counts in other.entries.items():
            self.entries.setdefault(value, Counter()).update(counts)
        self.other.update(other.other)
        self.bound += other.bound

    def error_of(self, value: str) -> int:
        """How many events `value` may have beyond its listed counts here (the empty value is listed whenever seen)."""
        if value in self.entries:
            return self.errors.get(value, 0)
        return self.bound if value else 0

    def kept(self, most: int = KEPT) -> Ranking:
        """A copy listing the `most` most counted values (ties by value) and the empty value, the rest summed in
        `other`."""
        ordered = self.ranked()
        values = [entry for entry in ordered if entry.value]
        listed, dropped = values[:most] + [entry for entry in ordered if not entry.value], values[most:]
        kept = Ranking(
            entries={entry.value: Counter(entry.counts) for entry in listed},
            errors={entry.value: entry.error for entry in listed if entry.error},
            other=Counter(self.other),
            bound=max([self.bound, *(entry.total + entry.error for entry in dropped)]),
        )
        for entry in dropped:
            kept.other.update(entry.counts)
        if dropped or self.sketch is not None:
            kept.sketch = _union(self._covering_sketch(), None)
        return kept

    def ranked(self) -> list[Ranked]:
        """Listed values, most counted first (ties by value)."""
        entries = [Ranked(value, counts, self.errors.get(value, 0)) for value, counts in self.entries.items()]
        return sorted(entries, key=lambda entry: (-entry.total, entry.value))

    def distinct(self) -> Distinct:
        """How many distinct values, the empty one not counted."""
        if self.sketch is None:
            return Distinct(len(self.entries.keys() - {""}), 0.0)
        estimate = self.sketch.get_estimate()
        if not estimate:
            return Distinct(0, 0.0)
        spread = self.sketch.get_upper_bound(CONFIDENCE_STDDEVS) - estimate
        return Distinct(round(estimate), round(100 * spread / estimate, 2))

    def _covering_sketch(self) -> hll_sketch:
        """A sketch of every value this ranking has seen: its own, which covers them all once it has one, or one made
        of its entries."""
        if self.sketch is not None:
            return self.sketch
        from datasketches import hll_sketch

        sketch = hll_sketch(SKETCH_LG_K)
        for value in self.entries:
            if value:
                sketch.update(value)
        return sketch

    def to_bytes(self) -> bytes:
        document = {
            "entries": [[value, dict(sorted(counts.items()))] for value, counts in sorted(self.entries.items())],
            "errors": dict(sorted(self.errors.items())),
            "other": dict(sorted(self.other.items())),
            "bound": self.bound,
        }
        return zlib.compress(json.dumps(document, separators=(",", ":")).encode())

    @classmethod
    def from_bytes(cls, data: bytes, sketch: bytes | None = None) -> Ranking:
        document = json.loads(zlib.decompress(data))
        ranking = cls(
            entries={value: Counter(counts) for value, counts in document["entries"]},
            errors=dict(document["errors"]),
            other=Counter(document["other"]),
            bound=int(document["bound"]),
        )
        if sketch is not None:
            from datasketches import hll_sketch

            ranking.sketch = hll_sketch.deserialize(sketch)
        return ranking

    def sketch_bytes(self) -> bytes | None:
        return self.sketch.serialize_compact() if self.sketch is not None else None


def _union(first: hll_sketch, second: hll_sketch | None) -> hll_sketch:
    """A new sketch of both (the inputs untouched)."""
    from datasketches import hll_union, tgt_hll_type

    union = hll_union(SKETCH_LG_K)
    union.update(first)
    if second is not None:
        union.update(second)
    return union.get_result(tgt_hll_type.HLL_4)
