"""The answer of GET /v1/analytics/api_keys, spelled as BitGPT's API key analytics."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

PERCENT = "0-100, rounded to 2 decimals."
UNDERCOUNT = (
    "0: the counts are exact. Else the true counts may exceed them by up to this many requests: past a few hundred "
    "values per hour the stored rankings list the values counted most, and a value left out of some of them is "
    "counted where it was listed."
)
OTHER_ROW = (
    "true on the last row only: every request the rows above do not count, so that the rows add up to the total."
)


class CoreMetrics(BaseModel):
    total_requests: int = Field(ge=0)
    requests_per_second: float = Field(ge=0, description="total_requests / the window's seconds (4 decimals).")
    total_success: int = Field(ge=0, description="Requests answered with a status below 400.")
    total_errors: int = Field(ge=0, description="Requests answered with a status of 400 or more.")
    success_rate_pct: float = Field(ge=0, le=100, description=PERCENT)
    avg_latency_ms: float = Field(ge=0, description="Exact, rounded to 2 decimals.")
    pct_under_100ms: float = Field(ge=0, le=100, description=f"Requests under 100 ms; {PERCENT}")
    pct_under_500ms: float = Field(ge=0, le=100, description=f"Requests under 500 ms; {PERCENT}")
    pct_under_1s: float = Field(ge=0, le=100, description=f"Requests under 1000 ms; {PERCENT}")
    unique_endpoints: int = Field(ge=0)
    distinct_api_keys: int = Field(ge=0, description="Keys that made requests (requests made with none not counted).")
    distinct_error_pct: float = Field(
        ge=0,
        description="0: unique_endpoints and distinct_api_keys are exact. Else they are estimated (HyperLogLog) and "
        "each lies within this percentage of the true count with about 95% confidence.",
    )


class KeyUsage(BaseModel):
    auth: str = Field(
        description='The key\'s description, or its key_start when it has none; "other" on the other row.'
    )
    usage_count: int = Field(ge=1)
    api_key_id: str | None = Field(description="null on the other row.")
    max_undercount: int = Field(0, ge=0, description=UNDERCOUNT)
    other: bool = Field(False, description=OTHER_ROW + " It also counts the requests made with no key.")


class IpMetrics(BaseModel):
    ip: str = Field(description='"other" on the other row.')
    total_requests: int = Field(ge=1)
    total_errors: int = Field(ge=0)
    error_rate: float = Field(ge=0, le=100, description=PERCENT)
    max_undercount: int = Field(0, ge=0, description=UNDERCOUNT)
    other: bool = Field(False, description=OTHER_ROW)


class EndpointMetrics(BaseModel):
    endpoint: str = Field(description='"other" on the other row.')
    total_requests: int = Field(ge=1)
    total_errors: int = Field(ge=0)
    error_rate: float = Field(ge=0, le=100, description=PERCENT)
    max_undercount: int = Field(0, ge=0, description=UNDERCOUNT)
    other: bool = Field(False, description=OTHER_ROW)


class HourlyMetrics(BaseModel):
    hour: str = Field(description="The hour's start, UTC.", examples=["2026-11-30 15:00:00"])
    total_requests: int = Field(ge=1)
    error_count: int = Field(ge=0)
    error_rate_pct: float = Field(ge=0, le=100, description=PERCENT)
    avg_latency_ms: float = Field(ge=0, description="Exact, rounded to 2 decimals.")


class LatencySlice(BaseModel):
    start: str = Field(description="The slice's start, UTC.", examples=["2026-11-30 15:00:00"])
    total_requests: int = Field(ge=1)
    avg_latency_ms: float = Field(ge=0, description="Exact, rounded to 2 decimals.")
    p50_latency_ms: float = Field(ge=0, description="Within 1% of the exact value (DDSketch).")
    p95_latency_ms: float = Field(ge=0, description="Within 1% of the exact value (DDSketch).")
    p99_latency_ms: float = Field(ge=0, description="Within 1% of the exact value (DDSketch).")


class KeyRequests(BaseModel):
    api_key_id: str | None = Field(description="null for requests made with no key, and on the other row.")
    total_requests: int = Field(ge=1)
    max_undercount: int = Field(0, ge=0, description=UNDERCOUNT)
    other: bool = Field(False, description=OTHER_ROW)


class LatencyBreakdown(BaseModel):
    """Exclusive bins that add up to total_requests, counted exactly."""

    total_requests: int = Field(ge=0)
    less_than_100ms: int = Field(ge=0, description="Under 100 ms.")
    less_than_500ms: int = Field(ge=0, description="100 ms to under 500 ms.")
    less_than_1s: int = Field(ge=0, description="500 ms to under 1000 ms.")
    more_than_1s: int = Field(ge=0, description="1000 ms or more.")


class Latency(BaseModel):
    """In ms. min, max and avg are exact; the percentiles are within 1% of the exact value (DDSketch). All 0 for an
    empty window."""

    min: float = Field(ge=0)
    max: float = Field(ge=0)
    avg: float = Field(ge=0)
    p50: float = Field(ge=0)
    p90: float = Field(ge=0)
    p95: float = Field(ge=0)
    p99: float = Field(ge=0)


class RequestAnalytics(BaseModel):
    core_metrics: CoreMetrics = Field(description="The window [start, end).")
    prev_core_metrics: CoreMetrics = Field(description="The window of equal length just before.")
    most_used_api_keys: list[KeyUsage] = Field(
        description="Top `limit` keys by requests in the window, then the other row (when there is more)."
    )
    ip_metrics: list[IpMetrics] = Field(
        description="Top `limit` client IPs by requests in the window, then the other row (when there is more)."
    )
    endpoint_metrics: list[EndpointMetrics] = Field(
        description="keytally's addition to BitGPT's members: top `limit` endpoints by requests in the window, then "
        "the other row (when there is more)."
    )
    hourly_metrics: list[HourlyMetrics] = Field(description="Every hour of the window with a request, ascending.")
    latency_slice: Literal["hour", "day", "month"] | None = Field(
        description="keytally's addition, with latencyTimeline=true (else null): the slices of latency_timeline — "
        "hours for a window of up to 2 days, days up to 90 days, else months."
    )
    latency_timeline: list[LatencySlice] | None = Field(
        description="keytally's addition, with latencyTimeline=true (else null): every slice of the window with a "
        "request, ascending (the first and last cut at the window's bounds), with its latency percentiles."
    )
    api_key_metrics_30d: list[KeyRequests] = Field(
        description="Top `limit` keys by requests over the 30 days ending at `end` (requests made with no key as one), "
        "then the other row (when there is more)."
    )
    latency_breakdown: LatencyBreakdown
    latency: Latency
