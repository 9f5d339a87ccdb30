"""GET /v1/analytics/verifications (Unkey's getVerifications): one API's verifications counted by outcome,
filtered by key, identity and tag, grouped by time slice, key, identity, tag or tag set.

A query reads the one view that holds what it asks: the keys it names (a partition each), the identity it names,
the rankings of keys, of identities or of pairs of both when it groups by them (keytally.timeseries.ranking: past a
few hundred an hour a datapoint may undercount, and says by how much; a datapoint marked `other` counts the values
left out), else the API's totals (a row per tag set) — so every query reads the same whatever the number of the API's
keys and identities.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from keytally.access import api_for
from keytally.analytics.outcome_fields import OUTCOME_FIELDS
from keytally.analytics.query import Read, Slice, Window, grouped, read_views, window_of
from keytally.analytics.verification_models import EXCLUSIVE_GROUPINGS, Datapoint, GroupBy, Order
from keytally.auth.principal import Principal
from keytally.errors import Unprocessable
from keytally.models import Code, Scope, identity_of
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.ranking import Ranking
from keytally.timeseries.records import (
    VERIFICATIONS_OF_IDENTITY,
    VERIFICATIONS_OF_KEY,
    VERIFICATION_IDENTITIES,
    VERIFICATION_KEYS,
    VERIFICATION_KEY_IDENTITIES,
    VERIFICATION_TOTALS,
    View,
)
from keytally.timeseries.rows import Row

DEFAULT_RANGE = timedelta(days=30)
UNDERCOUNT = "undercount"  # a ranked value's row: how many verifications it may have beyond its counts
OTHER = "other"  # the dimension that marks the row counting what a ranking left out (out of band of any value)
# (time slice, key id, external id, tag or tag set, whether it counts what rankings left out): a datapoint's identity
Group = tuple[datetime, str | None, str | None, str | tuple[str, ...] | None, bool]
TIME_GROUPS = {GroupBy.HOUR: Granularity.HOUR, GroupBy.DAY: Granularity.DAY, GroupBy.MONTH: Granularity.MONTH}


class VerificationsQuery(NamedTuple):
    api_id: str
    external_id: str | None
    key_ids: tuple[str, ...]
    tags: tuple[str, ...]
    start_ms: int | None
    end_ms: int | None
    group_by: tuple[GroupBy, ...]
    limit: int | None
    order_by: str | None
    order: Order


def verifications_window(query: VerificationsQuery, now: datetime) -> Window:
    """The query's window, sliced by its time group; contradictory groupings are a 422."""
    for one, other in EXCLUSIVE_GROUPINGS:
        if one in query.group_by and other in query.group_by:
            raise Unprocessable(f"groupBy: '{one.value}' and '{other.value}' exclude each other")
    slices = next((TIME_GROUPS[group] for group in query.group_by if group in TIME_GROUPS), None)
    return window_of(query.start_ms, query.end_ms, now, default_range=DEFAULT_RANGE, slices=slices)


def get_verifications(principal: Principal, query: VerificationsQuery, now: datetime) -> list[Datapoint]:
    api = api_for(principal, query.api_id, Scope.ANALYTICS_READ)
    window = verifications_window(query, now)
    return datapoints(api.org_slug, query, read_verifications(api.org_slug, query, window, now, since=api.created_time))


def read_verifications(
    org_slug: str, query: VerificationsQuery, window: Window, now: datetime, *, since: datetime
) -> list[Slice]:
    """The rows of the view the query needs (see the module), each with the dimension values it filters on."""
    api = {"api_id": query.api_id}
    if query.key_ids:
        fixed = [{"key_id": key_id} for key_id in dict.fromkeys(query.key_ids)]
        view = VERIFICATIONS_OF_KEY
    elif query.external_id is not None:
        fixed, view = [{"identity": query.external_id}], VERIFICATIONS_OF_IDENTITY
    else:
        fixed, grouped_by = [{}], {GroupBy.KEY, GroupBy.IDENTITY} & set(query.group_by)
        view = (
            VERIFICATION_KEY_IDENTITIES
            if len(grouped_by) == 2
            else VERIFICATION_KEYS
            if GroupBy.KEY in grouped_by
            else VERIFICATION_IDENTITIES
            if GroupBy.IDENTITY in grouped_by
            else VERIFICATION_TOTALS
        )
    reads = [Read(view, view.partition_of(api | values), window) for values in fixed]
    read = read_views(org_slug, reads, now, since=since)
    slices = [
        (start, replace(row, dimensions=row.dimensions | values) if values else row)
        for values, view_slices in zip(fixed, read, strict=True)
        for start, row in view_slices
    ]
    return _per_value(view, slices) if view.ranked else slices


def _per_value(view: View, slices: list[Slice]) -> list[Slice]:
    """Ranking rows as rows per ranked value, per time slice and tag set, and one for the rest (marked OTHER). A
    value's row keeps its error as the UNDERCOUNT sum; a tag set's ranking that left values out and does not list one
    its slice's others do gives it a row of no counts and that ranking's bound, so a group summing several tag sets
    states all it may miss."""
    merged = grouped(slices, lambda start, row: [(start, row.tags)])
    values_of: dict[datetime, set[str]] = defaultdict(set)
    for (start, _), row in merged.items():
        values_of[start].update(row.ranking.entries if row.ranking else ())
    rows: list[Slice] = []
    for (start, tags), row in merged.items():
        ranking = row.ranking or Ranking()
        for value in sorted(values_of[start] if ranking.bound else ranking.entries):
            counts = Counter(ranking.entries.get(value, Counter()))
            error = ranking.error_of(value)
            rows.append(
                (
                    start,
                    Row(view.ranked_dimensions(value), tags, counts=counts, sums={UNDERCOUNT: error} if error else {}),
                )
            )
        if ranking.other.total():
            rows.append((start, Row({OTHER: "yes"}, tags, counts=Counter(ranking.other))))
    return rows


def datapoints(org_slug: str, query: VerificationsQuery, slices: Iterable[Slice]) -> list[Datapoint]:
    """The datapoints of the query's groups, in time order (then by orderBy), at most `limit` of them."""
    groups = grouped(slices, lambda slice_start, row: _groups_of(query, slice_start, row))
    points = [_datapoint(org_slug, query, group, row) for group, row in groups.items() if row.total]
    points.sort(key=lambda point: (point.time, bool(point.other), point.keyId or "", point.tag or "", point.tags or []))
    if query.order_by:
        points.sort(key=lambda point: getattr(point, query.order_by or ""), reverse=query.order is Order.DESC)
    return points[: query.limit] if query.limit else points


def _groups_of(query: VerificationsQuery, slice_start: datetime, row: Row) -> list[Group]:
    """(slice, key, identity, tag, other) groups the row counts in: none when a filter excludes it, or when it is
    grouped by key or identity and has none (a verification of an unknown key; a key of no identity), as Unkey leaves
    those out; one per tag when grouped by tag. A row of what rankings left out has a group of its own (`other`)."""
    key_id, external_id = row.dimensions.get("key_id", ""), row.dimensions.get("identity", "")
    other = OTHER in row.dimensions
    if query.key_ids and key_id not in query.key_ids:
        return []
    if not other and (
        (GroupBy.KEY in query.group_by and not key_id) or (GroupBy.IDENTITY in query.group_by and not external_id)
    ):
        return []
    if query.external_id is not None and external_id != query.external_id:
        return []
    if not set(query.tags) <= set(row.tags):  # Unkey's hasAll: every tag asked for
        return []
    tags: Iterable[str | tuple[str, ...] | None] = (
        row.tags if GroupBy.TAG in query.group_by else [row.tags] if GroupBy.TAGS in query.group_by else [None]
    )
    return [
        (
            slice_start,
            key_id if GroupBy.KEY in query.group_by else None,
            external_id if GroupBy.IDENTITY in query.group_by else None,
            tag,
            other,
        )
        for tag in tags
    ]


def _datapoint(org_slug: str, query: VerificationsQuery, group: Group, row: Row) -> Datapoint:
    slice_start, key_id, external_id, tag, other = group
    fields: dict[str, Any] = {OUTCOME_FIELDS[Code(code)]: count for code, count in row.counts.items()}
    fields["total"] = row.total
    if other:
        fields["other"] = True
    elif GroupBy.KEY in query.group_by:
        fields["keyId"] = key_id or None
    if GroupBy.IDENTITY in query.group_by and not other:
        fields["identity"] = identity_of(org_slug, external_id)
    if undercount := round(row.sums.get(UNDERCOUNT, 0)):
        fields["maxUndercount"] = undercount
    if GroupBy.TAG in query.group_by:
        fields["tag"] = tag
    if GroupBy.TAGS in query.group_by:
        fields["tags"] = list(tag or ())
    return Datapoint(time=int(slice_start.timestamp() * 1000), **fields)
