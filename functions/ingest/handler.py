"""The ingest function: POST /v1/events, request logs of an organization's own API, idempotent by event_id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from keytally.ingest import service
from keytally.ingest.models import MAX_BATCH, IngestEvents, IngestResult
from keytally.models import Scope
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()


@protected(
    app,
    "POST",
    "/v1/events",
    Scope.EVENTS_WRITE,
    errors=(404,),
    summary="Ingest request-log events",
    description=f"Up to {MAX_BATCH} requests your API served with your organization's keys. Each event is "
    "answered `accepted`, `duplicate` (its `event_id` was already stored for those five minutes of `time`: a "
    "retried batch counts once) or `rejected` with a `reason`: `unknown_api_key` (no such key in the "
    "organization), `too_old` (beyond the 35-day raw retention), `in_the_future` (more than 5 minutes ahead), or "
    "`not_stored` (`retryable`: neither the store nor its overflow queue took it; send the batch again). Only "
    "events stored, or queued to be stored when the store is busy, are accepted. A malformed batch is 422 and "
    "stores nothing.",
    tags=["Usage events"],
)
def ingest_events(caller: Caller, batch: Annotated[IngestEvents, Body()]) -> Response[Envelope[IngestResult]]:
    return ok(app.context, app.current_event, service.ingest(caller, batch, datetime.now(UTC)))


lambda_handler = http_handler(app)
