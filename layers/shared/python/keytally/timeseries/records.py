"""Events in Timestream's record model: a time, dimensions (what it is about) and measures (numbers).

Each kind of event names the dimension that partitions its rollups, and the views that roll it up: which
dimensions a row keeps, which one's values become counters, and what a row summarises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

LATENCY = "latency_ms"  # the measure a view may also sketch and count against latency bounds


class EventKind(str, enum.Enum):
    VERIFICATION = "verification"
    REQUEST = "request"


@dataclass(frozen=True)
class LatencyCounts:
    """Exact latency figures a row keeps beside its sketch: the minimum and maximum, and how many latencies fall
    under (<) or at most (<=) each bound, in ms — so thresholds and histogram buckets are counted, not estimated."""

    under: tuple[float, ...]
    at_most: tuple[float, ...]


@dataclass(frozen=True)
class View:
    """One rollup of one kind of event, as a ClickHouse materialized view holds it: per bucket, a row per combination
    of the `series` dimensions, with exact counters per value of `counted`, sums of `measures`, and the latency
    summaries it asks for. Its rows live under the partition key `{org}#{name}#{partition}`."""

    name: str
    kind: EventKind
    counted: str  # one counter per value of this dimension (verification outcome, request status)
    series: tuple[str, ...]  # the dimensions a row keeps
    measures: tuple[str, ...] = ()  # summed per row
    sketch: bool = False  # a DDSketch of LATENCY
    latency_counts: LatencyCounts | None = None


# The dimension whose values never share a rollup row (verification: one API's keys; request: its source)
PARTITIONS = {EventKind.VERIFICATION: "api_id", EventKind.REQUEST: "source"}
# BitGPT's latency bins (< 100 ms, < 500 ms, < 1 s) and the Prometheus export's histogram buckets (<= 5 ms ... 10 s)
REQUEST_LATENCY = LatencyCounts(under=(100, 500, 1000), at_most=(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000))
VERIFICATIONS = View(
    "verification",
    EventKind.VERIFICATION,
    counted="outcome",
    series=("key_id", "identity"),
    measures=(LATENCY, "credits"),
    sketch=True,
)
REQUESTS = View(
    "request",
    EventKind.REQUEST,
    counted="status",
    series=("key_id", "endpoint", "method", "ip"),
    measures=(LATENCY,),
    sketch=True,
    latency_counts=REQUEST_LATENCY,
)
# One view per question request analytics ask: totals with every latency figure; the same, light, for a timeline
# of many buckets (counts by status and latency sum); and how requests spread over keys, endpoints and client IPs
# (counts by status only)
REQUEST_TOTALS = View(
    "request.total",
    EventKind.REQUEST,
    counted="status",
    series=(),
    measures=(LATENCY,),
    sketch=True,
    latency_counts=REQUEST_LATENCY,
)
REQUEST_TIMELINE = View("request.timeline", EventKind.REQUEST, counted="status", series=(), measures=(LATENCY,))
REQUESTS_BY_KEY = View("request.key", EventKind.REQUEST, counted="status", series=("key_id",))
REQUESTS_BY_ENDPOINT = View("request.endpoint", EventKind.REQUEST, counted="status", series=("endpoint",))
REQUESTS_BY_IP = View("request.ip", EventKind.REQUEST, counted="status", series=("ip",))
VIEWS = {
    EventKind.VERIFICATION: (VERIFICATIONS,),
    EventKind.REQUEST: (
        REQUESTS,
        REQUEST_TOTALS,
        REQUEST_TIMELINE,
        REQUESTS_BY_KEY,
        REQUESTS_BY_ENDPOINT,
        REQUESTS_BY_IP,
    ),
}


class Event(BaseModel):
    """One raw event. `tags` is a multi-valued dimension; `received_at` orders arrivals for the rollup."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: EventKind
    org_slug: str
    time: datetime
    received_at: datetime
    dimensions: dict[str, str]
    tags: tuple[str, ...] = ()
    measures: dict[str, float]

    @property
    def partition(self) -> str:
        """Which rollup partition of its organization and kind the event belongs to."""
        return self.dimensions.get(PARTITIONS[self.kind], "")
