"""Figures of a summed request row that more than one analytics answer gives: errors (status 400 and above),
percentages, the exact average latency and a latency percentile."""

from __future__ import annotations

from keytally.timeseries.records import LATENCY
from keytally.timeseries.rows import Row


def errors(row: Row) -> int:
    return sum(count for status, count in row.counts.items() if int(status) >= 400)


def percent(part: float, whole: float) -> float:
    """0-100, 2 decimals; 0 of nothing."""
    return round(100 * part / whole, 2) if whole else 0.0


def average_latency(row: Row) -> float:
    """Exact (the latency sum over the count), 2 decimals; 0 for no requests."""
    return round(row.sums.get(LATENCY, 0.0) / row.total, 2) if row.total else 0.0


def latency_percentile(row: Row, quantile: float) -> float:
    """From the row's sketch, within 1% of the exact value, and never outside the exact minimum and maximum the row
    keeps (the sketch's buckets reach 1% past them); 0 for no requests."""
    if not row.total:
        return 0.0
    value = row.latency.get_quantile_value(quantile) or 0.0
    if row.latency_min is not None and row.latency_max is not None:
        value = min(max(value, row.latency_min), row.latency_max)
    return round(value, 3)
