"""Events in Timestream's record model: a time, dimensions (what it is about) and measures (numbers).

Each kind of event names the dimension that partitions its rollups, and the views that roll it up: which
dimensions a row keeps, which one's values become counters, and what a row summarises.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, model_validator

from keytally.timeseries.buckets import Granularity

LATENCY = "latency_ms"  # the measure a view may also sketch and count against latency bounds
RAW_BUCKET = Granularity.FIVE_MINUTES  # raw events sort by it; one stored after its bucket ended is late


class EventKind(str, enum.Enum):
    VERIFICATION = "verification"
    REQUEST = "request"


class LatencyCounts(NamedTuple):
    """Exact latency figures a row keeps beside its sketch: the minimum and maximum, and how many latencies fall
    under (<) or at most (<=) each bound, in ms — so thresholds and histogram buckets are counted, not estimated."""

    under: tuple[float, ...]
    at_most: tuple[float, ...]


class View(NamedTuple):
    """One rollup of one kind of event, as a ClickHouse materialized view holds it: per bucket, a row per combination
    of the `series` dimensions, with exact counters per value of `counted`, sums of `measures`, and the latency
    summaries it asks for, or a ranking of the values of the `ranked` dimension. Its rows live under the partition key
    `{org}#{name}#{partition}`, the partition being the event's value of its kind's partition dimension followed by
    its values of the `split` dimensions: a query that filters on those reads only the rows of the values it asks
    for."""

    name: str
    kind: EventKind
    counted: str  # one counter per value of this dimension (verification outcome, request status)
    series: tuple[str, ...]  # the dimensions a row keeps
    measures: tuple[str, ...] = ()  # summed per row
    sketch: bool = False  # a DDSketch of LATENCY
    latency_counts: LatencyCounts | None = None
    split: tuple[str, ...] = ()
    running: bool = False  # the rollup also keeps each partition's total since its beginning (read by the export)
    ranked: tuple[str, ...] = ()  # a row ranks these dimensions' values, together (keytally.timeseries.ranking)

    @property
    def detail(self) -> bool:
        """A row per key, identity, endpoint or IP (split by one, or a series keeps one), not one per bucket: its
        five-minute rows are written only for busy organizations (rollup.py)."""
        return bool(self.split) or bool(PER_VALUE.intersection(self.series))

    def ranked_value(self, dimensions: Mapping[str, str]) -> str:
        """The value a ranking counts an event under: its value of the ranked dimension, or of each (as a JSON list;
        the empty value when it has none of them)."""
        values = [dimensions.get(name, "") for name in self.ranked]
        if len(values) == 1:
            return values[0]
        return json.dumps(values) if any(values) else ""

    def ranked_dimensions(self, value: str) -> dict[str, str]:
        """The ranked dimensions' values a ranked value stands for."""
        if len(self.ranked) == 1:
            return {self.ranked[0]: value}
        return dict(zip(self.ranked, json.loads(value) if value else [""] * len(self.ranked), strict=True))

    def partition_of(self, dimensions: Mapping[str, str]) -> str:
        """The partition of the rows that count an event with these dimensions (or that a query filtering on these
        values reads). `#` and `%` are escaped, so different values never share a partition."""
        values = (dimensions.get(name, "") for name in (PARTITIONS[self.kind], *self.split))
        return "#".join(value.replace("%", "%25").replace("#", "%23") for value in values)


PER_VALUE = frozenset({"key_id", "identity", "endpoint", "ip"})  # dimensions with a value per key, client, ...
# The dimension whose values never share a rollup row (verification: one API's keys; request: its source)
PARTITIONS = {EventKind.VERIFICATION: "api_id", EventKind.REQUEST: "source"}
# BitGPT's latency bins (< 100 ms, < 500 ms, < 1 s) and the Prometheus export's histogram buckets (<= 5 ms ... 10 s):
# the export reads the unfiltered totals only, so only they keep the buckets
REQUEST_LATENCY = LatencyCounts(under=(100, 500, 1000), at_most=(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000))
LATENCY_BINS = LatencyCounts(under=REQUEST_LATENCY.under, at_most=())
# Grouped by key, by identity, or by both: one row per bucket (and tag set) ranking the API's keys, identities, or
# pairs of key and identity
VERIFICATION_KEYS = View("verification.keys", EventKind.VERIFICATION, counted="outcome", series=(), ranked=("key_id",))
VERIFICATION_IDENTITIES = View(
    "verification.identities", EventKind.VERIFICATION, counted="outcome", series=(), ranked=("identity",)
)
VERIFICATION_KEY_IDENTITIES = View(
    "verification.keys+identities",
    EventKind.VERIFICATION,
    counted="outcome",
    series=(),
    ranked=("key_id", "identity"),
)
# Filtered by key: one partition per API and key (its one identity the row's series)
VERIFICATIONS_OF_KEY = View(
    "verification/key", EventKind.VERIFICATION, counted="outcome", series=("identity",), split=("key_id",)
)
# Filtered by identity: one partition per API and identity, a row per key of the identity
VERIFICATIONS_OF_IDENTITY = View(
    "verification/identity", EventKind.VERIFICATION, counted="outcome", series=("key_id",), split=("identity",)
)
# One API's verifications: counts by outcome and credits spent (organization metrics, the Prometheus export, and
# verification analytics neither grouped nor filtered by key or identity)
VERIFICATION_TOTALS = View(
    "verification.total", EventKind.VERIFICATION, counted="outcome", series=(), measures=("credits",), running=True
)


class RequestViews(NamedTuple):
    """The views request analytics read for one combination of filters: totals with every latency figure; the same,
    light, for a timeline of many buckets (counts by status and latency sum), or the totals themselves where they are
    few; and rankings of the keys, endpoints and client IPs the requests came from (one row per bucket, whatever the
    number of values). `None`: the filter names the one value, or the total rows hold the spread."""

    total: View
    timeline: View
    by_key: View | None
    by_endpoint: View | None
    by_ip: View


def _request_view(
    name: str,
    series: tuple[str, ...],
    split: tuple[str, ...] = (),
    *,
    latency: Literal["all", "sum", "none"],
    running: bool = False,
    ranked: tuple[str, ...] = (),
    histogram: bool = False,
) -> View:
    """A view of requests counted by status, with every latency figure (the export's histogram buckets too, if
    asked), the latency sum, or none."""
    return View(
        name,
        EventKind.REQUEST,
        counted="status",
        series=series,
        measures=(LATENCY,) if latency != "none" else (),
        sketch=latency == "all",
        latency_counts=(REQUEST_LATENCY if histogram else LATENCY_BINS) if latency == "all" else None,
        split=split,
        running=running,
        ranked=ranked,
    )


def _ranking(name: str, ranked: str, series: tuple[str, ...] = (), split: tuple[str, ...] = ()) -> View:
    return _request_view(name, series, split, latency="none", ranked=(ranked,))


# Unfiltered: one partition per source
REQUEST_TOTALS = _request_view("request.total", (), latency="all", running=True, histogram=True)
REQUEST_KEYS = _ranking("request.keys", "key_id")
REQUESTS = RequestViews(
    total=REQUEST_TOTALS,
    timeline=_request_view("request.timeline", (), latency="sum"),
    by_key=REQUEST_KEYS,
    by_endpoint=_ranking("request.endpoints", "endpoint"),
    by_ip=_ranking("request.ips", "ip"),
)
# Filtered by key: one partition per source and key; its timeline reads the total rows (one a bucket)
_KEY_TOTAL = _request_view("request/key.total", (), ("key_id",), latency="all")
REQUESTS_OF_KEY = RequestViews(
    total=_KEY_TOTAL,
    timeline=_KEY_TOTAL,
    by_key=None,
    by_endpoint=_ranking("request/key.endpoints", "endpoint", split=("key_id",)),
    by_ip=_ranking("request/key.ips", "ip", split=("key_id",)),
)
# Filtered by key and endpoint: one partition per source, key and endpoint, its rows ranking their client IPs too (a
# pair sees few requests an hour: one row of ~600 B where a total and a ranking row took a write unit each)
_KEY_ENDPOINT = _request_view("request/key+endpoint", (), ("key_id", "endpoint"), latency="all", ranked=("ip",))
REQUESTS_OF_KEY_ENDPOINT = RequestViews(
    total=_KEY_ENDPOINT, timeline=_KEY_ENDPOINT, by_key=None, by_endpoint=None, by_ip=_KEY_ENDPOINT
)
# Filtered by endpoint alone: one partition per source and endpoint
_ENDPOINT_TOTAL = _request_view("request/endpoint.total", (), ("endpoint",), latency="all")
REQUESTS_OF_ENDPOINT = RequestViews(
    total=_ENDPOINT_TOTAL,
    timeline=_ENDPOINT_TOTAL,
    by_key=_ranking("request/endpoint.keys", "key_id", split=("endpoint",)),
    by_endpoint=None,
    by_ip=_ranking("request/endpoint.ips", "ip", split=("endpoint",)),
)
# The Prometheus export's requests by method and status code, per source
REQUESTS_BY_METHOD = _request_view("request.method", ("method",), latency="none", running=True)
VIEWS = {
    EventKind.VERIFICATION: (
        VERIFICATION_KEY_IDENTITIES,
        VERIFICATION_KEYS,
        VERIFICATION_IDENTITIES,
        VERIFICATIONS_OF_KEY,
        VERIFICATIONS_OF_IDENTITY,
        VERIFICATION_TOTALS,
    ),
    EventKind.REQUEST: (
        *dict.fromkeys(
            view
            for views in (REQUESTS, REQUESTS_OF_KEY, REQUESTS_OF_KEY_ENDPOINT, REQUESTS_OF_ENDPOINT)
            for view in (views.total, views.timeline, views.by_key, views.by_endpoint, views.by_ip)
            if view is not None
        ),
        REQUESTS_BY_METHOD,
    ),
}


class Event(BaseModel):
    """One raw event. `tags` is a multi-valued dimension; `received_at` orders arrivals for the rollup.

    A verification may carry `served_request`, the request event of the call to keytally's API that made it: of the
    same organization and five minutes (the raw table's bucket), arriving with it, so that one stored item (one
    write) holds both. Whoever reads requests reads those too."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: EventKind
    org_slug: str
    time: datetime
    received_at: datetime
    dimensions: dict[str, str]
    tags: tuple[str, ...] = ()
    measures: dict[str, float]
    served_request: Event | None = None

    @model_validator(mode="after")
    def _carried_alike(self) -> Event:
        carried = self.served_request
        if carried is not None and not (
            self.kind is EventKind.VERIFICATION
            and carried.kind is EventKind.REQUEST
            and carried.served_request is None
            and carried.org_slug == self.org_slug
            and carried.received_at == self.received_at
            and RAW_BUCKET.floor(carried.time) == RAW_BUCKET.floor(self.time)
        ):
            raise ValueError(
                "a served request rides only on a verification of its organization, five minutes and arrival"
            )
        return self

    def received(self, at: datetime) -> Event:
        """The event (and the request it carries) as arriving at `at`."""
        carried = self.served_request.model_copy(update={"received_at": at}) if self.served_request else None
        return self.model_copy(update={"received_at": at, "served_request": carried})

    def carrying(self, served: Event) -> Event | None:
        """This event with `served` riding on it, or None where it may not: another kind, organization or five
        minutes, or a request carried already."""
        if self.served_request is not None:
            return None
        try:
            return Event.model_validate(
                {**dict(self), "served_request": served.model_copy(update={"received_at": self.received_at})}
            )
        except ValueError:
            return None


VIEW_NAMED = {view.name: view for views in VIEWS.values() for view in views}
