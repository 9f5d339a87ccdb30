"""keytally.timeseries.sketch: trimmed DDSketch bytes read back to the same sketch, deterministically."""

from __future__ import annotations

import random

from keytally.timeseries.sketch import from_bytes, new_sketch, to_bytes


def sketch_of(values):
    sketch = new_sketch()
    for value in values:
        sketch.add(value)
    return sketch


def test_bytes_round_trip_keeps_count_and_quantiles_and_are_stable():
    rng = random.Random(7)
    sketch = sketch_of(rng.lognormvariate(3.5, 0.8) for _ in range(2000))
    data = to_bytes(sketch)
    restored = from_bytes(data)
    assert restored.count == sketch.count == 2000
    for quantile in (0.01, 0.5, 0.9, 0.99):
        assert abs(restored.get_quantile_value(quantile) - sketch.get_quantile_value(quantile)) < 1e-9
    assert to_bytes(restored) == data  # re-rolling a bucket rewrites identical bytes


def test_only_the_used_span_of_bins_is_stored():
    assert len(to_bytes(sketch_of([30.0]))) < 40  # the dense store preallocates 128 bins
    assert from_bytes(to_bytes(new_sketch())).count == 0


def test_merging_restored_sketches_equals_sketching_everything():
    first, second = [1.5, 20.0, 300.0], [0.2, 20.5, 4000.0]
    merged = from_bytes(to_bytes(sketch_of(first)))
    merged.merge(from_bytes(to_bytes(sketch_of(second))))
    assert to_bytes(merged) == to_bytes(sketch_of(first + second))
