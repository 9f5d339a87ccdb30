"""The prometheus_export function: GET /v1/metrics (one organization) and GET /v1/metrics/all (ShellUI's metrics)."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_CONTENT_TYPE

from keytally.analytics.exposition import SnapshotCollector, encode
from keytally.analytics.prometheus import (
    ORGANIZATION_PARAMETERS,
    every_organization,
    require_global_metrics,
    scraped_organization,
    snapshot,
    summaries,
)
from keytally.models import Scope
from keytally.web.app import create_app, http_handler
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()
TEXT = (choose_encoder("")[1], OPENMETRICS_CONTENT_TYPE)  # what a scrape gets by default, and when it asks
TAGS = ["Metrics"]
EXACT = (
    "Counters count every event of the organization (request logs it backfilled from before its creation too), "
    "exactly, up to the moment of the scrape. "
)
FORMAT = (
    "Prometheus' text format, or OpenMetrics 1.0 when `Accept` asks for `application/openmetrics-text`; errors keep "
    "the JSON envelope. Counters never decrease (not across rollups nor when raw events expire). Families: "
    "`keytally_verifications_total{api_id,outcome}`, `keytally_verification_credits_spent_total{api_id}`, "
    "`keytally_requests_total{source,method,code}`, `keytally_request_duration_seconds{source}` (histogram, exact "
    "buckets 0.005 ... 10 s), `keytally_api_keys{state}`, `keytally_rollup_watermark_timestamp_seconds`. A read-only "
    "personal access token suffices."
)


def _text(body: str, content_type: str) -> Response[str]:
    return Response(status_code=200, content_type=content_type, body=body)


@protected(
    app,
    "GET",
    "/v1/metrics",
    Scope.METRICS_READ,
    errors=(404,),
    text=TEXT,
    summary="Prometheus metrics of the credential's organization",
    description="Exactly one organization: the one the credential is bound to (an organization key with "
    "`metrics:read`, or a personal access token bound to an organization whose user is staff or an owner there, "
    f"checked on every scrape). A query parameter naming an organization ({', '.join(sorted(ORGANIZATION_PARAMETERS))})"
    " or any body is a 400, as is a credential bound to no organization; an admin or member is a 403. "
    + EXACT
    + FORMAT,
    tags=TAGS,
)
def organization_metrics(caller: Caller) -> Response[str]:
    event = app.current_event
    org_slug = scraped_organization(caller, (event.query_string_parameters or {}).keys(), bool(event.body))
    collector = SnapshotCollector([snapshot(org_slug, datetime.now(UTC))])
    return _text(*encode(collector, event.headers.get("accept")))


@protected(
    app,
    "GET",
    "/v1/metrics/all",
    None,
    text=TEXT,
    summary="Prometheus metrics of every organization",
    description="Every organization's families, each series labelled `org`, and `keytally_organizations`: each "
    "organization's counters as of its last rollup (minutes behind at most while it has traffic; an organization "
    "appears once its first rollup ran), read in a few requests whatever the number of organizations. For a user "
    "key of a staff user and for personal access tokens created with `access_global_metrics` (their row matching "
    "their claims), while their user is staff (as stored now); never for a credential bound to one organization; "
    "403 otherwise. " + FORMAT,
    tags=TAGS,
)
def all_metrics(caller: Caller) -> Response[str]:
    require_global_metrics(caller)
    collector = SnapshotCollector(summaries(), len(every_organization()))
    return _text(*encode(collector, app.current_event.headers.get("accept")))


lambda_handler = http_handler(app)
