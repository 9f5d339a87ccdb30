"""Events in Timestream's record model: a time, dimensions (what it is about) and measures (numbers).

Each kind of event names the dimension that partitions its rollups, the dimension whose values become counters,
and the dimensions that make up a rollup series.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

LATENCY = "latency_ms"  # the measure summarised by a sketch rather than a sum


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
class KindSpec:
    partition: str | None  # rollups of different values never mix (verification: one API's keys)
    counted: str  # one counter per value of this dimension (verification outcome, request status)
    series: tuple[str, ...]  # the remaining dimensions a rollup row keeps
    measures: tuple[str, ...]  # summed per row; LATENCY is also sketched
    latency_counts: LatencyCounts | None = None


# BitGPT's latency bins (< 100 ms, < 500 ms, < 1 s) and the Prometheus export's histogram buckets (<= 5 ms ... 10 s)
REQUEST_LATENCY = LatencyCounts(under=(100, 500, 1000), at_most=(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000))
KINDS = {
    EventKind.VERIFICATION: KindSpec(
        partition="api_id", counted="outcome", series=("key_id", "identity"), measures=(LATENCY, "credits")
    ),
    EventKind.REQUEST: KindSpec(
        partition="source",
        counted="status",
        series=("key_id", "endpoint", "method", "ip"),
        measures=(LATENCY,),
        latency_counts=REQUEST_LATENCY,
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
    def spec(self) -> KindSpec:
        return KINDS[self.kind]

    @property
    def partition(self) -> str:
        """Which rollup partition of its organization and kind the event belongs to."""
        name = self.spec.partition
        return self.dimensions.get(name, "") if name else ""
