"""POST /v1/organizations/metrics (ChainPatrol's Get Organization Metrics): one organization's verifications, credits
spent, identities, ingested requests, keys and APIs over a range of whole hours, all time by default.

Counts come from the rollup views (month rows are kept for good), so an answer outlives the raw events' retention:
only the tail the rollup has not reached is read raw. Identities and keys used are distinct values of rankings
(keytally.timeseries.ranking): exact while no bucket left a value out, else estimated within the stated error. Keys
by state come from the key census at startDate and endDate. Reads grow with the organization's APIs and its month
(or day, or hour) tiles in range: one row per view and tile, never one per key or identity.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from keytally.access import organization_for, organization_since
from keytally.analytics.figures import average_latency, errors, latency_percentile, percent
from keytally.analytics.organization_models import (
    KeyCounts,
    OrganizationMetrics,
    OrganizationMetricsRequest,
    RequestFigures,
    VerificationCounts,
)
from keytally.analytics.outcome_fields import OUTCOME_FIELDS
from keytally.analytics.query import LATEST, Read, Slice, Window, read_views
from keytally.auth.principal import Principal
from keytally.errors import Unprocessable
from keytally.models import Code, RequestSource, Scope
from keytally.storage import api_keys, apis
from keytally.timeseries.buckets import EARLIEST, Granularity
from keytally.timeseries.key_census import CREATED
from keytally.timeseries.ranking import Distinct, Ranking
from keytally.timeseries.records import (
    REQUEST_KEYS,
    REQUEST_TOTALS,
    VERIFICATION_IDENTITIES,
    VERIFICATION_KEYS,
    VERIFICATION_TOTALS,
    View,
)
from keytally.timeseries.rows import Row, summed


def get_organization_metrics(
    principal: Principal, request: OrganizationMetricsRequest, now: datetime
) -> OrganizationMetrics:
    org_slug = organization_for(principal, request.organizationSlug, Scope.ANALYTICS_READ)
    since = organization_since(org_slug)
    window = metrics_window(request, since, now)
    api_records = apis.list_apis(org_slug)
    verification_views = (VERIFICATION_TOTALS, VERIFICATION_IDENTITIES, VERIFICATION_KEYS)
    verification_reads = [
        Read(view, view.partition_of({"api_id": api.api_id}), window)
        for api in api_records
        for view in verification_views
    ]
    request_reads = [
        Read(view, view.partition_of({"source": source.value}), window)
        for view, sources in ((REQUEST_TOTALS, [RequestSource.INGESTED]), (REQUEST_KEYS, list(RequestSource)))
        for source in sources
    ]
    reads = verification_reads + request_reads
    rows_of = _rows_by_view(reads, read_views(org_slug, reads, now, since=since))
    verifications = summed(rows_of[VERIFICATION_TOTALS])
    identities = _distinct(rows_of[VERIFICATION_IDENTITIES])
    return OrganizationMetrics(
        organizationSlug=org_slug,
        startDate=window.start,
        endDate=window.end,
        verifications=_verification_counts(verifications),
        creditsSpent=round(verifications.sums.get("credits", 0)),
        identities=identities.values,
        identitiesErrorPct=identities.error_pct,
        requests=_request_figures(summed(rows_of[REQUEST_TOTALS])),
        keys=_key_counts(org_slug, window, _distinct(rows_of[VERIFICATION_KEYS] + rows_of[REQUEST_KEYS])),
        apis=sum(api.created_time < window.end for api in api_records),
    )


def metrics_window(request: OrganizationMetricsRequest, since: datetime, now: datetime) -> Window:
    """[startDate, endDate) in whole hours: a date is its UTC day (an endDate date includes it), an instant is floored
    (start) or rounded up (end) to the hour; by default from the oldest time the organization's events can bear (or
    endDate, if earlier: nothing) to now."""
    end = _instant(request.endDate) if request.endDate is not None else now
    start = _instant(request.startDate) if request.startDate is not None else min(since, end)
    if start > end:
        raise Unprocessable("startDate: must not be after endDate")
    if isinstance(request.endDate, date) and not isinstance(request.endDate, datetime):
        end = end + timedelta(days=1) if end < LATEST else LATEST
    start, end = (min(max(moment, EARLIEST), LATEST) for moment in (start, end))
    return Window(Granularity.HOUR.floor(start), Granularity.HOUR.ceil(end), None)


def _instant(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _rows_by_view(reads: list[Read], slices: list[list[Slice]]) -> dict[View, list[Row]]:
    """Each view's rows, of every partition read (none for a view not read: an organization without APIs)."""
    rows: dict[View, list[Row]] = defaultdict(list)
    for read, read_slices in zip(reads, slices, strict=True):
        rows[read.view].extend(row for _, row in read_slices)
    return rows


def _verification_counts(total: Row) -> VerificationCounts:
    counts = {OUTCOME_FIELDS[Code(code)]: count for code, count in total.counts.items()}
    return VerificationCounts(total=total.total, **(dict.fromkeys(OUTCOME_FIELDS.values(), 0) | counts))


def _request_figures(total: Row) -> RequestFigures:
    failed = errors(total)
    return RequestFigures(
        total=total.total,
        success=total.total - failed,
        errors=failed,
        successRatePct=percent(total.total - failed, total.total),
        avgLatencyMs=average_latency(total),
        p50LatencyMs=latency_percentile(total, 0.5),
        p95LatencyMs=latency_percentile(total, 0.95),
        p99LatencyMs=latency_percentile(total, 0.99),
    )


def _distinct(rows: list[Row]) -> Distinct:
    """How many distinct values the rows' rankings hold, the empty one (no key, no identity) not counted."""
    merged = Ranking()
    for row in rows:
        if row.ranking is not None:
            merged.absorb(row.ranking)
    return merged.distinct()


def _key_counts(org_slug: str, window: Window, used: Distinct) -> KeyCounts:
    at_start, at_end = api_keys.states_at(org_slug, window.start, window.end)
    return KeyCounts(
        total=at_end[CREATED],
        active=at_end["active"],
        disabled=at_end["disabled"],
        expired=at_end["expired"],
        revoked=at_end["revoked"],
        createdInRange=at_end[CREATED] - at_start[CREATED],
        usedInRange=used.values,
        usedInRangeErrorPct=used.error_pct,
    )
