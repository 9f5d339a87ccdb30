"""The ingest function: POST /v1/events, request logs of an organization's own API, idempotent by event_id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.auth.principal import Principal
from keytally.auth.scopes import Scope
from keytally.ingestion import service
from keytally.ingestion.models import MAX_BATCH, IngestEvents, IngestResult
from keytally.observability import logger, metrics, tracer
from keytally.web.app import create_app
from keytally.web.envelope import Envelope, ok
from keytally.web.openapi import route_responses
from keytally.web.security import BEARER_SECURITY, RequireScope, current_principal

app = create_app()


@app.post(
    "/v1/events",
    summary="Ingest request-log events",
    description=f"Up to {MAX_BATCH} requests your API served with your organization's keys. Each event is "
    "answered `accepted`, `duplicate` (its `event_id` was already stored for that hour: a retried batch counts "
    "once) or `rejected` with a `reason`: `unknown_api_key` (no such key in the organization), `too_old` (beyond "
    "the 35-day raw retention), `in_the_future` (more than 5 minutes ahead), or `not_stored` (`retryable`: the "
    "store kept refusing it; send the batch again). Only stored events are accepted. A malformed batch is 422 "
    "and stores nothing.",
    middlewares=[RequireScope(Scope.EVENTS_WRITE)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=["Usage events"],
)
def ingest_events(
    caller: Annotated[Principal, Depends(current_principal)], batch: Annotated[IngestEvents, Body()]
) -> Response[Envelope[IngestResult]]:
    return ok(app.context, app.current_event, service.ingest(caller, batch, datetime.now(UTC)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
