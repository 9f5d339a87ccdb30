"""Figures of a summed request row: a latency percentile is the sketch's estimate, within 1% of the exact value and
never outside the exact minimum and maximum the row holds (one 777 ms request: every percentile is 777)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sample_requests import sample_request

from keytally.analytics.figures import latency_percentile
from keytally.timeseries.records import REQUEST_TOTALS
from keytally.timeseries.rows import Row

QUANTILES = (0.5, 0.9, 0.95, 0.99)
latencies = st.lists(st.floats(min_value=0, max_value=3_600_000, allow_nan=False), min_size=1, max_size=200)


def row_of(values: list[float]) -> Row:
    row = Row({}, ())
    for number, latency in enumerate(values):
        row.add_event(
            sample_request(f"r{number}", datetime(2026, 11, 23, tzinfo=UTC), latency_ms=latency), REQUEST_TOTALS
        )
    return row


def test_one_request_is_every_percentile():
    assert [latency_percentile(row_of([777.0]), quantile) for quantile in QUANTILES] == [777.0] * 4


@given(latencies)
def test_percentiles_lie_between_the_exact_min_and_max_and_within_one_percent(values):
    row, ordered = row_of(values), sorted(values)
    for quantile in QUANTILES:
        estimate = latency_percentile(row, quantile)
        exact = ordered[int(quantile * (len(ordered) - 1))]
        assert round(ordered[0], 3) <= estimate <= round(ordered[-1], 3)
        assert abs(estimate - exact) <= 0.01 * exact + 0.001
