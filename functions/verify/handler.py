"""The verify function: POST /v1/keys/verify, Unkey's key verification for an organization's product keys."""

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
from keytally.observability import logger, metrics, tracer
from keytally.verification import service
from keytally.verification.models import VerifyKeyRequest, VerifyKeyResponse
from keytally.web.app import create_app
from keytally.web.envelope import Envelope, ok
from keytally.web.openapi import route_responses
from keytally.web.security import BEARER_SECURITY, RequireScope, current_principal

app = create_app()


@app.post(
    "/v1/keys/verify",
    summary="Verify a product key",
    description="Always 200 with `valid` and Unkey's `code` once the caller may verify in the API's organization. "
    "Checks in order: NOT_FOUND, UNAUTHORIZED (a key of another API), DISABLED, EXPIRED, FORBIDDEN (IP), "
    "INSUFFICIENT_PERMISSIONS, RATE_LIMITED, USAGE_EXCEEDED, VALID. A valid verification uses one rate-limit "
    "token and deducts `cost` credits in one atomic update; a refused one changes nothing. A retried request is a "
    "second verification. Each verification is recorded for /v1/analytics/verifications.",
    middlewares=[RequireScope(Scope.KEYS_VERIFY)],
    security=BEARER_SECURITY,
    responses=route_responses(200, 404),
    tags=["Verification"],
)
def verify_key(
    caller: Annotated[Principal, Depends(current_principal)], request: Annotated[VerifyKeyRequest, Body()]
) -> Response[Envelope[VerifyKeyResponse]]:
    source_ip = app.current_event.request_context.http.source_ip
    return ok(app.context, app.current_event, service.verify(caller, request, source_ip, datetime.now(UTC)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
