"""The unkey function: Unkey's API as its SDKs call it (v1: `/v1/<namespace>.<operation>`, v2:
`/v2/<namespace>.<operation>`), answered in Unkey's shapes, with a keytally organization or user key as the root
key: keys, APIs and analytics (verification and rate limiting answer in functions/unkey_verify)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from keytally.analytics.parameters import UnixMs
from keytally.analytics.verification_models import Datapoint, Order, OrderBy
from keytally.analytics.verifications import VerificationsQuery
from keytally.api_keys import service as api_keys
from keytally.api_keys.models import ExternalId
from keytally.errors import Unimplemented, Unprocessable
from keytally.fields import ID_PATTERN
from keytally.models import Scope
from keytally.unkey import keys, responses
from keytally.unkey.analytics import KeyVerifications, key_verifications, verifications
from keytally.unkey.create_key import CreatedKey, V1CreateKey, V2CreateKey
from keytally.unkey.credits import V1Remaining, V1UpdateRemaining, V2UpdateCredits
from keytally.unkey.keys import V1Api, V1Key, V2Api, V2Credits, V2Key
from keytally.unkey.list_keys import V1KeyList, V2KeyList, V2ListKeys, V2Pagination
from keytally.unkey.responses import V2Envelope
from keytally.unkey.routes import unkey_route
from keytally.unkey.update_key import V1UpdateKey, V2UpdateKey
from keytally.web.app import create_app, http_handler
from keytally.web.security import Caller

app = create_app(render_error=responses.by_version)


Id = Annotated[str, Field(min_length=1, max_length=255, pattern=ID_PATTERN)]
IdQuery = Annotated[str, Query(min_length=1, max_length=255, pattern=ID_PATTERN)]


KEPT = "keytally keeps a revoked key's record: true is a 400."


class Empty(BaseModel):
    """What Unkey answers when there is nothing to say."""

    model_config = ConfigDict(extra="forbid")


class V1DeleteKey(BaseModel):
    keyId: Id
    permanent: Literal[False] = Field(False, description=KEPT)


class V2KeyId(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: Id
    decrypt: Literal[False] = Field(False, description="keytally keeps only a hash of each key: true is a 400.")


class V2DeleteKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: Id
    permanent: Literal[False] = Field(False, description=KEPT)


class V2ApiId(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apiId: Id


class V2AnalyticsQuery(BaseModel):
    query: str = Field(min_length=1, max_length=10_000)


def _create(caller: Caller, request: V1CreateKey | V2CreateKey) -> CreatedKey:
    record, key = api_keys.create_key(caller, request.request(), datetime.now(UTC))
    return CreatedKey(keyId=record.api_key_id, key=key)


CREATE = (
    "A keytally product key in the API; the key itself is in the answer, this once. A retried request creates "
    "a second key."
)


@unkey_route(
    app, "POST", "/v1/keys.createKey", Scope.KEYS_WRITE, "Create a key (Unkey v1)", errors=(404,), description=CREATE
)
def v1_create_key(caller: Caller, request: Annotated[V1CreateKey, Body()]) -> Response[CreatedKey]:
    return responses.v1_ok(app.context, app.current_event, _create(caller, request))


@unkey_route(
    app, "POST", "/v2/keys.createKey", Scope.KEYS_WRITE, "Create a key (Unkey v2)", errors=(404,), description=CREATE
)
def v2_create_key(caller: Caller, request: Annotated[V2CreateKey, Body()]) -> Response[V2Envelope[CreatedKey]]:
    return responses.v2_ok(app.context, app.current_event, _create(caller, request))


@unkey_route(app, "GET", "/v1/keys.getKey", Scope.KEYS_READ, "Get a key (Unkey v1)", errors=(404,))
def v1_get_key(caller: Caller, keyId: IdQuery) -> Response[V1Key]:
    return responses.v1_ok(app.context, app.current_event, V1Key.of(keys.product_key(caller, keyId)))


@unkey_route(app, "POST", "/v1/keys.deleteKey", Scope.KEYS_WRITE, "Revoke a key (Unkey v1)", errors=(404,))
def v1_delete_key(caller: Caller, request: Annotated[V1DeleteKey, Body()]) -> Response[Empty]:
    keys.delete_key(caller, request.keyId, datetime.now(UTC))
    return responses.v1_ok(app.context, app.current_event, Empty())


@unkey_route(app, "GET", "/v1/apis.getApi", Scope.KEYS_READ, "Get an API (Unkey v1)", errors=(404,))
def v1_get_api(caller: Caller, apiId: IdQuery) -> Response[V1Api]:
    api = keys.api_of(caller, apiId)
    return responses.v1_ok(
        app.context, app.current_event, V1Api(id=api.api_id, workspaceId=api.org_slug, name=api.name)
    )


@unkey_route(app, "POST", "/v2/keys.getKey", Scope.KEYS_READ, "Get a key (Unkey v2)", errors=(404,))
def v2_get_key(caller: Caller, request: Annotated[V2KeyId, Body()]) -> Response[V2Envelope[V2Key]]:
    return responses.v2_ok(app.context, app.current_event, V2Key.of(keys.product_key(caller, request.keyId)))


@unkey_route(app, "POST", "/v2/keys.deleteKey", Scope.KEYS_WRITE, "Revoke a key (Unkey v2)", errors=(404,))
def v2_delete_key(caller: Caller, request: Annotated[V2DeleteKey, Body()]) -> Response[V2Envelope[Empty]]:
    keys.delete_key(caller, request.keyId, datetime.now(UTC))
    return responses.v2_ok(app.context, app.current_event, Empty())


@unkey_route(app, "POST", "/v2/apis.getApi", Scope.KEYS_READ, "Get an API (Unkey v2)", errors=(404,))
def v2_get_api(caller: Caller, request: Annotated[V2ApiId, Body()]) -> Response[V2Envelope[V2Api]]:
    api = keys.api_of(caller, request.apiId)
    return responses.v2_ok(app.context, app.current_event, V2Api(id=api.api_id, name=api.name))


LIST = "An API's live keys (of one identity, with externalId), oldest first, a page at a time."


@unkey_route(
    app, "GET", "/v1/apis.listKeys", Scope.KEYS_READ, "List an API's keys (Unkey v1)", errors=(404,), description=LIST
)
def v1_list_keys(
    caller: Caller,
    apiId: IdQuery,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    externalId: Annotated[ExternalId | None, Query()] = None,
    ownerId: Annotated[ExternalId | None, Query(description="Unkey's older name of externalId.")] = None,
    decrypt: Annotated[
        bool, Query(description="keytally keeps only hashes: true is a 400.", json_schema_extra={"enum": [False]})
    ] = False,
    revalidateKeysCache: Annotated[bool, Query(description="Accepted; keytally keeps no cache of keys.")] = False,
) -> Response[V1KeyList]:
    if decrypt:
        raise Unprocessable(
            "decrypt: keytally keeps only a hash of each key", problems=(("query.decrypt", "not kept"),)
        )
    page = api_keys.list_api_keys(caller, apiId, externalId or ownerId, limit, cursor)
    answer = V1KeyList(keys=[V1Key.of(key) for key in page.keys], cursor=page.cursor, total=page.total)
    return responses.v1_ok(app.context, app.current_event, answer)


@unkey_route(
    app, "POST", "/v2/apis.listKeys", Scope.KEYS_READ, "List an API's keys (Unkey v2)", errors=(404,), description=LIST
)
def v2_list_keys(caller: Caller, request: Annotated[V2ListKeys, Body()]) -> Response[V2KeyList]:
    page = api_keys.list_api_keys(caller, request.apiId, request.externalId, request.limit, request.cursor)
    pagination = V2Pagination(cursor=page.cursor, hasMore=page.cursor is not None)
    return responses.v2_ok(app.context, app.current_event, [V2Key.of(key) for key in page.keys], pagination=pagination)


UPDATE = (
    "Only the fields sent change; null clears one. Credits set here replace the balance (keys.updateRemaining / "
    "keys.updateCredits change it by an amount). A retried update changes nothing more."
)


@unkey_route(
    app,
    "POST",
    "/v1/keys.updateKey",
    Scope.KEYS_WRITE,
    "Change a key (Unkey v1)",
    errors=(404, 409),
    description=UPDATE,
)
def v1_update_key(caller: Caller, request: Annotated[V1UpdateKey, Body()]) -> Response[Empty]:
    keys.update_key(caller, request.keyId, request.changes(), datetime.now(UTC))
    return responses.v1_ok(app.context, app.current_event, Empty())


@unkey_route(
    app,
    "POST",
    "/v2/keys.updateKey",
    Scope.KEYS_WRITE,
    "Change a key (Unkey v2)",
    errors=(404, 409),
    description=UPDATE,
)
def v2_update_key(caller: Caller, request: Annotated[V2UpdateKey, Body()]) -> Response[V2Envelope[Empty]]:
    keys.update_key(caller, request.keyId, request.changes(), datetime.now(UTC))
    return responses.v2_ok(app.context, app.current_event, Empty())


CREDITS = (
    "`set` the balance (null: unlimited), or `increment` / `decrement` it: exact while the key is being verified; "
    "a balance never goes below zero. A retried increment or decrement changes it again."
)


@unkey_route(
    app,
    "POST",
    "/v1/keys.updateRemaining",
    Scope.KEYS_WRITE,
    "Change a key's credits (Unkey v1)",
    errors=(404, 409),
    description=CREDITS,
)
def v1_update_remaining(caller: Caller, request: Annotated[V1UpdateRemaining, Body()]) -> Response[V1Remaining]:
    record = request.apply(caller, datetime.now(UTC))
    return responses.v1_ok(app.context, app.current_event, V1Remaining(remaining=record.remaining))


@unkey_route(
    app,
    "POST",
    "/v2/keys.updateCredits",
    Scope.KEYS_WRITE,
    "Change a key's credits (Unkey v2)",
    errors=(404, 409),
    description=CREDITS,
)
def v2_update_credits(caller: Caller, request: Annotated[V2UpdateCredits, Body()]) -> Response[V2Envelope[V2Credits]]:
    record = request.apply(caller, datetime.now(UTC))
    return responses.v2_ok(app.context, app.current_event, V2Credits.of(record))


ANALYTICS = (
    "Unkey's getVerifications, answered as keytally's GET /v1/analytics/verifications answers it (see there), in a "
    "bare array: `keyId`, `tag` and `groupBy` may be repeated or comma-joined (as Unkey's v1 SDK sends arrays)."
)
LISTED = "Repeatable or comma-joined."
KeyIds = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$")]
Listed = Annotated[list[str] | None, Query(max_length=100, description=LISTED)]


@unkey_route(
    app,
    "GET",
    "/v1/analytics.getVerifications",
    Scope.ANALYTICS_READ,
    "Verification counts (Unkey v1)",
    errors=(404,),
    description=ANALYTICS,
)
def v1_analytics(
    caller: Caller,
    apiId: IdQuery,
    externalId: Annotated[ExternalId | None, Query()] = None,
    keyId: Annotated[list[KeyIds] | None, Query(max_length=100, description=LISTED)] = None,
    tag: Listed = None,
    start: UnixMs = None,
    end: UnixMs = None,
    groupBy: Listed = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    orderBy: Annotated[OrderBy | None, Query()] = None,
    order: Annotated[Order, Query()] = Order.ASC,
) -> Response[list[Datapoint]]:
    query = VerificationsQuery(
        apiId, externalId, (), (), start, end, (), limit, orderBy.value if orderBy else None, order
    )
    answer = verifications(caller, query, keyId, tag, groupBy, datetime.now(UTC))
    return responses.v1_ok(app.context, app.current_event, answer)


@unkey_route(
    app,
    "GET",
    "/v1/keys.getVerifications",
    Scope.ANALYTICS_READ,
    "A key's verifications per day (Unkey v1)",
    errors=(404,),
    description="Of one key (`keyId`; the root key needs keys:read too) or of an owner's keys "
    "(`ownerId`) in every API of the root key's organization, per UTC day.",
)
def v1_key_verifications(
    caller: Caller,
    keyId: Annotated[str | None, Query(min_length=1, max_length=255, pattern=ID_PATTERN)] = None,
    ownerId: Annotated[ExternalId | None, Query()] = None,
    start: UnixMs = None,
    end: UnixMs = None,
    granularity: Annotated[Literal["day"], Query()] = "day",
) -> Response[KeyVerifications]:
    answer = key_verifications(caller, keyId, ownerId, start, end, datetime.now(UTC))
    return responses.v1_ok(app.context, app.current_event, answer)


@unkey_route(
    app,
    "POST",
    "/v2/analytics.getVerifications",
    Scope.ANALYTICS_READ,
    "SQL over verifications (Unkey v2): not implemented",
    errors=(501,),
    description="Always 501: keytally answers verification analytics at GET /v1/analytics/verifications.",
)
def v2_analytics(caller: Caller, request: Annotated[V2AnalyticsQuery, Body()]) -> Response[V2Envelope[list[Empty]]]:
    raise Unimplemented(
        "SQL analytics are not implemented: GET /v1/analytics/verifications (or Unkey v1's "
        "analytics.getVerifications) answers verification counts by outcome, key, identity, tag and time."
    )


lambda_handler = http_handler(app)
