"""Routes of the API-key resource: list, issue, read, change, revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from keytally.apikeys import service
from keytally.apikeys.models import ID_PATTERN, ApiKey, CreateApiKey, UpdateApiKey
from keytally.auth.principal import Principal
from keytally.auth.scopes import Scope
from keytally.auth.secrets import KeyKind
from keytally.web.envelope import Envelope, Page, ok
from keytally.web.openapi import route_responses
from keytally.web.security import BEARER_SECURITY, RequireScope, current_principal

router = APIGatewayHttpRouter()
Caller = Annotated[Principal, Depends(current_principal)]
KeyId = Annotated[str, Path(max_length=50, pattern=ID_PATTERN)]
TAGS = ["API keys"]


@router.get(
    "/v1/api_keys",
    summary="List API keys",
    description="The keys the caller may see: an organization key sees its organization's keys; a user key its own "
    "keys and those of organizations it administers; staff every key. Revoked keys are not listed.",
    middlewares=[RequireScope(Scope.KEYS_READ)],
    security=BEARER_SECURITY,
    responses=route_responses(),
    tags=TAGS,
)
def list_api_keys(
    caller: Caller,
    key_type: Annotated[Literal["organization", "user"] | None, Query(description="Only keys of this type")] = None,
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


@router.post(
    "/v1/api_keys",
    summary="Create an API key",
    description="Returns the key itself in `key_value`, this once. Not idempotent: a retried create issues "
    "another key, which shows in the listing and can be revoked.",
    middlewares=[RequireScope(Scope.KEYS_WRITE)],
    security=BEARER_SECURITY,
    responses=route_responses(201, 404),
    tags=TAGS,
)
def create_api_key(caller: Caller, request: Annotated[CreateApiKey, Body()]) -> Response[Envelope[ApiKey]]:
    record, key_value = service.create_key(caller, request, datetime.now(UTC))
    return ok(router.context, router.current_event, ApiKey.of(record, key_value), status=201)


@router.get(
    "/v1/api_keys/<api_key_id>",
    summary="Get an API key",
    middlewares=[RequireScope(Scope.KEYS_READ)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=TAGS,
)
def get_api_key(caller: Caller, api_key_id: KeyId) -> Response[Envelope[ApiKey]]:
    return ok(router.context, router.current_event, ApiKey.of(service.get_key(caller, api_key_id)))


@router.patch(
    "/v1/api_keys/<api_key_id>",
    summary="Update an API key",
    description="Changes only the fields sent. Idempotent: repeating it gives the same key.",
    middlewares=[RequireScope(Scope.KEYS_WRITE)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=TAGS,
)
def update_api_key(
    caller: Caller, api_key_id: KeyId, request: Annotated[UpdateApiKey, Body()]
) -> Response[Envelope[ApiKey]]:
    return ok(router.context, router.current_event, ApiKey.of(service.update_key(caller, api_key_id, request)))


@router.delete(
    "/v1/api_keys/<api_key_id>",
    summary="Revoke an API key",
    description="The key stops working on the next request. Idempotent: revoking again returns the same key.",
    middlewares=[RequireScope(Scope.KEYS_WRITE)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=TAGS,
)
def revoke_api_key(caller: Caller, api_key_id: KeyId) -> Response[Envelope[ApiKey]]:
    record = service.revoke_key(caller, api_key_id, datetime.now(UTC))
    return ok(router.context, router.current_event, ApiKey.of(record))
