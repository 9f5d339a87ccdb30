"""GET /v1/analytics/api_keys (BitGPT's API key analytics): one organization's requests from one source, in a window
and in the window of equal length before it: counts, rates, latency, and how they spread over keys, endpoints, client
IPs and hours (the top endpoints are keytally's addition to BitGPT's members). Everything is exact but the latency
percentiles (DDSketch, 1%) and, past a few hundred keys, endpoints or IPs an hour, the spreads below.

How requests spread over keys, endpoints and client IPs is read from rankings (keytally.timeseries.ranking): one row
per bucket, whatever the number of values. A top list is exact when every row it merges listed every value, and else
says how much each count may fall short (`max_undercount`); an `other` row counts what the rows above it do not, so
the parts always add up to the exact total. Distinct counts are exact in the same case, else estimated.

A query filtered on a key, an endpoint or both reads the views split by what it filters on
(keytally.timeseries.records): one row per bucket of its own key's, endpoint's or pair's requests. Every view is read
once, over the union of the windows its questions ask about, cut at their bounds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal, NamedTuple, TypeVar

from keytally.access import organization_for, organization_since
from keytally.analytics.figures import average_latency, errors, latency_percentile, percent
from keytally.analytics.query import Read, Slice, Window, grouped, read_views, window_of
from keytally.analytics.request_models import (
    CoreMetrics,
    EndpointMetrics,
    HourlyMetrics,
    IpMetrics,
    KeyRequests,
    KeyUsage,
    Latency,
    LatencyBreakdown,
    LatencySlice,
    RequestAnalytics,
)
from keytally.auth.principal import Principal
from keytally.models import RequestSource, Scope
from keytally.storage import api_keys
from keytally.timeseries.buckets import EARLIEST, Granularity
from keytally.timeseries.ranking import Distinct, Ranked, Ranking
from keytally.timeseries.records import (
    PARTITIONS,
    REQUESTS,
    REQUESTS_OF_ENDPOINT,
    REQUESTS_OF_KEY,
    REQUESTS_OF_KEY_ENDPOINT,
    EventKind,
    RequestViews,
    View,
)
from keytally.timeseries.rows import Row

DEFAULT_RANGE = timedelta(hours=24)
# latency_timeline's slices: the finest whose count stays small (<= 48 hours, <= 90 days, then months)
LATENCY_SLICES = ((timedelta(days=2), Granularity.HOUR), (timedelta(days=90), Granularity.DAY))
SLICE_NAMES: dict[Granularity, Literal["hour", "day", "month"]] = {
    Granularity.HOUR: "hour",
    Granularity.DAY: "day",
    Granularity.MONTH: "month",
}
KEY_HISTORY = timedelta(days=30)  # api_key_metrics_30d
OTHER = "other"  # the label of the row that counts what a top list does not show
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
Span = tuple[datetime, datetime]  # [start, end)
Spread = TypeVar("Spread", IpMetrics, EndpointMetrics)  # requests and errors per value of a dimension


class RequestsQuery(NamedTuple):
    organization_slug: str | None
    api_key_id: str | None
    endpoint: str | None
    source: RequestSource
    start_ms: int | None
    end_ms: int | None
    limit: int
    latency_timeline: bool = False  # also the latency percentiles per slice (one more read of the totals)

    @property
    def filters(self) -> dict[str, str]:
        """Dimension -> the one value the query keeps."""
        chosen = (("key_id", self.api_key_id), ("endpoint", self.endpoint))
        return {name: value for name, value in chosen if value is not None}

    @property
    def views(self) -> RequestViews:
        if self.api_key_id is not None:
            return REQUESTS_OF_KEY_ENDPOINT if self.endpoint is not None else REQUESTS_OF_KEY
        return REQUESTS_OF_ENDPOINT if self.endpoint is not None else REQUESTS


class Spans(NamedTuple):
    current: Span
    previous: Span
    history: Span  # the 30 days ending at the window's end

    @classmethod
    def of(cls, window: Window) -> Spans:
        length = window.end - window.start
        return cls(
            current=(window.start, window.end),
            previous=(_not_before_earliest(window.start, length), window.start),
            history=(_not_before_earliest(window.end, KEY_HISTORY), window.end),
        )


def _not_before_earliest(moment: datetime, back: timedelta) -> datetime:
    return moment - back if moment - EARLIEST > back else EARLIEST


def get_request_analytics(principal: Principal, query: RequestsQuery, now: datetime) -> RequestAnalytics:
    org_slug = organization_for(principal, query.organization_slug, Scope.ANALYTICS_READ)
    window = window_of(query.start_ms, query.end_ms, now, default_range=DEFAULT_RANGE)
    spans, views = Spans.of(window), query.views
    by_key, by_endpoint = views.by_key or views.total, views.by_endpoint or views.total
    asked: dict[View, list[Span]] = defaultdict(list)
    for view, view_spans in (
        (views.total, [spans.previous, spans.current]),
        (by_key, [spans.previous, spans.current, spans.history]),
        (by_endpoint, [spans.previous, spans.current]),
        (views.by_ip, [spans.current]),
    ):
        asked[view].extend(view_spans)
    dimensions = {PARTITIONS[EventKind.REQUEST]: query.source.value, **query.filters}
    reads = [
        Read(view, view.partition_of(dimensions), _window_around(view_spans)) for view, view_spans in asked.items()
    ]
    reads.append(Read(views.timeline, views.timeline.partition_of(dimensions), _hours_of(window)))
    latency_slice = _latency_slice(window)
    if query.latency_timeline:
        sliced = Window(window.start, window.end, latency_slice)
        reads.append(Read(views.total, views.total.partition_of(dimensions), sliced))
    read_slices = read_views(org_slug, reads, now, since=organization_since(org_slug))
    by_latency_slice = read_slices.pop() if query.latency_timeline else None
    timeline = read_slices.pop()
    slices = dict(zip(asked, read_slices, strict=True))
    counted = _Counted(query.filters)

    def ranked(view: View, span: Span, dimension: str) -> Ranking:
        return counted.ranking(slices[view], span, view, dimension)

    def core(span: Span, keys: Ranking, endpoints: Ranking) -> CoreMetrics:
        return _core_metrics(counted.total(slices[views.total], span), span, keys.distinct(), endpoints.distinct())

    total = counted.total(slices[views.total], spans.current)
    keys, endpoints = ranked(by_key, spans.current, "key_id"), ranked(by_endpoint, spans.current, "endpoint")
    return RequestAnalytics(
        core_metrics=core(spans.current, keys, endpoints),
        prev_core_metrics=core(
            spans.previous, ranked(by_key, spans.previous, "key_id"), ranked(by_endpoint, spans.previous, "endpoint")
        ),
        most_used_api_keys=_most_used(keys, query.limit),
        ip_metrics=_spread(ranked(views.by_ip, spans.current, "ip"), query.limit, IpMetrics, "ip"),
        endpoint_metrics=_spread(endpoints, query.limit, EndpointMetrics, "endpoint"),
        hourly_metrics=_hourly(counted.by_slice(timeline)),
        latency_slice=SLICE_NAMES[latency_slice] if by_latency_slice is not None else None,
        latency_timeline=_latency_timeline(counted.by_slice(by_latency_slice))
        if by_latency_slice is not None
        else None,
        api_key_metrics_30d=_key_history(counted.ranking(slices[by_key], spans.history, by_key, "key_id"), query.limit),
        latency_breakdown=_latency_breakdown(total),
        latency=_latency(total),
    )


def _window_around(spans: list[Span]) -> Window:
    """One window over all the spans, cut at each of their bounds, so every slice lies in or out of each span."""
    start, end = min(start for start, _ in spans), max(end for _, end in spans)
    cuts = {bound for span in spans for bound in span if start < bound < end}
    return Window(start, end, None, tuple(sorted(cuts)))


def _hours_of(window: Window) -> Window:
    return Window(window.start, window.end, Granularity.HOUR)


class _Counted(NamedTuple):
    """Rows summed, keeping those that match the query's filters (a split view's rows hold the filtered value in
    their partition, not in their dimensions: they match)."""

    filters: dict[str, str]

    def _value(self, row: Row, dimension: str) -> str:
        return row.dimensions.get(dimension, self.filters.get(dimension, ""))

    def _matches(self, row: Row) -> bool:
        return all(self._value(row, name) == value for name, value in self.filters.items())

    def ranking(self, slices: Iterable[Slice], span: Span, view: View, dimension: str) -> Ranking:
        """The span's requests by value of `dimension`: the view's rankings merged, or its rows per value (exact)."""
        if view.ranked == (dimension,):
            return self.total(slices, span).ranking or Ranking()
        start, end = span
        rows = grouped(
            slices,
            lambda slice_start, row: (
                [self._value(row, dimension)] if start <= slice_start < end and self._matches(row) else []
            ),
        )
        return Ranking(entries={value: Counter(row.counts) for value, row in rows.items()})

    def total(self, slices: Iterable[Slice], span: Span) -> Row:
        start, end = span
        rows = grouped(
            slices, lambda slice_start, row: [span] if start <= slice_start < end and self._matches(row) else []
        )
        return rows.get(span, Row({}, ()))

    def by_slice(self, slices: Iterable[Slice]) -> dict[datetime, Row]:
        return grouped(slices, lambda slice_start, row: [slice_start] if self._matches(row) else [])


def _core_metrics(total: Row, span: Span, keys: Distinct, endpoints: Distinct) -> CoreMetrics:
    requests, failed = total.total, errors(total)
    seconds = (span[1] - span[0]).total_seconds()
    return CoreMetrics(
        total_requests=requests,
        requests_per_second=round(requests / seconds, 4) if seconds else 0.0,
        total_success=requests - failed,
        total_errors=failed,
        success_rate_pct=percent(requests - failed, requests),
        avg_latency_ms=average_latency(total),
        pct_under_100ms=percent(total.under[100], requests),
        pct_under_500ms=percent(total.under[500], requests),
        pct_under_1s=percent(total.under[1000], requests),
        unique_endpoints=endpoints.values,
        distinct_api_keys=keys.values,
        distinct_error_pct=max(keys.error_pct, endpoints.error_pct),
    )


def _top(ranking: Ranking, limit: int, *, skip_empty: bool = False) -> tuple[list[Ranked], Counter[str] | None]:
    """The `limit` most counted values, and the counts of everything else (None when there is nothing else)."""
    ranked = ranking.ranked()
    listed = [entry for entry in ranked if entry.value or not skip_empty][:limit]
    shown = {entry.value for entry in listed}
    rest = Counter(ranking.other)
    for entry in ranked:
        if entry.value not in shown:
            rest.update(entry.counts)
    return listed, rest if rest.total() else None


def _most_used(keys: Ranking, limit: int) -> list[KeyUsage]:
    listed, rest = _top(keys, limit, skip_empty=True)
    labels = api_keys.labels_of({entry.value for entry in listed})
    rows = [
        KeyUsage(
            auth=(labels[key_id].description or labels[key_id].key_start) if key_id in labels else key_id,
            usage_count=entry.total,
            api_key_id=key_id,
            max_undercount=entry.error,
        )
        for entry in listed
        for key_id in [entry.value]
    ]
    if rest is not None:
        rows.append(KeyUsage(auth=OTHER, usage_count=rest.total(), api_key_id=None, other=True))
    return rows


def _spread(ranking: Ranking, limit: int, model: type[Spread], dimension: str) -> list[Spread]:
    """The top values of a dimension with their requests and errors, then the other row."""
    listed, rest = _top(ranking, limit)
    rows = [_spread_row(model, dimension, entry.value, entry.counts, entry.error) for entry in listed]
    if rest is not None:
        rows.append(_spread_row(model, dimension, OTHER, rest, 0, other=True))
    return rows


def _spread_row(
    model: type[Spread], dimension: str, value: str, counts: Counter[str], undercount: int, *, other: bool = False
) -> Spread:
    row = Row({}, (), counts=counts)
    return model.model_validate(
        {
            dimension: value,
            "total_requests": row.total,
            "total_errors": errors(row),
            "error_rate": percent(errors(row), row.total),
            "max_undercount": undercount,
            "other": other,
        }
    )


def _key_history(keys: Ranking, limit: int) -> list[KeyRequests]:
    listed, rest = _top(keys, limit)
    rows = [
        KeyRequests(api_key_id=entry.value or None, total_requests=entry.total, max_undercount=entry.error)
        for entry in listed
    ]
    if rest is not None:
        rows.append(KeyRequests(api_key_id=None, total_requests=rest.total(), other=True))
    return rows


def _hourly(hours: dict[datetime, Row]) -> list[HourlyMetrics]:
    return [
        HourlyMetrics(
            hour=f"{hour:%Y-%m-%d %H:00:00}",
            total_requests=row.total,
            error_count=errors(row),
            error_rate_pct=percent(errors(row), row.total),
            avg_latency_ms=average_latency(row),
        )
        for hour, row in sorted(hours.items())
        if row.total
    ]


def _latency_slice(window: Window) -> Granularity:
    length = window.end - window.start
    return next((slices for longest, slices in LATENCY_SLICES if length <= longest), Granularity.MONTH)


def _latency_timeline(slices: dict[datetime, Row]) -> list[LatencySlice]:
    return [
        LatencySlice(
            start=f"{start:%Y-%m-%d %H:%M:%S}",
            total_requests=row.total,
            avg_latency_ms=average_latency(row),
            p50_latency_ms=latency_percentile(row, PERCENTILES["p50"]),
            p95_latency_ms=latency_percentile(row, PERCENTILES["p95"]),
            p99_latency_ms=latency_percentile(row, PERCENTILES["p99"]),
        )
        for start, row in sorted(slices.items())
        if row.total
    ]


def _latency_breakdown(total: Row) -> LatencyBreakdown:
    under_100, under_500, under_1000 = total.under[100], total.under[500], total.under[1000]
    return LatencyBreakdown(
        total_requests=total.total,
        less_than_100ms=under_100,
        less_than_500ms=under_500 - under_100,
        less_than_1s=under_1000 - under_500,
        more_than_1s=total.total - under_1000,
    )


def _latency(total: Row) -> Latency:
    return Latency(
        min=total.latency_min or 0.0,
        max=total.latency_max or 0.0,
        avg=average_latency(total),
        **{name: latency_percentile(total, quantile) for name, quantile in PERCENTILES.items()},
    )
