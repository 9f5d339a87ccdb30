"""The verification_analytics function: GET /v1/analytics/verifications (Unkey's getVerifications)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.analytics.verification_models import Datapoint, GroupBy, Order, OrderBy
from keytally.analytics.verifications import VerificationsQuery, get_verifications
from keytally.auth.principal import Principal
from keytally.auth.scopes import Scope
from keytally.observability import logger, metrics, tracer
from keytally.web.app import create_app
from keytally.web.envelope import Envelope, ok
from keytally.web.openapi import route_responses
from keytally.web.security import BEARER_SECURITY, RequireScope, current_principal

app = create_app()
UnixMs = Annotated[int | None, Query(ge=0, le=253_402_300_799_999, description="Unix milliseconds.")]


@app.get(
    "/v1/analytics/verifications",
    summary="Verification counts by outcome",
    description="Unkey's getVerifications. Time is whole hours: `start` is floored and `end` rounded up to the "
    "hour (defaults: the 30 days up to now); `time` is the start of each slice, or of the range when not grouped "
    "by time. Several `keyId`s or `tag`s are summed; a `tag` filter keeps verifications carrying any of them. "
    "`groupBy=tag` gives one datapoint per tag (untagged verifications drop out), `groupBy=tags` one per tag set. "
    "Counts are exact and include verifications up to the moment of the request.",
    middlewares=[RequireScope(Scope.ANALYTICS_READ)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=["Analytics"],
)
def verifications(
    caller: Annotated[Principal, Depends(current_principal)],
    apiId: Annotated[str, Query(min_length=1, max_length=50, description="Only keys of this API.")],
    externalId: Annotated[str | None, Query(max_length=256, description="Only keys of this identity.")] = None,
    keyId: Annotated[list[str] | None, Query(max_length=100, description="Repeatable; summed.")] = None,
    tag: Annotated[list[str] | None, Query(max_length=10, description="Repeatable; summed.")] = None,
    start: UnixMs = None,
    end: UnixMs = None,
    groupBy: Annotated[list[GroupBy] | None, Query(max_length=7, description="Repeatable.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="At most this many datapoints.")] = None,
    orderBy: Annotated[OrderBy | None, Query(description="An outcome counter or `total`.")] = None,
    order: Annotated[Order, Query(description="With orderBy.")] = Order.ASC,
) -> Response[Envelope[list[Datapoint]]]:
    query = VerificationsQuery(
        api_id=apiId,
        external_id=externalId,
        key_ids=tuple(keyId or ()),
        tags=tuple(tag or ()),
        start_ms=start,
        end_ms=end,
        group_by=tuple(dict.fromkeys(groupBy or ())),
        limit=limit,
        order_by=orderBy.value if orderBy else None,
        order=order,
    )
    return ok(app.context, app.current_event, get_verifications(caller, query, datetime.now(UTC)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
