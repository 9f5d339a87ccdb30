"""The org_metrics function: POST /v1/organizations/metrics (ChainPatrol's Get Organization Metrics)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from keytally.analytics.organization import get_organization_metrics
from keytally.analytics.organization_models import OrganizationMetrics, OrganizationMetricsRequest
from keytally.analytics.query import ROW_PAGES, TAIL_PAGES
from keytally.models import Scope
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()


@protected(
    app,
    "POST",
    "/v1/organizations/metrics",
    Scope.ANALYTICS_READ,
    errors=(404,),
    reads_only=True,  # a query sent as a POST, as ChainPatrol's: a read-only token may send it
    summary="Organization metrics",
    description="ChainPatrol's Get Organization Metrics: one organization's verifications by outcome, credits "
    "spent, identities verified, ingested requests, keys and APIs over `startDate`..`endDate` (default: all time, "
    "from the organization's creation to now). Time is whole hours, UTC: a start is floored and an end rounded up "
    "to the hour, a date-only `endDate` includes its whole day; the answer gives the range as resolved. An "
    "organization key may read only its own organization; a user key any organization its user is an active "
    'member of; staff any. Otherwise 403 "You do not have permission to access metrics for this organization", '
    "whether or not the organization exists (staff get 404 for one that does not). Counts are exact and outlive "
    "the raw events' retention (they come from rollups kept for good); percentiles are within 1%. Each of the "
    f"organization's APIs adds three reads of at most {ROW_PAGES} MB of rollup rows each; the raw tail is at most "
    f"{TAIL_PAGES} MB (more is a 503 while the rollup catches up).",
    tags=["Analytics"],
)
def organization_metrics(
    caller: Caller, request: Annotated[OrganizationMetricsRequest, Body()]
) -> Response[Envelope[OrganizationMetrics]]:
    return ok(app.context, app.current_event, get_organization_metrics(caller, request, datetime.now(UTC)))


lambda_handler = http_handler(app)
