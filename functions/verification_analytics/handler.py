"""The verification_analytics function: GET /v1/analytics/verifications (Unkey's getVerifications)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from keytally.analytics.parameters import UnixMs, key_ids_of
from keytally.analytics.query import ROW_PAGES, TAIL_PAGES
from keytally.analytics.verification_models import GROUP_BY_SCHEMA, Datapoint, GroupBy, Order, OrderBy
from keytally.analytics.verifications import VerificationsQuery, get_verifications
from keytally.fields import Tag
from keytally.models import Scope
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()


@protected(
    app,
    "GET",
    "/v1/analytics/verifications",
    Scope.ANALYTICS_READ,
    errors=(404,),
    summary="Verification counts by outcome",
    description="Unkey's getVerifications. Time is whole hours: `start` is floored and `end` rounded up to the "
    "hour (defaults: the 30 days up to now); `time` is the start of each slice, or of the range when not grouped "
    "by time. Several `keyId`s are summed; several `tag`s keep the verifications that carry all of them (as "
    "Unkey's hasAll). Repeat a parameter for several values; `keyId=a,b` is two keys (no key id holds a comma), "
    "while a tag may contain commas (`tag=a,b` is one tag, as Unkey reads it). "
    "`groupBy=tag` gives one datapoint per tag (untagged verifications drop out), `groupBy=tags` one per tag set. "
    "Counts are exact and include verifications up to the moment of the request. One call reads at most "
    f"{ROW_PAGES} MB of rollup rows (a window holding more is a 422: narrow it or group by a coarser slice) and "
    f"{TAIL_PAGES} MB of events the rollup has not reached yet (more is a 503 while it catches up).",
    tags=["Analytics"],
)
def verifications(
    caller: Caller,
    apiId: Annotated[str, Query(min_length=1, max_length=50, description="Only keys of this API.")],
    externalId: Annotated[str | None, Query(max_length=256, description="Only keys of this identity.")] = None,
    keyId: Annotated[
        list[str] | None, Query(max_length=100, description="Repeatable or comma-separated; summed.")
    ] = None,
    tag: Annotated[list[Tag] | None, Query(max_length=10, description="Repeatable: carrying every one.")] = None,
    start: UnixMs = None,
    end: UnixMs = None,
    groupBy: Annotated[
        list[GroupBy] | None,
        Query(
            max_length=7,
            description="Repeatable. At most one of `hour`, `day` and `month`; `tag` and `tags` exclude each other.",
            json_schema_extra=GROUP_BY_SCHEMA,
        ),
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="At most this many datapoints.")] = None,
    orderBy: Annotated[OrderBy | None, Query(description="`time`, an outcome counter or `total`.")] = None,
    order: Annotated[Order, Query(description="With orderBy.")] = Order.ASC,
) -> Response[Envelope[list[Datapoint]]]:
    query = VerificationsQuery(
        api_id=apiId,
        external_id=externalId,
        key_ids=key_ids_of(keyId),
        tags=tuple(tag or ()),
        start_ms=start,
        end_ms=end,
        group_by=tuple(dict.fromkeys(groupBy or ())),
        limit=limit,
        order_by=orderBy.value if orderBy else None,
        order=order,
    )
    return ok(app.context, app.current_event, get_verifications(caller, query, datetime.now(UTC)))


lambda_handler = http_handler(app)
