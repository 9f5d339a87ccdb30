"""GET /v1/metrics and /v1/metrics/all (ShellUI's metrics endpoints): who may scrape which organizations, and each
organization's counters since its oldest event, read from the rollup views plus the raw tail (so they are exact at the
moment of the scrape, never decrease, and outlive the raw events' retention).

A scrape of one organization reads, per API, its `verification.total` rows, and per request source its
`request.total` and `request.method` rows: the running total of closed months, day and hour rows of the current
one, and the tail the rollup has not reached; its keys once; and the rollup watermark. What it reads does not grow
with the organization's age.

A scrape of every organization reads what the rollup worker noted after each organization's last run: the same
snapshot, taken then (storage/org_summaries.py) — a few Query pages for all of them, however many there are, each
organization's counters as of its last rollup (minutes behind at most while it has traffic; the watermark family
says when). They never decrease either: a later run's counters count everything an earlier one's did.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from keytally.access import organization_since
from keytally.analytics.query import Read, Window, read_views_at
from keytally.auth.principal import CredentialKind, Principal
from keytally.errors import BadRequest, Forbidden
from keytally.models import KeyState, RequestSource, Scope
from keytally.storage import accounts, api_keys, apis, org_summaries
from keytally.storage.rollup_store import rollup_store
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import LATENCY, REQUESTS_BY_METHOD, REQUEST_TOTALS, VERIFICATION_TOTALS
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

    def to_json(self) -> str:
        """What the export shows of it, compactly (counts by label, the latency histogram and sum, the watermark)."""
        return json.dumps(
            {
                "verifications": {
                    api_id: {"counts": row.counts, "credits": row.sums.get("credits", 0)}
                    for api_id, row in self.verifications.items()
                },
                "requests": {
                    source.value: {
                        "counts": row.counts,
                        "at_most": {repr(bound): count for bound, count in row.at_most.items()},
                        "latency": row.sums.get(LATENCY, 0),
                    }
                    for source, row in self.requests.items()
                },
                "by_method": {
                    source.value: {row.dimensions["method"]: row.counts for row in rows}
                    for source, rows in self.requests_by_method.items()
                },
                "keys": self.keys,
                "watermark": self.watermark.isoformat() if self.watermark else None,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, org_slug: str, body: str) -> OrganizationSnapshot:
        data: dict[str, Any] = json.loads(body)
        found = cls(org_slug, keys=Counter(data["keys"]))
        found.watermark = datetime.fromisoformat(data["watermark"]) if data["watermark"] else None
        for api_id, counted in data["verifications"].items():
            found.verifications[api_id] = Row({}, (), Counter(counted["counts"]), {"credits": counted["credits"]})
        for source, counted in data["requests"].items():
            at_most = Counter({float(bound): count for bound, count in counted["at_most"].items()})
            row = Row({}, (), Counter(counted["counts"]), {LATENCY: counted["latency"]}, at_most=at_most)
            found.requests[RequestSource(source)] = row
        for source, methods in data["by_method"].items():
            found.requests_by_method[RequestSource(source)] = [
                Row({"method": method}, (), Counter(counts)) for method, counts in sorted(methods.items())
            ]
        return found


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
    [states] = api_keys.states_at(org_slug, now)
    found.keys = Counter({state: states[state] for state in get_args(KeyState)})
    return found


def summarize(org_slug: str, now: datetime) -> None:
    """Notes the organization's snapshot for GET /v1/metrics/all (the rollup worker, after each run), having first
    counted in its key census keys older than the census, if any are left (api_keys.count_uncounted_keys)."""
    api_keys.count_uncounted_keys(org_slug)
    org_summaries.put(org_slug, snapshot(org_slug, now).to_json(), now)


def summaries() -> list[OrganizationSnapshot]:
    """Every organization's snapshot as its last rollup noted it, by slug (a few Query pages in all)."""
    return [OrganizationSnapshot.from_json(org_slug, body) for org_slug, body in org_summaries.every()]
