"""Routes of API keyspaces (Unkey's APIs), inside which product keys are issued and verified."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from keytally.apikeys import service
from keytally.apikeys.models import Api, CreateKeyspace
from keytally.auth.principal import Principal
from keytally.auth.scopes import Scope
from keytally.web.envelope import Envelope, ok
from keytally.web.openapi import route_responses
from keytally.web.security import BEARER_SECURITY, RequireScope, current_principal

router = APIGatewayHttpRouter()
Caller = Annotated[Principal, Depends(current_principal)]
TAGS = ["APIs"]


@router.post(
    "/v1/apis",
    summary="Create an API keyspace",
    description="Not idempotent: a retried create makes a second API with a new api_id.",
    middlewares=[RequireScope(Scope.KEYS_WRITE)],
    security=BEARER_SECURITY,
    responses=route_responses(201, 404),
    tags=TAGS,
)
def create_api(caller: Caller, request: Annotated[CreateKeyspace, Body()]) -> Response[Envelope[Api]]:
    keyspace = service.create_keyspace(caller, request, datetime.now(UTC))
    return ok(router.context, router.current_event, Api.of(keyspace), status=201)


@router.get(
    "/v1/apis",
    summary="List API keyspaces of an organization",
    middlewares=[RequireScope(Scope.KEYS_READ)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=TAGS,
)
def list_apis(
    caller: Caller,
    organizationSlug: Annotated[str | None, Query(max_length=64, description="Defaults to the key's organization")] = None,
) -> Response[Envelope[list[Api]]]:
    apis = [Api.of(keyspace) for keyspace in service.list_keyspaces(caller, organizationSlug)]
    return ok(router.context, router.current_event, apis)
