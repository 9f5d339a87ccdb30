"""Routes of the API-key resource: list, issue, read, change, revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from keytally.api_keys import service
from keytally.api_keys.models import ApiKey, CreateApiKey, UpdateApiKey
from keytally.fields import ID_PATTERN
from keytally.models import KeyKind, Scope
from keytally.web.envelope import Envelope, Page, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

router = APIGatewayHttpRouter()
KeyId = Annotated[str, Path(max_length=50, pattern=ID_PATTERN)]
TAGS = ["API keys"]


@protected(
    router,
    "GET",
    "/v1/api_keys",
    Scope.KEYS_READ,
    errors=(404,),
    summary="List API keys",
    description="The keys the caller may see: an organization key sees its organization's keys; a user key its own "
    "keys and those of organizations it administers; staff every key. Revoked keys are not listed.",
    tags=TAGS,
)
def list_api_keys(
    caller: Caller,
    key_type: Annotated[
        Literal["organization", "user", "product"] | None, Query(description="Only keys of this type")
    ] = None,
    organizationSlug: Annotated[str | None, Query(max_length=64, description="Only this organization's keys")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    cursor: Annotated[str | None, Query(max_length=4096, description="`meta.next_cursor` of the previous page")] = None,
) -> Response[Page[ApiKey]]:
    records, next_cursor = service.list_keys(
        caller,
        key_type=KeyKind(key_type) if key_type else None,
        org_slug=organizationSlug,
        limit=limit,
        cursor=cursor,
    )
    data = [ApiKey.of(record) for record in records]
    return ok(router.context, router.current_event, data, next_cursor=next_cursor)


@protected(
    router,
    "POST",
    "/v1/api_keys",
    Scope.KEYS_WRITE,
    success=201,
    errors=(404,),
    summary="Create an API key",
    description="Returns the key itself in `key_value`, this once. Not idempotent: a retried create issues "
    "another key, which shows in the listing and can be revoked.",
    tags=TAGS,
)
def create_api_key(caller: Caller, request: Annotated[CreateApiKey, Body()]) -> Response[Envelope[ApiKey]]:
    record, key_value = service.create_key(caller, request, datetime.now(UTC))
    return ok(router.context, router.current_event, ApiKey.of(record, key_value), status=201)


@protected(
    router,
    "GET",
    "/v1/api_keys/<api_key_id>",
    Scope.KEYS_READ,
    errors=(404,),
    summary="Get an API key",
    tags=TAGS,
)
def get_api_key(caller: Caller, api_key_id: KeyId) -> Response[Envelope[ApiKey]]:
    return ok(router.context, router.current_event, ApiKey.of(service.get_key(caller, api_key_id)))


@protected(
    router,
    "PATCH",
    "/v1/api_keys/<api_key_id>",
    Scope.KEYS_WRITE,
    errors=(404,),
    summary="Update an API key",
    description="Changes only the fields sent. Idempotent: repeating it gives the same key. A credential may "
    "change only keys whose scopes are within its own (for a user key: within what its role grants there); 403 "
    "otherwise.",
    tags=TAGS,
)
def update_api_key(
    caller: Caller, api_key_id: KeyId, request: Annotated[UpdateApiKey, Body()]
) -> Response[Envelope[ApiKey]]:
    return ok(
        router.context,
        router.current_event,
        ApiKey.of(service.update_key(caller, api_key_id, request, datetime.now(UTC))),
    )


@protected(
    router,
    "DELETE",
    "/v1/api_keys/<api_key_id>",
    Scope.KEYS_WRITE,
    errors=(404,),
    summary="Revoke an API key",
    description="The key stops working on the next request. Idempotent: revoking again returns the same key. A "
    "credential may revoke itself, and other keys only when their scopes are within its own; 403 otherwise.",
    tags=TAGS,
)
def revoke_api_key(caller: Caller, api_key_id: KeyId) -> Response[Envelope[ApiKey]]:
    record = service.revoke_key(caller, api_key_id, datetime.now(UTC))
    return ok(router.context, router.current_event, ApiKey.of(record))
