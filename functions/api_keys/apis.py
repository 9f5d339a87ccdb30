"""Routes of APIs (Unkey's term), the keyspaces inside which product keys are issued and verified."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from keytally.apis import service
from keytally.apis.models import Api, CreateApi
from keytally.models import Scope
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

router = APIGatewayHttpRouter()
TAGS = ["APIs"]


@protected(
    router,
    "POST",
    "/v1/apis",
    Scope.KEYS_WRITE,
    success=201,
    errors=(404,),
    summary="Create an API",
    description="Not idempotent: a retried create makes a second API with a new api_id.",
    tags=TAGS,
)
def create_api(caller: Caller, request: Annotated[CreateApi, Body()]) -> Response[Envelope[Api]]:
    api = service.create_api(caller, request, datetime.now(UTC))
    return ok(router.context, router.current_event, Api.of(api), status=201)


@protected(
    router,
    "GET",
    "/v1/apis",
    Scope.KEYS_READ,
    errors=(404,),
    summary="List the APIs of an organization",
    tags=TAGS,
)
def list_apis(
    caller: Caller,
    organizationSlug: Annotated[
        str | None, Query(max_length=64, description="Defaults to the key's organization")
    ] = None,
) -> Response[Envelope[list[Api]]]:
    apis = [Api.of(api) for api in service.list_apis(caller, organizationSlug)]
    return ok(router.context, router.current_event, apis)
