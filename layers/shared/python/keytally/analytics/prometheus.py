"""GET /v1/metrics and /v1/metrics/all (ShellUI's metrics endpoints): who may scrape which organizations, and each
organization's counters since its oldest event, read from the rollup views plus the raw tail (so they are exact at the
moment of the scrape, never decrease, and outlive the raw events' retention).

A scrape of one organization reads, per API, its `verification.total` rows, and per request source its
`request.total` and `request.method` rows: the running total of closed months, day and hour rows of the current
one, and the tail the rollup has not reached; its keys once; and the rollup watermark. What it reads does not grow
with the organization's age.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from keytally.access import organization_since
from keytally.analytics.query import Read, Window, read_views_at
from keytally.auth.principal import CredentialKind, Principal
from keytally.errors import BadRequest, Forbidden
from keytally.models import KeyState, RequestSource, Scope
from keytally.storage import accounts, api_keys, apis
from keytally.storage.rollup_store import rollup_store
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import REQUESTS_BY_METHOD, REQUEST_TOTALS, VERIFICATION_TOTALS
from keytally.timeseries.rows import Row, merge, summed

# Query parameters that would name an organization: the scraped one is the credential's own, never a parameter
ORGANIZATION_PARAMETERS = frozenset({"organizationSlug", "organization", "org", "org_slug", "company_id"})


@dataclass
class OrganizationSnapshot:
    """One organization's counters at one moment."""

    org_slug: str
    verifications: dict[str, Row] = field(default_factory=dict)  # api_id -> counts by outcome, credits summed
    requests: dict[RequestSource, Row] = field(default_factory=dict)  # counts by status, latency counts and sum
    requests_by_method: dict[RequestSource, list[Row]] = field(default_factory=dict)  # per method, counts by status
    keys: Counter[KeyState] = field(default_factory=Counter)
    watermark: datetime | None = None


def scraped_organization(principal: Principal, parameters: Iterable[str], has_body: bool) -> str:
    """GET /v1/metrics: the organization the credential is bound to, if its user is staff or an owner there (an
    organization key: its own, with metrics:read). Naming an organization, or sending a body, is a 400."""
    named = sorted(ORGANIZATION_PARAMETERS.intersection(parameters))
    if named:
        raise BadRequest(f"{named[0]}: the scraped organization is the credential's own; do not name one")
    if has_body:
        raise BadRequest("GET /v1/metrics takes no body.")
    if principal.org_slug is None:
        raise BadRequest(
            "The credential is bound to no organization: scrape with an organization key or a personal access "
            "token bound to one (GET /v1/metrics/all serves staff every organization)."
        )
    principal.require(principal.org_slug, Scope.METRICS_READ)
    return principal.org_slug


def require_global_metrics(principal: Principal) -> None:
    """GET /v1/metrics/all: a user key of a user who is staff now, or a personal access token created with
    access_global_metrics (its row matching its claims) whose user is staff now; never a credential bound to one
    organization."""
    if principal.org_slug is not None:
        raise Forbidden("The credential is bound to one organization: GET /v1/metrics serves that one.")
    if not principal.is_staff:
        raise Forbidden("GET /v1/metrics/all is for staff.")
    if principal.kind is CredentialKind.PERSONAL_ACCESS_TOKEN and not principal.global_metrics:
        raise Forbidden("A personal access token reads GET /v1/metrics/all only if created with access_global_metrics.")


def every_organization() -> list[str]:
    return sorted(organization.slug for organization in accounts.list_organizations())


def snapshot(org_slug: str, now: datetime) -> OrganizationSnapshot:
    """One read of every view (one raw tail per kind of event), the keys once, the watermark once."""
    since = organization_since(org_slug)
    window = Window(Granularity.HOUR.floor(since), Granularity.HOUR.ceil(now), None)
    api_ids = [api.api_id for api in apis.list_apis(org_slug)]
    sources = list(RequestSource)
    reads = [
        Read(VERIFICATION_TOTALS, VERIFICATION_TOTALS.partition_of({"api_id": api_id}), window) for api_id in api_ids
    ] + [
        Read(view, view.partition_of({"source": source.value}), window)
        for source in sources
        for view in (REQUEST_TOTALS, REQUESTS_BY_METHOD)
    ]
    watermark = rollup_store().get_watermark(org_slug)
    rows_of = iter(
        [row for _, row in slices] for slices in read_views_at(org_slug, reads, now, since=since, watermark=watermark)
    )
    found = OrganizationSnapshot(org_slug, watermark=watermark)
    for api_id in api_ids:
        found.verifications[api_id] = summed(next(rows_of))
    for source in sources:
        found.requests[source] = summed(next(rows_of))
        by_method = merge(next(rows_of)).values()
        found.requests_by_method[source] = sorted(by_method, key=lambda row: row.dimensions["method"])
    found.keys = Counter(key.state_at(now) for key in api_keys.keys_of_organization(org_slug) if key.created_time < now)
    return found
