"""POST /v1/organizations/metrics (ChainPatrol's Get Organization Metrics): one organization's verifications, credits
spent, identities, ingested requests, keys and APIs over a range of whole hours, all time by default.

Counts come from the rollup views (month rows are kept for good), so an answer outlives the raw events' retention:
only the tail the rollup has not reached is read raw. Reads grow with the organization's APIs, its month (or day,
or hour) tiles in range and the identities and keys active in them; its keys are read once, whatever the range.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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
from keytally.models import Code, KeyRecord, RequestSource, Scope
from keytally.storage import api_keys, apis
from keytally.timeseries.buckets import EARLIEST, Granularity
from keytally.timeseries.records import (
    REQUESTS_BY_KEY,
    REQUEST_TOTALS,
    VERIFICATIONS_BY_IDENTITY,
    VERIFICATIONS_BY_KEY,
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
    verification_views = (VERIFICATION_TOTALS, VERIFICATIONS_BY_IDENTITY, VERIFICATIONS_BY_KEY)
    verification_reads = [
        Read(view, view.partition_of({"api_id": api.api_id}), window)
        for api in api_records
        for view in verification_views
    ]
    request_reads = [
        Read(view, view.partition_of({"source": source.value}), window)
        for view, source in (
            (REQUEST_TOTALS, RequestSource.INGESTED),
            (REQUESTS_BY_KEY, RequestSource.INGESTED),
            (REQUESTS_BY_KEY, RequestSource.KEYTALLY),
        )
    ]
    reads = verification_reads + request_reads
    rows_of = _rows_by_view(reads, read_views(org_slug, reads, now, since=since))
    verifications = summed(rows_of[VERIFICATION_TOTALS])
    keys = api_keys.keys_of_organization(org_slug)
    used = {row.dimensions["key_id"] for view in (VERIFICATIONS_BY_KEY, REQUESTS_BY_KEY) for row in rows_of[view]}
    return OrganizationMetrics(
        organizationSlug=org_slug,
        startDate=window.start,
        endDate=window.end,
        verifications=_verification_counts(verifications),
        creditsSpent=round(verifications.sums.get("credits", 0)),
        identities=len({row.dimensions["identity"] for row in rows_of[VERIFICATIONS_BY_IDENTITY]} - {""}),
        requests=_request_figures(summed(rows_of[REQUEST_TOTALS])),
        keys=_key_counts(keys, window, used),
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


def _key_counts(keys: list[KeyRecord], window: Window, used: set[str]) -> KeyCounts:
    existing = [key for key in keys if key.created_time < window.end]
    states = Counter(key.state_at(window.end) for key in existing)
    return KeyCounts(
        total=len(existing),
        active=states["active"],
        disabled=states["disabled"],
        expired=states["expired"],
        revoked=states["revoked"],
        createdInRange=sum(window.start <= key.created_time < window.end for key in existing),
        usedInRange=sum(key.api_key_id in used for key in existing),
    )
