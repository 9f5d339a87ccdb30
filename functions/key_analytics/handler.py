"""The key_analytics function: GET /v1/analytics/api_keys (BitGPT's API key analytics)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from keytally.analytics.parameters import UnixMs
from keytally.analytics.query import ROW_PAGES, TAIL_PAGES
from keytally.analytics.request_models import RequestAnalytics
from keytally.analytics.requests import RequestsQuery, get_request_analytics
from keytally.fields import ID_PATTERN
from keytally.models import RequestSource, Scope
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()


@protected(
    app,
    "GET",
    "/v1/analytics/api_keys",
    Scope.ANALYTICS_READ,
    errors=(404,),
    summary="Request analytics of an organization's API keys",
    description="BitGPT's API key analytics over the requests of one source: `ingested` (request logs sent to "
    "POST /v1/events, the default) or `keytally` (calls to keytally's own API made with the organization's keys). "
    "Time is whole hours: `start` is floored and `end` rounded up to the hour (defaults: the 24 hours up to now); "
    "`prev_core_metrics` is the window of equal length just before. Success is a status below 400. Counts, rates, "
    "bins, min, max and averages are exact, the percentiles within 1%; everything includes requests up to the "
    "moment of the call. The organization is the credential's own, or `organizationSlug` for user and staff keys. "
    f"One call reads at most {ROW_PAGES} MB of rollup rows per view (a window holding more is a 422: narrow it) "
    f"and {TAIL_PAGES} MB of events the rollup has not reached yet (more is a 503 while it catches up).",
    tags=["Analytics"],
)
def api_key_analytics(
    caller: Caller,
    start: UnixMs = None,
    end: UnixMs = None,
    organizationSlug: Annotated[str | None, Query(max_length=64, description="Required for user keys.")] = None,
    apiKeyId: Annotated[
        str | None, Query(max_length=50, pattern=ID_PATTERN, description="Only requests made with this key.")
    ] = None,
    endpoint: Annotated[str | None, Query(min_length=1, max_length=512, description="Only this endpoint.")] = None,
    source: Annotated[RequestSource, Query(description="Whose requests.")] = RequestSource.INGESTED,
    limit: Annotated[int, Query(ge=1, le=100, description="Length of the top lists.")] = 10,
    latencyTimeline: Annotated[
        bool,
        Query(description="keytally's: also `latency_timeline`, the percentiles per slice (about a third more read)."),
    ] = False,
) -> Response[Envelope[RequestAnalytics]]:
    query = RequestsQuery(
        organization_slug=organizationSlug,
        api_key_id=apiKeyId,
        endpoint=endpoint,
        source=source,
        start_ms=start,
        end_ms=end,
        limit=limit,
        latency_timeline=latencyTimeline,
    )
    return ok(app.context, app.current_event, get_request_analytics(caller, query, datetime.now(UTC)))


lambda_handler = http_handler(app)
