"""A brute-force oracle for request analytics: BitGPT's answer counted event by event, with no rollup code, in the
form RequestAnalytics.model_dump() takes (percentiles apart: `exact_percentiles` gives the values they estimate)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from keytally.analytics.requests import RequestsQuery
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event

HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window(query: RequestsQuery, now: datetime) -> tuple[datetime, datetime]:
    end = datetime.fromtimestamp(query.end_ms / 1000, UTC) if query.end_ms is not None else now
    start = datetime.fromtimestamp(query.start_ms / 1000, UTC) if query.start_ms is not None else end - 24 * HOUR
    end_floor = Granularity.HOUR.floor(end)
    return Granularity.HOUR.floor(start), end_floor if end_floor == end else end_floor + HOUR


def chosen(events: list[Event], org_slug: str, query: RequestsQuery) -> list[Event]:
    return [
        event
        for event in events
        if event.org_slug == org_slug
        and event.dimensions["source"] == query.source.value
        and query.api_key_id in (None, event.dimensions["key_id"])
        and query.endpoint in (None, event.dimensions["endpoint"])
    ]


def _in(events: list[Event], start: datetime, end: datetime) -> list[Event]:
    return [event for event in events if start <= event.time < end]


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def _errors(events: list[Event]) -> int:
    return sum(int(event.dimensions["status"]) >= 400 for event in events)


def _latencies(events: list[Event]) -> list[float]:
    return [event.measures["latency_ms"] for event in events]


def _average(events: list[Event]) -> float:
    return round(sum(_latencies(events)) / len(events), 2) if events else 0.0


def _core(events: list[Event], seconds: float) -> dict:
    total, errors = len(events), _errors(events)
    latencies = _latencies(events)
    return {
        "total_requests": total,
        "requests_per_second": round(total / seconds, 4),
        "total_success": total - errors,
        "total_errors": errors,
        "success_rate_pct": _percent(total - errors, total),
        "avg_latency_ms": _average(events),
        "pct_under_100ms": _percent(sum(latency < 100 for latency in latencies), total),
        "pct_under_500ms": _percent(sum(latency < 500 for latency in latencies), total),
        "pct_under_1s": _percent(sum(latency < 1000 for latency in latencies), total),
        "unique_endpoints": len({event.dimensions["endpoint"] for event in events}),
        "distinct_api_keys": len({event.dimensions["key_id"] for event in events} - {""}),
        "distinct_error_pct": 0.0,
    }


def _most_first(counts: Counter) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _with_other(rows: list[dict], shown: int, total: int, other: Callable[[int], dict]) -> list[dict]:
    """Exact top rows (nothing undercounted), then the other row when they do not count everything."""
    rows = [{**row, "max_undercount": 0, "other": False} for row in rows]
    return [*rows, {**other(total - shown), "max_undercount": 0, "other": True}] if shown < total else rows


def brute_force(
    events: list[Event], org_slug: str, query: RequestsQuery, now: datetime, labels: dict[str, str]
) -> dict:
    """The answer without `latency`'s percentiles; `labels` is each key's `auth`."""
    start, end = window(query, now)
    mine = chosen(events, org_slug, query)
    current = _in(mine, start, end)
    previous = _in(mine, max(start - (end - start), EPOCH), start)
    keys = Counter(event.dimensions["key_id"] for event in current)
    hours: dict[datetime, list[Event]] = {}
    for event in sorted(current, key=lambda event: event.time):
        hours.setdefault(Granularity.HOUR.floor(event.time), []).append(event)
    latencies = _latencies(current)
    seconds = (end - start).total_seconds()
    top_keys = [(key_id, count) for key_id, count in _most_first(keys) if key_id][: query.limit]
    history = _in(mine, end - timedelta(days=30), end)
    top_30d = _most_first(Counter(event.dimensions["key_id"] for event in history))[: query.limit]
    return {
        "core_metrics": _core(current, seconds),
        "prev_core_metrics": _core(previous, seconds),
        "most_used_api_keys": _with_other(
            [{"auth": labels[key_id], "usage_count": count, "api_key_id": key_id} for key_id, count in top_keys],
            sum(count for _, count in top_keys),
            len(current),
            lambda rest: {"auth": "other", "usage_count": rest, "api_key_id": None},
        ),
        "ip_metrics": _spread(current, "ip", query.limit),
        "endpoint_metrics": _spread(current, "endpoint", query.limit),
        "hourly_metrics": [
            {
                "hour": f"{hour:%Y-%m-%d %H:00:00}",
                "total_requests": len(in_hour),
                "error_count": _errors(in_hour),
                "error_rate_pct": _percent(_errors(in_hour), len(in_hour)),
                "avg_latency_ms": _average(in_hour),
            }
            for hour, in_hour in sorted(hours.items())
        ],
        "latency_slice": _latency_slice(start, end).value if query.latency_timeline else None,
        "latency_timeline": [
            {
                "start": f"{slice_start:%Y-%m-%d %H:%M:%S}",
                "total_requests": len(in_slice),
                "avg_latency_ms": _average(in_slice),
            }
            for slice_start, in_slice in _latency_slices(current, start, end).items()
        ]
        if query.latency_timeline
        else None,
        "api_key_metrics_30d": _with_other(
            [{"api_key_id": key_id or None, "total_requests": count} for key_id, count in top_30d],
            sum(count for _, count in top_30d),
            len(history),
            lambda rest: {"api_key_id": None, "total_requests": rest},
        ),
        "latency_breakdown": {
            "total_requests": len(current),
            "less_than_100ms": sum(latency < 100 for latency in latencies),
            "less_than_500ms": sum(100 <= latency < 500 for latency in latencies),
            "less_than_1s": sum(500 <= latency < 1000 for latency in latencies),
            "more_than_1s": sum(latency >= 1000 for latency in latencies),
        },
        "exact_latency": {
            "min": min(latencies, default=0),
            "max": max(latencies, default=0),
            "avg": _average(current),
        },
    }


def _spread(events: list[Event], dimension: str, limit: int) -> list[dict]:
    """The top values of a dimension with their requests and errors, then the other row."""
    top = dict(_most_first(Counter(event.dimensions[dimension] for event in events))[:limit])

    def row(value: str, counted: list[Event]) -> dict:
        errors = _errors(counted)
        return {
            dimension: value,
            "total_requests": len(counted),
            "total_errors": errors,
            "error_rate": _percent(errors, len(counted)),
        }

    return _with_other(
        [row(value, [e for e in events if e.dimensions[dimension] == value]) for value in top],
        sum(top.values()),
        len(events),
        lambda rest: row("other", [e for e in events if e.dimensions[dimension] not in top]),
    )


def exact_percentiles(events: list[Event], org_slug: str, query: RequestsQuery, now: datetime) -> dict[str, float]:
    """The values DDSketch's quantiles estimate: the latency of rank q x (n - 1), as the sketch counts ranks."""
    start, end = window(query, now)
    latencies = sorted(_latencies(_in(chosen(events, org_slug, query), start, end)))
    if not latencies:
        return dict.fromkeys(("p50", "p90", "p95", "p99"), 0.0)
    quantiles = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
    return {name: latencies[int(q * (len(latencies) - 1))] for name, q in quantiles.items()}


PERCENTILE_FIELDS = {"p50_latency_ms": 0.5, "p95_latency_ms": 0.95, "p99_latency_ms": 0.99}


def _latency_slice(start: datetime, end: datetime) -> Granularity:
    length = end - start
    return (
        Granularity.HOUR
        if length <= timedelta(days=2)
        else Granularity.DAY
        if length <= timedelta(days=90)
        else Granularity.MONTH
    )


def _latency_slices(events: list[Event], start: datetime, end: datetime) -> dict[datetime, list[Event]]:
    """The window's events by slice, the first slice starting at the window's start."""
    slices: dict[datetime, list[Event]] = {}
    for event in sorted(events, key=lambda event: event.time):
        slices.setdefault(max(_latency_slice(start, end).floor(event.time), start), []).append(event)
    return dict(sorted(slices.items()))


def timeline_percentiles_apart(answer: dict) -> list[dict[str, float]]:
    """Takes the estimated percentiles out of the answer's latency_timeline (the rest compares exactly)."""
    return [{name: row.pop(name) for name in PERCENTILE_FIELDS} for row in answer["latency_timeline"] or []]


def exact_timeline_percentiles(
    events: list[Event], org_slug: str, query: RequestsQuery, now: datetime
) -> list[dict[str, float]]:
    """What each slice's percentiles estimate, ranked as exact_percentiles ranks (none unless asked)."""
    if not query.latency_timeline:
        return []
    start, end = window(query, now)
    rows = []
    for in_slice in _latency_slices(_in(chosen(events, org_slug, query), start, end), start, end).values():
        latencies = sorted(_latencies(in_slice))
        rows.append({name: latencies[int(q * (len(latencies) - 1))] for name, q in PERCENTILE_FIELDS.items()})
    return rows
